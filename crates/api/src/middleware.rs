//! Per-request plumbing: request IDs, the tracing span, the audit trail's request facts and
//! denials, trailing-slash folding.

use crate::client_ip;
use crate::routes::RouteTemplate;
use crate::run_to_end::run_to_end;
use crate::state::AppState;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Uri;
use actix_web::http::{header, StatusCode};
use actix_web::{web, Error, HttpMessage};
use castellan_application::{Denial, Principal};
use castellan_ports::audit::{with_request, RequestFacts};
use castellan_ports::scope::{scoped, DataScope};
use std::future::Future;
use std::time::Instant;
use tracing::Instrument;

/// `X-Request-ID`.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client-sent id is kept when it is 1–128 characters of `[A-Za-z0-9._-]`.
fn sane_request_id(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A fresh request id: a UUIDv7 (time-ordered), spelled without the formatting machinery.
fn new_request_id() -> String {
    let mut spelled = [0_u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Uuid::now_v7()
        .hyphenated()
        .encode_lower(&mut spelled)
        .to_owned()
}

/// Folds `/x/` onto `/x` so that every route answers with a trailing slash, without a
/// redirect. Swagger UI's asset paths are left alone.
fn fold_trailing_slash(req: &mut ServiceRequest) {
    let path = req.path();
    if path.len() <= 1 || !path.ends_with('/') || path.starts_with("/api/v1/docs/") {
        return;
    }
    let trimmed = path.trim_end_matches('/');
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    let new_uri = match req.uri().query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_string(),
    };
    if let Ok(uri) = new_uri.parse::<Uri>() {
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
}

/// Assigns the request id, opens the request's span (with `user_id` and `tenant_id` filled
/// in once authenticated), makes the request's facts (id, client address, user agent)
/// available to the audit trail, records every 403 there, echoes `X-Request-ID` and logs
/// the outcome.
pub fn request_context<S, B: 'static>(
    mut req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, Error>> + 'static
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
{
    fold_trailing_slash(&mut req);
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane_request_id(v))
        .map_or_else(new_request_id, str::to_string);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
        user_id = tracing::field::Empty,
        tenant_id = tracing::field::Empty,
    );
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let metrics = state.as_ref().and_then(|s| s.metrics.clone());
    let client = match &state {
        Some(state) => client_ip::resolve(&req, &state.trusted_proxies),
        None => client_ip::resolve(&req, &client_ip::TrustedProxies::default()),
    };
    let facts = RequestFacts {
        request_id: Some(request_id.clone()),
        ip: client,
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect()),
    };
    let started = Instant::now();
    // When a client disconnects, actix drops the response future, but the work (storage
    // calls included) still runs to its end (`run_to_end`), so nothing is left half-done
    // and no query is cancelled mid-flight.
    // It starts in the system data scope; authenticating a non-superuser narrows it.
    let call = span.in_scope(|| srv.call(req));
    let work = scoped(
        DataScope::System,
        with_request(facts, async move {
            let res = call.await?;
            if res.status() == StatusCode::FORBIDDEN {
                // Boxed: its future is kilobytes, which every request would otherwise carry
                // (and copy) for the few that are refused.
                Box::pin(record_denial(state.as_ref(), &res)).await;
            }
            Ok::<_, Error>(res)
        }),
    );
    let work = run_to_end(work.instrument(span.clone()));
    async move {
        let mut res = work
            .await
            .map_err(actix_web::error::ErrorInternalServerError)??;
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            res.headers_mut().insert(REQUEST_ID.clone(), value);
        }
        if let Some(metrics) = &metrics {
            // The route template, never the raw path: bounded cardinality.
            let request = res.request();
            let matched;
            let route = match request.app_data::<RouteTemplate>() {
                Some(template) => Some(&*template.0),
                None => {
                    matched = request.match_pattern();
                    matched.as_deref()
                }
            };
            metrics.request(
                route.unwrap_or(crate::metrics::UNMATCHED),
                metric_method(res.request().method()),
                res.status().as_u16(),
                started.elapsed(),
            );
        }
        tracing::info!(
            status = res.status().as_u16(),
            latency_us = started.elapsed().as_micros() as u64,
            "request finished"
        );
        Ok(res)
    }
    .instrument(span)
}

/// The `method` label: the standard methods as they are, any other `other` (clients may
/// send any token as a method; a label per token would be a series per token).
fn metric_method(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Records a 403 in the audit trail (every refusal is audited). The response stands even
/// when recording fails: that is logged as an error instead.
async fn record_denial<B>(state: Option<&web::Data<AppState>>, res: &ServiceResponse<B>) {
    let (Some(state), Some(denial)) = (state, res.response().extensions().get::<Denial>().cloned())
    else {
        return;
    };
    let caller = res.request().extensions().get::<Principal>().cloned();
    if let Err(err) = state.audit.record_denial(caller.as_ref(), &denial).await {
        tracing::error!(error = %err, "could not record a denial in the audit trail");
    }
}

#[cfg(test)]
mod tests {
    use super::{new_request_id, sane_request_id};

    #[test]
    fn fresh_request_ids_are_hyphenated_v7_uuids() {
        let id = new_request_id();
        let parsed = uuid::Uuid::parse_str(&id).ok();
        assert_eq!(parsed.map(|u| u.get_version_num()), Some(7));
        assert_eq!(parsed.map(|u| u.hyphenated().to_string()), Some(id.clone()));
        assert_ne!(new_request_id(), id);
    }

    #[test]
    fn request_id_sanity() {
        assert!(sane_request_id("abc-123_X.y"));
        assert!(!sane_request_id(""));
        assert!(!sane_request_id("has space"));
        assert!(!sane_request_id(&"a".repeat(129)));
        assert!(sane_request_id(&"a".repeat(128)));
    }
}
