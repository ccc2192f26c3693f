//! Prometheus metrics (`GET /metrics`, text format 0.0.4): requests by route template,
//! method and status with their latency, logins by outcome, revocations, rate-limit
//! refusals, and the gauges sampled when scraped (connection pools, audit chains).
//!
//! Each server has its own recorder (none is installed globally), so that several servers
//! in one process (the tests) keep their own figures. Route labels are route templates
//! (`/api/v1/articles/{id}`), or `unmatched` when no route matched: a scan of random URLs
//! adds no series.

use metrics::{
    Counter, Histogram, Key, KeyName, Label, Level, Metadata, Recorder, SharedString, Unit,
};
use metrics_exporter_prometheus::{
    BuildError, Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The route label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";

const METADATA: Metadata<'static> = Metadata::new("castellan", Level::INFO, None);

/// Latency buckets (seconds) of `http_request_duration_seconds`.
const BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// One gauge value read when metrics are scraped.
#[derive(Debug, Clone, PartialEq)]
pub struct GaugeSample {
    /// Series name.
    pub name: &'static str,
    /// Its labels.
    pub labels: Vec<(&'static str, String)>,
    /// The value now.
    pub value: f64,
}

/// Where the scrape-time gauges come from (the server knows its pools and chains).
pub trait GaugeSource: Send + Sync + std::fmt::Debug {
    /// The gauges as they are now.
    fn sample(&self) -> Vec<GaugeSample>;
}

/// A server's metrics; cheap to clone (one shared recorder).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    gauges: Option<Arc<dyn GaugeSource>>,
    /// Latencies recorded since the last upkeep.
    pending: AtomicU64,
    /// The request series by route template, then method and status (bounded: routes are
    /// templates, methods a fixed set).
    requests: RwLock<HashMap<String, RouteSeries, Hasher>>,
}

/// The series maps' hasher: their keys are route templates and fixed labels, never a
/// client's input, so a fast hash is safe (SipHash was most of a lookup).
type Hasher = foldhash::fast::RandomState;

/// A request series: its counter and its latency histogram.
type Series = (Counter, Histogram);

/// A route's series by method and status.
type RouteSeries = HashMap<(&'static str, u16), Series, Hasher>;

/// Latencies kept before they are folded into their histogram's buckets. The recorder
/// keeps every sample (24 bytes) until a scrape or an upkeep folds them in: unscraped, a
/// server would grow by each request.
const UPKEEP_EVERY: u64 = 4096;

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn key(name: &'static str, labels: Vec<Label>) -> Key {
    Key::from_parts(name, labels)
}

impl Metrics {
    /// A recorder of its own, with the series described and `gauges` sampled per scrape.
    pub fn new(gauges: Option<Arc<dyn GaugeSource>>) -> Result<Self, BuildError> {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &BUCKETS,
            )?
            .build_recorder();
        let describe = |name: &'static str, unit: Option<Unit>, help: &'static str| {
            recorder.describe_counter(
                KeyName::from_const_str(name),
                unit,
                SharedString::const_str(help),
            );
        };
        describe(
            "http_requests_total",
            None,
            "HTTP requests answered, by route template, method and status",
        );
        describe(
            "auth_logins_total",
            None,
            "Logins by outcome: success, failure (wrong credentials), locked (lockout)",
        );
        describe(
            "tokens_revoked_total",
            None,
            "Revocations: access (one token), session (a session), all (every token of a user)",
        );
        describe(
            "rate_limited_total",
            None,
            "Requests refused by a rate limit, by limit",
        );
        describe(
            "jobs_runs_total",
            None,
            "Background job runs made by this replica, by job",
        );
        recorder.describe_histogram(
            KeyName::from_const_str("http_request_duration_seconds"),
            Some(Unit::Seconds),
            SharedString::const_str("Time to answer an HTTP request, by route template and method"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str("db_pool_connections"),
            None,
            SharedString::const_str("Database connections of the pool, by state (idle, busy)"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str("redis_pool_connections"),
            None,
            SharedString::const_str("Redis connections of the pool, by state (idle, busy)"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str("audit_chain_valid"),
            None,
            SharedString::const_str(
                "1 when the tenant's audit chain passed its last verification, 0 when broken",
            ),
        );
        let handle = recorder.handle();
        Ok(Self(Arc::new(Inner {
            recorder,
            handle,
            gauges,
            pending: AtomicU64::new(0),
            requests: RwLock::default(),
        })))
    }

    fn count(&self, name: &'static str, labels: Vec<Label>, by: u64) {
        self.0
            .recorder
            .register_counter(&key(name, labels), &METADATA)
            .increment(by);
    }

    /// One answered request: `route` is its template (or [`UNMATCHED`]).
    pub fn request(&self, route: &str, method: &'static str, status: u16, took: Duration) {
        let (requests, latency) = self.request_series(route, method, status);
        requests.increment(1);
        latency.record(took.as_secs_f64());
        if self.0.pending.fetch_add(1, Ordering::Relaxed) % UPKEEP_EVERY == UPKEEP_EVERY - 1 {
            self.0.handle.run_upkeep();
        }
    }

    /// The series of a route, method and status, registered on first use and then kept:
    /// the recorder's own lookup builds and hashes every label on every request.
    fn request_series(&self, route: &str, method: &'static str, status: u16) -> Series {
        let known = self.0.requests.read().ok().and_then(|routes| {
            routes
                .get(route)
                .and_then(|series| series.get(&(method, status)).cloned())
        });
        if let Some(series) = known {
            return series;
        }
        let labels = |status: Option<u16>| {
            let mut labels = vec![
                Label::new("route", route.to_owned()),
                Label::from_static_parts("method", method),
            ];
            labels.extend(status.map(|s| Label::new("status", s.to_string())));
            labels
        };
        let series = (
            self.0
                .recorder
                .register_counter(&key("http_requests_total", labels(Some(status))), &METADATA),
            self.0.recorder.register_histogram(
                &key("http_request_duration_seconds", labels(None)),
                &METADATA,
            ),
        );
        if let Ok(mut routes) = self.0.requests.write() {
            routes
                .entry(route.to_owned())
                .or_default()
                .insert((method, status), series.clone());
        }
        series
    }

    /// A login's outcome: `success`, `failure` or `locked`.
    pub fn login(&self, outcome: &'static str) {
        self.count(
            "auth_logins_total",
            vec![Label::from_static_parts("outcome", outcome)],
            1,
        );
    }

    /// A revocation of `kind`: `access`, `session` or `all`.
    pub fn revoked(&self, kind: &'static str) {
        self.count(
            "tokens_revoked_total",
            vec![Label::from_static_parts("kind", kind)],
            1,
        );
    }

    /// A request refused by the limit `limit` (`login`, `anonymous`, `user`, ...).
    pub fn rate_limited(&self, limit: &'static str) {
        self.count(
            "rate_limited_total",
            vec![Label::from_static_parts("limit", limit)],
            1,
        );
    }

    /// A run of the background job `job`.
    pub fn job_run(&self, job: &'static str) {
        self.count(
            "jobs_runs_total",
            vec![Label::from_static_parts("job", job)],
            1,
        );
    }

    /// The text exposition, with the gauges sampled now.
    pub fn render(&self) -> String {
        if let Some(gauges) = &self.0.gauges {
            for sample in gauges.sample() {
                let labels = sample
                    .labels
                    .into_iter()
                    .map(|(name, value)| Label::new(name, value))
                    .collect();
                self.0
                    .recorder
                    .register_gauge(&key(sample.name, labels), &METADATA)
                    .set(sample.value);
            }
        }
        self.0.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed;

    impl GaugeSource for Fixed {
        fn sample(&self) -> Vec<GaugeSample> {
            vec![GaugeSample {
                name: "db_pool_connections",
                labels: vec![("state", "idle".into())],
                value: 3.0,
            }]
        }
    }

    #[test]
    fn series_render_in_the_text_format() {
        let metrics = Metrics::new(Some(Arc::new(Fixed))).unwrap();
        metrics.request(
            "/api/v1/articles/{id}",
            "GET",
            200,
            Duration::from_millis(3),
        );
        metrics.request(
            "/api/v1/articles/{id}",
            "GET",
            200,
            Duration::from_millis(4),
        );
        metrics.login("locked");
        let text = metrics.render();
        assert!(
            text.contains(
                r#"http_requests_total{route="/api/v1/articles/{id}",method="GET",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"auth_logins_total{outcome="locked"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"db_pool_connections{state="idle"} 3"#),
            "{text}"
        );
        assert!(
            text.contains("# TYPE http_request_duration_seconds histogram"),
            "{text}"
        );
        // Another server's figures are its own.
        assert!(!Metrics::new(None)
            .unwrap()
            .render()
            .contains("auth_logins_total{"));
    }
}
