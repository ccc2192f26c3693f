//! Per-request plumbing: request IDs, the tracing span, trailing-slash folding.

use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Uri;
use actix_web::{Error, HttpMessage};
use castellan_ports::scope::{scoped, DataScope};
use std::future::Future;
use std::time::Instant;
use tracing::Instrument;

/// The request's correlation id, also stored in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// `X-Request-ID`.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client-sent id is kept when it is 1–128 characters of `[A-Za-z0-9._-]`.
fn sane_request_id(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
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
/// in once authenticated), echoes `X-Request-ID` and logs the outcome.
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
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_string);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
        user_id = tracing::field::Empty,
        tenant_id = tracing::field::Empty,
    );
    let started = Instant::now();
    // Each request runs as its own task: when a client disconnects, actix drops the
    // response future, but the work (storage calls included) still runs to its end, so
    // nothing is left half-done and no query is cancelled mid-flight.
    // It starts in the system data scope; authenticating a non-superuser narrows it.
    let work = scoped(DataScope::System, span.in_scope(|| srv.call(req)));
    let task = actix_web::rt::spawn(work.instrument(span.clone()));
    async move {
        let mut res = task
            .await
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))??;
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            res.headers_mut().insert(REQUEST_ID.clone(), value);
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

#[cfg(test)]
mod tests {
    use super::sane_request_id;

    #[test]
    fn request_id_sanity() {
        assert!(sane_request_id("abc-123_X.y"));
        assert!(!sane_request_id(""));
        assert!(!sane_request_id("has space"));
        assert!(!sane_request_id(&"a".repeat(129)));
        assert!(sane_request_id(&"a".repeat(128)));
    }
}
