//! CSRF protection: a random token in an HttpOnly, SameSite=Strict cookie, repeated in a
//! hidden field of every POST form (double submit). A new token is issued at login, so a
//! token belongs to one session. Besides the token, a POST whose `Origin` names another
//! host, or whose `Sec-Fetch-Site` says another site, is refused.

use super::headers::{cookie, set_cookie};
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;

/// The cookie holding the token.
pub(crate) const COOKIE: &str = "castellan_csrf";
/// The form field repeating it.
pub(crate) const FIELD: &str = "csrf";

/// Why a POST was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CsrfError {
    /// No token in the form or no cookie, or they differ.
    #[error("the form's security token is missing or stale: reload the page and try again")]
    Token,
    /// The request came from another site.
    #[error("the form was sent from another site")]
    CrossOrigin,
}

/// A token issued during this request (so that every form of a page gets the same one).
#[derive(Debug, Clone)]
struct Issued(String);

fn fresh() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The token for the forms of this response: the cookie's, or a new one (then set).
pub(crate) fn token(req: &HttpRequest) -> String {
    if let Some(Issued(token)) = req.extensions().get::<Issued>() {
        return token.clone();
    }
    match cookie(req, COOKIE) {
        Some(token) => token,
        None => rotate(req),
    }
}

/// Issues a new token (at login: the new session gets its own).
pub(crate) fn rotate(req: &HttpRequest) -> String {
    let token = fresh();
    req.extensions_mut().insert(Issued(token.clone()));
    set_cookie(req, COOKIE, token.clone(), None);
    token
}

/// Whether the request comes from this site: `Sec-Fetch-Site` (when sent) is
/// `same-origin` or `none`, and `Origin` (when sent) names the host the request was sent to.
fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|site| !matches!(site, "same-origin" | "none")) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, authority)| authority);
    matches!((origin_host, host), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}

/// Checks a POST: same origin, and the form's token equal to the cookie's.
pub(crate) fn verify(req: &HttpRequest, presented: Option<&str>) -> Result<(), CsrfError> {
    if !same_origin(req) {
        return Err(CsrfError::CrossOrigin);
    }
    let expected = cookie(req, COOKIE).ok_or(CsrfError::Token)?;
    let presented = presented.ok_or(CsrfError::Token)?;
    match bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) {
        true => Ok(()),
        false => Err(CsrfError::Token),
    }
}
