//! What every console response carries: the security headers, and the cookies the request
//! asked to set (a refreshed session, a CSRF token, a flash message).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

/// The console's Content-Security-Policy: nothing but its own stylesheet and images, no
/// script at all, forms only to itself, never framed.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Cookies a handler or extractor wants set on the response.
#[derive(Debug, Clone, Default)]
pub(crate) struct PendingCookies(Rc<RefCell<Vec<Cookie<'static>>>>);

impl PendingCookies {
    /// The request's pending cookies (created on first use).
    fn of(req: &HttpRequest) -> PendingCookies {
        if let Some(pending) = req.extensions().get::<PendingCookies>() {
            return pending.clone();
        }
        let pending = PendingCookies::default();
        req.extensions_mut().insert(pending.clone());
        pending
    }
}

/// Whether the request reached Castellan over TLS: a TLS listener, or a trusted proxy
/// (`server.trusted_proxies`) saying `X-Forwarded-Proto: https`.
pub(crate) fn over_tls(req: &HttpRequest) -> bool {
    if req.app_config().secure() {
        return true;
    }
    let trusted = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .is_some_and(|state| {
            state
                .trusted_proxies
                .trusts_peer(req.peer_addr().map(|a| a.ip()))
        });
    trusted
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// Sets the console cookie `name` to `value` on the response: HttpOnly, SameSite=Strict,
/// Path=/console, Secure over TLS; a session cookie unless `max_age_secs` is given.
pub(crate) fn set_cookie(
    req: &HttpRequest,
    name: &'static str,
    value: String,
    max_age_secs: Option<i64>,
) {
    let mut cookie = Cookie::build(name, value)
        .path(super::PREFIX)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_tls(req))
        .finish();
    if let Some(secs) = max_age_secs {
        cookie.set_max_age(actix_web::cookie::time::Duration::seconds(secs));
    }
    PendingCookies::of(req).0.borrow_mut().push(cookie);
}

/// Removes the console cookie `name`.
pub(crate) fn remove_cookie(req: &HttpRequest, name: &'static str) {
    set_cookie(req, name, String::new(), Some(0));
}

/// The value of the request's cookie `name` (an empty one counts as absent).
pub(crate) fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

fn insert(
    headers: &mut actix_web::http::header::HeaderMap,
    name: &'static str,
    value: &'static str,
) {
    headers.insert(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    );
}

/// The console's middleware: security headers on every response, pending cookies set.
pub(crate) fn console_response<S, B: 'static>(
    req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + 'static
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
{
    let call = srv.call(req);
    async move {
        let mut res = call.await?;
        let cookies = res
            .request()
            .extensions()
            .get::<PendingCookies>()
            .map(|p| p.0.borrow().clone())
            .unwrap_or_default();
        let headers = res.headers_mut();
        insert(headers, "content-security-policy", CSP);
        insert(headers, "x-content-type-options", "nosniff");
        insert(headers, "referrer-policy", "same-origin");
        insert(headers, "x-frame-options", "DENY");
        if !headers.contains_key(header::CACHE_CONTROL) {
            // Pages show the caller's data (and once, a new API key): never stored.
            insert(headers, "cache-control", "no-store");
        }
        for cookie in cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
                headers.append(header::SET_COOKIE, value);
            }
        }
        Ok(res)
    }
}
