//! Rate limits at the HTTP edge: anonymous requests per IP before anything else (in the
//! request middleware), the public routes' own per-IP and per-IP + email limits in their
//! handlers, and the per-user / per-key limit right after authentication (in the `Auth`
//! extractor). Every limit a request met is written down in its [`Ledger`]; the response
//! then carries the `RateLimit-*` headers of the most restrictive one, and a refusal is a
//! 429 with `Retry-After`.
//!
//! Failure of the limiter's store: login limits fail closed (503); every other limit lets
//! the request through with a warning.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::EitherBody;
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, ResponseError};
use castellan_application::AppError;
use castellan_ports::{Bucket, Quota, RateDecision, RateLimiter};
use futures::future::{ready, LocalBoxFuture, Ready};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;

/// The limiter and the quotas of the limited routes (`rate_limit.*`).
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Where the buckets live.
    pub limiter: Arc<dyn RateLimiter>,
    /// Where the anonymous per-IP buckets live: with Redis, decided in process and settled
    /// with the shared buckets periodically (a round trip per anonymous request would cost
    /// more than the 401 it answers).
    pub anonymous_limiter: Arc<dyn RateLimiter>,
    /// `POST /auth/login` per IP + email.
    pub login_per_ip_email: Quota,
    /// `POST /auth/login` per IP.
    pub login_per_ip: Quota,
    /// `POST /auth/register` per IP.
    pub register: Quota,
    /// `POST /tenants` per IP.
    pub tenant_create: Quota,
    /// `POST /invitations/accept` per IP.
    pub invitation_accept: Quota,
    /// `POST /auth/password-reset` per IP + email.
    pub password_reset: Quota,
    /// Requests without credentials, per IP.
    pub anonymous: Quota,
}

/// A limit applied to this request: its quota and what taking a token decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    name: &'static str,
    quota: Quota,
    decision: RateDecision,
}

impl Applied {
    /// The limit `name` (the `limit` label of `rate_limited_total`) and its decision.
    pub fn new(name: &'static str, quota: Quota, decision: RateDecision) -> Self {
        Self {
            name,
            quota,
            decision,
        }
    }

    /// Seconds until the next request would be allowed.
    pub fn decision_retry_after(&self) -> u64 {
        self.decision.retry_after_secs.max(1)
    }

    /// Whether `self` binds harder than `other`: a refusal, else fewer requests left.
    fn tighter_than(&self, other: &Applied) -> bool {
        let key = |a: &Applied| (a.decision.allowed, a.decision.remaining);
        key(self) < key(other)
    }
}

/// The limits one request met (kept in its extensions).
#[derive(Debug, Clone, Default)]
pub struct Ledger(Rc<RefCell<Option<Applied>>>);

impl Ledger {
    fn note(&self, applied: Applied) {
        let mut tightest = self.0.borrow_mut();
        if tightest.is_none_or(|t| applied.tighter_than(&t)) {
            *tightest = Some(applied);
        }
    }

    /// The most restrictive limit met.
    pub fn tightest(&self) -> Option<Applied> {
        *self.0.borrow()
    }
}

/// Notes `applied` in the request's ledger; a refusal becomes a 429.
pub fn admit(req: &HttpRequest, applied: Applied) -> Result<(), ApiError> {
    if let Some(ledger) = req.extensions().get::<Ledger>() {
        ledger.note(applied);
    }
    if applied.decision.allowed {
        return Ok(());
    }
    let state = req.app_data::<actix_web::web::Data<AppState>>();
    if let Some(metrics) = state.and_then(|s| s.metrics.as_ref()) {
        metrics.rate_limited(applied.name);
    }
    Err(ApiError::RateLimited(applied))
}

/// The name of the anonymous per-IP limit.
pub const ANONYMOUS: &str = "anonymous";

/// Whether a failing limiter refuses the request (503) or lets it through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// 503 (login: brute force must not get through while the counters are down).
    Closed,
    /// Through, with a warning.
    Open,
}

/// Takes a token of the limit `name` from the bucket of the client's IP (and of `who`, an
/// email say, when given); over the limit → 429.
pub async fn limit(
    state: &AppState,
    req: &HttpRequest,
    (name, who): (&'static str, Option<&str>),
    on_failure: OnFailure,
    quota: impl Fn(&RateLimits) -> Quota,
) -> Result<(), ApiError> {
    let Some(limits) = state.rate_limits.as_ref() else {
        return Ok(());
    };
    let quota = quota(limits);
    take(limits.limiter.as_ref(), req, (name, who, quota), on_failure).await
}

/// The anonymous per-IP limit, on its own limiter (settled with Redis rather than asked
/// per request); fails open.
async fn limit_anonymous(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    let Some(limits) = state.rate_limits.as_ref() else {
        return Ok(());
    };
    let limiter = limits.anonymous_limiter.as_ref();
    let limit = (ANONYMOUS, None, limits.anonymous);
    take(limiter, req, limit, OnFailure::Open).await
}

/// One token of the bucket `name` (and `who`) of the client's IP from `limiter`.
async fn take(
    limiter: &dyn RateLimiter,
    req: &HttpRequest,
    (name, who, quota): (&'static str, Option<&str>, Quota),
    on_failure: OnFailure,
) -> Result<(), ApiError> {
    let bucket = bucket_key(name, who, crate::client_ip::of(req));
    match limiter.hit(&bucket, quota).await {
        Ok(decision) => admit(req, Applied::new(name, quota, decision)),
        Err(err) if on_failure == OnFailure::Open => {
            tracing::warn!(error = %err, limit = name, "rate limiter unavailable: request let through");
            Ok(())
        }
        Err(err) => Err(AppError::from(err).into()),
    }
}

/// The bucket of the limit `name` (and `who`) of the client at `ip` under `quota`.
pub fn bucket(name: &str, who: Option<&str>, ip: Option<IpAddr>, quota: Quota) -> Bucket {
    Bucket {
        key: bucket_key(name, who, ip),
        quota,
    }
}

/// The key of a limit's bucket: `name:ip:<ip>`, or `name:<who>:ip:<ip>`.
fn bucket_key(name: &str, who: Option<&str>, ip: Option<IpAddr>) -> String {
    let mut key = String::with_capacity(64);
    key.push_str(name);
    key.push(':');
    if let Some(who) = who {
        key.push_str(who);
        key.push(':');
    }
    key.push_str("ip:");
    match ip {
        // By hand: an address's `Display` goes through the formatter's padding machinery,
        // which was the largest formatting cost of an anonymous request.
        Some(IpAddr::V4(v4)) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    key.push('.');
                }
                push_decimal(&mut key, octet);
            }
        }
        Some(v6) => {
            let _ = write!(key, "{v6}");
        }
        None => {}
    }
    key
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, n: u8) {
    if n >= 100 {
        out.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        out.push(char::from(b'0' + n / 10 % 10));
    }
    out.push(char::from(b'0' + n % 10));
}

/// Routes no limit ever applies to: health, readiness, the schema, the docs, the JWKS and
/// the metrics.
pub fn is_exempt(path: &str) -> bool {
    matches!(
        path,
        "/api/v1/health"
            | "/api/v1/ready"
            | "/api/v1/schema"
            | "/.well-known/jwks.json"
            | "/metrics"
    ) || path == "/api/v1/docs"
        || path.starts_with("/api/v1/docs/")
}

/// The public routes, which never look at a credential (a made-up one must not take them
/// out of the anonymous bucket).
pub fn never_authenticates(path: &str) -> bool {
    matches!(
        path,
        "/api/v1/auth/login"
            | "/api/v1/auth/register"
            | "/api/v1/auth/refresh"
            | "/api/v1/auth/password-reset"
            | "/api/v1/auth/password-reset/confirm"
            | "/api/v1/invitations/accept"
            | "/console/login"
            | "/console/console.css"
    )
}

/// Charges a request whose credential failed to the anonymous per-IP bucket: a flood of
/// bad tokens or guessed keys is held to the anonymous limit (429 once it is spent).
pub async fn charge_failed_credential(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    limit_anonymous(state, req).await
}

/// Whether the request presents a credential (a bearer token, an API key, or the
/// console's session cookie).
pub fn has_credential(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key("x-api-key")
        || crate::console::has_session_cookie(req)
}

/// The middleware of the limits: opens each request's [`Ledger`]; takes a token of the
/// anonymous per-IP bucket for a request without a credential on a limited route, before
/// anything else (the body is not read yet); and puts the tightest limit's `RateLimit-*`
/// headers on the response.
#[derive(Debug, Clone, Copy, Default)]
pub struct EdgeLimits;

impl<S, B> Transform<S, ServiceRequest> for EdgeLimits
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = EdgeLimitsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(EdgeLimitsService {
            service: Rc::new(service),
        }))
    }
}

/// [`EdgeLimits`] around a service.
#[derive(Debug)]
pub struct EdgeLimitsService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for EdgeLimitsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let ledger = Ledger::default();
            req.extensions_mut().insert(ledger.clone());
            let state = req.app_data::<actix_web::web::Data<AppState>>().cloned();
            // A credential header buys no way around the limit on routes that never
            // authenticate; elsewhere a failed authentication is charged by `Auth`.
            let path = req.path();
            let anonymous =
                !is_exempt(path) && (!has_credential(&req) || never_authenticates(path));
            if let (Some(state), true) = (state, anonymous) {
                let checked = limit_anonymous(&state, req.request()).await;
                if let Err(refused) = checked {
                    let mut response = refused.error_response();
                    annotate(response.headers_mut(), ledger.tightest());
                    return Ok(req.into_response(response).map_into_right_body());
                }
            }
            let mut res = service.call(req).await?;
            annotate(res.headers_mut(), ledger.tightest());
            Ok(res.map_into_left_body())
        })
    }
}

/// Adds the `RateLimit-*` headers of `applied` (and `Retry-After` when it refused).
pub fn annotate(headers: &mut HeaderMap, applied: Option<Applied>) {
    let Some(applied) = applied else {
        return;
    };
    let limit = u64::from(applied.quota.limit);
    let (limit, reset) = RECENT_VALUES.with_borrow_mut(|recent| {
        (
            recent.limit.spell(limit),
            recent.reset.spell(applied.decision.reset_secs),
        )
    });
    headers.insert(RATELIMIT_LIMIT.clone(), limit);
    headers.insert(
        RATELIMIT_REMAINING.clone(),
        HeaderValue::from(applied.decision.remaining),
    );
    headers.insert(RATELIMIT_RESET.clone(), reset);
    if !applied.decision.allowed {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from(applied.decision.retry_after_secs.max(1)),
        );
    }
}

static RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
static RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
static RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// The last number a header was spelled with, and its value: a quota's limit and its reset
/// repeat request after request, and a clone of a value costs a reference count where
/// spelling one costs an allocation.
#[derive(Default)]
struct LastSpelled(Option<(u64, HeaderValue)>);

impl LastSpelled {
    fn spell(&mut self, n: u64) -> HeaderValue {
        match &self.0 {
            Some((last, value)) if *last == n => value.clone(),
            _ => {
                let value = HeaderValue::from(n);
                self.0 = Some((n, value.clone()));
                value
            }
        }
    }
}

/// Per worker thread (actix serves a connection on one thread).
#[derive(Default)]
struct RecentValues {
    limit: LastSpelled,
    reset: LastSpelled,
}

thread_local! {
    static RECENT_VALUES: RefCell<RecentValues> = RefCell::default();
}

#[cfg(test)]
mod tests {
    use super::{bucket_key, LastSpelled};
    use actix_web::http::header::HeaderValue;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    #[test]
    fn a_spelled_number_is_reused_only_for_the_same_number() {
        let mut last = LastSpelled::default();
        assert_eq!(last.spell(60), HeaderValue::from(60_u64));
        assert_eq!(last.spell(60), HeaderValue::from(60_u64));
        assert_eq!(last.spell(7), HeaderValue::from(7_u64));
        assert_eq!(last.spell(60), HeaderValue::from(60_u64));
    }

    #[test]
    fn bucket_keys_spell_addresses_as_display_does() {
        for octet in 0..=u8::MAX {
            let ip = IpAddr::V4(Ipv4Addr::new(octet, 0, 10, octet));
            assert_eq!(
                bucket_key("anonymous", None, Some(ip)),
                format!("anonymous:ip:{ip}")
            );
        }
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(
            bucket_key("login", Some("a@b.c"), Some(v6)),
            "login:a@b.c:ip:::1"
        );
        assert_eq!(bucket_key("login", Some("a@b.c"), None), "login:a@b.c:ip:");
        assert_eq!(bucket_key("anonymous", None, None), "anonymous:ip:");
    }
}
