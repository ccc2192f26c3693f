//! Per-IP limits on public routes: checked before anything else, reported in the
//! `RateLimit-*` headers of every response of a limited route, 429 with `Retry-After` over.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use castellan_application::AppError;
use castellan_ports::{Quota, RateDecision, RateLimiter};
use std::sync::Arc;

/// The limiter and the quotas of the limited routes.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Where the buckets live.
    pub limiter: Arc<dyn RateLimiter>,
    /// `POST /tenants` per IP.
    pub tenant_create: Quota,
    /// `POST /invitations/accept` per IP.
    pub invitation_accept: Quota,
}

/// A limit applied to this request: its quota and what taking a token decided.
#[derive(Debug, Clone, Copy)]
pub struct Applied {
    quota: Quota,
    decision: RateDecision,
}

impl Applied {
    /// Seconds until the next request would be allowed.
    pub fn decision_retry_after(&self) -> u64 {
        self.decision.retry_after_secs.max(1)
    }
}

/// Takes a token from `route`'s bucket for the client's IP; over the limit → 429.
pub async fn limit(
    state: &AppState,
    req: &HttpRequest,
    route: &str,
    quota: impl Fn(&RateLimits) -> Quota,
) -> Result<Option<Applied>, ApiError> {
    let Some(limits) = state.rate_limits.as_ref() else {
        return Ok(None);
    };
    let quota = quota(limits);
    let ip = crate::client_ip::of(req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let decision = limits
        .limiter
        .hit(&format!("{route}:ip:{ip}"), quota)
        .await
        .map_err(AppError::from)?;
    let applied = Applied { quota, decision };
    match decision.allowed {
        true => Ok(Some(applied)),
        false => Err(ApiError::RateLimited(applied)),
    }
}

fn header(response: &mut HttpResponse, name: &'static str, value: u64) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
}

/// Adds the `RateLimit-*` headers (and `Retry-After` when refused) to a response.
pub fn annotate(response: &mut HttpResponse, applied: Applied) {
    header(response, "ratelimit-limit", u64::from(applied.quota.limit));
    header(
        response,
        "ratelimit-remaining",
        u64::from(applied.decision.remaining),
    );
    header(response, "ratelimit-reset", applied.decision.reset_secs);
    if !applied.decision.allowed {
        header(
            response,
            "retry-after",
            applied.decision.retry_after_secs.max(1),
        );
    }
}

/// The handler's outcome, success or failure, with the limit's headers.
pub fn finish(result: ApiResult, applied: Option<Applied>) -> ApiResult {
    let Some(applied) = applied else {
        return result;
    };
    let mut response = match result {
        Ok(response) => response,
        Err(err) => err.error_response(),
    };
    annotate(&mut response, applied);
    Ok(response)
}
