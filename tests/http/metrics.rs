//! `/metrics`: the series of the contract with the values a known sequence of requests
//! leaves, bounded route labels under a scan of random URLs, Prometheus text that parses,
//! and the separate port of `metrics.bind`.

use castellan_tests::{Backend, Options, TestApp, PASSWORD};
use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue, Sample};
use reqwest::{Method, StatusCode};
use serde_json::json;

type Scrape = MetricsExposition<PrometheusType, PrometheusValue>;

async fn scrape(app: &TestApp, base: &str) -> Scrape {
    let res = app
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = res.text().await.unwrap();
    parse_prometheus(&text).unwrap_or_else(|err| panic!("{err:?}\n{text}"))
}

/// The samples of `metric` whose labels include `labels`.
fn samples<'a>(
    scrape: &'a Scrape,
    metric: &str,
    labels: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = &'a Sample<PrometheusValue>> + 'a {
    scrape
        .families
        .get(metric)
        .into_iter()
        .flat_map(|family| family.iter_samples())
        .filter(move |sample| {
            sample.get_labelset().is_ok_and(|set| {
                labels
                    .iter()
                    .all(|(name, value)| set.get_label_value(name) == Some(*value))
            })
        })
}

/// The value of the sample of `metric` with these labels (0 when absent).
fn find(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    samples(scrape, metric, labels)
        .next()
        .map_or(0.0, |sample| match &sample.value {
            PrometheusValue::Counter(counter) => counter.value.as_f64(),
            PrometheusValue::Gauge(n) | PrometheusValue::Unknown(n) => n.as_f64(),
            PrometheusValue::Histogram(h) => h.count.unwrap_or(0) as f64,
            PrometheusValue::Summary(_) => f64::NAN,
        })
}

fn routes(scrape: &Scrape) -> std::collections::BTreeSet<String> {
    samples(scrape, "http_requests_total", &[])
        .filter_map(|s| {
            let set = s.get_labelset().ok()?;
            set.get_label_value("route").map(str::to_string)
        })
        .collect()
}

async fn counters_follow_the_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let base = app.address.clone();
    for _ in 0..3 {
        let res = app.api(Method::GET, "/health", None).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    for _ in 0..2 {
        let res = app
            .api(Method::GET, "/articles", None)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let (email, tokens) = app.user().await;
    assert_eq!(
        app.login_raw(&email, "wrong-password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let id = uuid::Uuid::new_v4();
    let res = app
        .api(
            Method::GET,
            &format!("/articles/{id}"),
            Some(&tokens.access),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .api(Method::POST, "/auth/logout", Some(&tokens.access))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let scrape = scrape(&app, &base).await;
    let requests = |route: &str, method: &str, status: &str| {
        find(
            &scrape,
            "http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(requests("/api/v1/health", "GET", "200"), 3.0);
    assert_eq!(requests("/api/v1/articles", "GET", "401"), 2.0);
    // The template, not the path with its id.
    assert_eq!(requests("/api/v1/articles/{id}", "GET", "404"), 1.0);
    assert_eq!(requests("/api/v1/auth/login", "POST", "200"), 1.0);
    assert_eq!(requests("/api/v1/auth/login", "POST", "401"), 1.0);
    assert_eq!(requests("/api/v1/auth/register", "POST", "201"), 1.0);
    assert_eq!(
        find(&scrape, "auth_logins_total", &[("outcome", "success")]),
        1.0
    );
    assert_eq!(
        find(&scrape, "auth_logins_total", &[("outcome", "failure")]),
        1.0
    );
    assert_eq!(
        find(&scrape, "tokens_revoked_total", &[("kind", "session")]),
        1.0
    );
    assert_eq!(
        find(&scrape, "tokens_revoked_total", &[("kind", "access")]),
        1.0
    );
    // The latency histogram counts the same requests.
    let observed = find(
        &scrape,
        "http_request_duration_seconds",
        &[("route", "/api/v1/health"), ("method", "GET")],
    );
    assert_eq!(observed, 3.0);
    // The pool's gauges, and Redis's in production.
    let idle = find(&scrape, "db_pool_connections", &[("state", "idle")]);
    let busy = find(&scrape, "db_pool_connections", &[("state", "busy")]);
    assert!(idle + busy >= 1.0, "{idle} + {busy}");
    let redis_series = scrape.families.contains_key("redis_pool_connections");
    assert_eq!(redis_series, backend.uses_redis());
}

async fn random_urls_add_no_series(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let base = app.address.clone();
    app.api(Method::GET, "/health", None).send().await.unwrap();
    // A first scrape so that `/metrics` itself is among the routes already seen.
    scrape(&app, &base).await;
    let before = routes(&scrape(&app, &base).await);
    for chunk in 0..100 {
        let scan = (0..100).map(|i| {
            let path = format!(
                "/{}/{chunk}-{i}/{}",
                uuid::Uuid::new_v4(),
                uuid::Uuid::new_v4()
            );
            app.request(Method::GET, &path).send()
        });
        for res in futures::future::join_all(scan).await {
            assert_eq!(res.unwrap().status(), StatusCode::NOT_FOUND);
        }
    }
    let scrape = scrape(&app, &base).await;
    let after = routes(&scrape);
    let added: Vec<&String> = after.difference(&before).collect();
    assert_eq!(added, ["unmatched"], "{after:?}");
    assert_eq!(
        find(
            &scrape,
            "http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ),
        10_000.0
    );
}

async fn a_broken_rate_limit_and_a_lockout_are_counted(backend: Backend) {
    let app = TestApp::spawn_with(Options {
        backend,
        limits: vec![
            ("login_per_ip_per_minute", 2),
            ("lockout_failures_per_ip", 1),
        ],
        ..Options::default()
    })
    .await;
    let base = app.address.clone();
    let email = format!("m-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, PASSWORD).await;
    let statuses = [
        app.login_raw(&email, "wrong").await.status(),
        app.login_raw(&email, PASSWORD).await.status(),
        app.login_raw(&email, PASSWORD).await.status(),
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    let scrape = scrape(&app, &base).await;
    assert_eq!(
        find(&scrape, "auth_logins_total", &[("outcome", "locked")]),
        1.0
    );
    assert_eq!(
        find(&scrape, "rate_limited_total", &[("limit", "login")]),
        1.0
    );
}

every_config!(
    counters_follow_the_requests,
    random_urls_add_no_series,
    a_broken_rate_limit_and_a_lockout_are_counted,
);

#[tokio::test]
async fn metrics_can_have_a_port_of_their_own() {
    let port = castellan_tests::free_port();
    let app = TestApp::spawn_with(Options {
        extra_toml: format!("[metrics]\nbind = \"127.0.0.1:{port}\""),
        ..Options::default()
    })
    .await;
    app.api(Method::GET, "/health", None).send().await.unwrap();
    let res = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let scrape = scrape(&app, &format!("http://127.0.0.1:{port}")).await;
    assert_eq!(
        find(
            &scrape,
            "http_requests_total",
            &[("route", "/api/v1/health"), ("status", "200")]
        ),
        1.0
    );
}

#[tokio::test]
async fn metrics_can_be_switched_off() {
    let app = TestApp::spawn_with(Options {
        extra_toml: "[metrics]\nenabled = false".into(),
        ..Options::default()
    })
    .await;
    let res = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
