//! The console's session: the access and refresh tokens of a login kept in HttpOnly,
//! SameSite=Strict cookies (Path=/console, Secure over TLS); the [`Console`] extractor that
//! authenticates them (refreshing an expired access token with the refresh cookie); and
//! the login and logout pages.

use super::csrf;
use super::form::Form;
use super::headers::{cookie, remove_cookie, set_cookie};
use super::page::{html, see_other, Chrome, ConsoleError, Page};
use crate::error::ApiError;
use crate::extract::{admit_caller, detached_authenticate, Presented};
use crate::rate_limit;
use crate::run_to_end::run_to_end;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use askama::Template;
use castellan_application::{AppError, Authenticated, Limited, Principal, TokenPair};
use futures::future::LocalBoxFuture;
use tracing::Instrument;

/// The access token's cookie.
const ACCESS: &str = "castellan_access";
/// The refresh token's cookie.
const REFRESH: &str = "castellan_refresh";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

/// Whether the request carries a console session cookie (then it is not anonymous: the
/// per-user limit applies once it authenticates, a bad one is charged to the IP).
pub fn has_session_cookie(req: &actix_web::dev::ServiceRequest) -> bool {
    req.path().starts_with(super::PREFIX)
        && (req.cookie(ACCESS).is_some() || req.cookie(REFRESH).is_some())
}

/// Keeps `pair` in the session cookies.
pub(crate) fn keep_tokens(req: &HttpRequest, state: &AppState, pair: &TokenPair) {
    let refresh_ttl = state.auth.config().refresh_ttl_secs;
    set_cookie(req, ACCESS, pair.access.clone(), Some(refresh_ttl));
    set_cookie(req, REFRESH, pair.refresh.clone(), Some(refresh_ttl));
}

/// Forgets the session.
fn forget_tokens(req: &HttpRequest) {
    remove_cookie(req, ACCESS);
    remove_cookie(req, REFRESH);
}

/// The signed-in person behind a console request, authenticated exactly as an API
/// request's bearer token is (the same use case, revocation check and per-user limit).
#[derive(Debug, Clone)]
pub(crate) struct Console(pub Principal);

impl FromRequest for Console {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, ConsoleError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::Internal("state missing".into()))?;
            let (access, refresh) = (cookie(&req, ACCESS), cookie(&req, REFRESH));
            if access.is_none() && refresh.is_none() {
                return Err(ConsoleError::LoginRequired);
            }
            let Some(Authenticated { principal, limit }) =
                authenticate(&state, &req, access, refresh).await?
            else {
                forget_tokens(&req);
                rate_limit::charge_failed_credential(&state, &req).await?;
                return Err(ConsoleError::LoginRequired);
            };
            admit(&req, &principal, limit)?;
            Ok(Console(principal))
        })
    }
}

/// The access token's caller; when it no longer works (expired), the refresh token's
/// (rotated, the new pair kept). `None` when neither works.
async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    access: Option<String>,
    refresh: Option<String>,
) -> Result<Option<Authenticated>, ConsoleError> {
    if let Some(access) = access {
        if let Ok(found) = detached_authenticate(state, Presented::Token(access)).await {
            return Ok(Some(found));
        }
    }
    let Some(refresh) = refresh else {
        return Ok(None);
    };
    let auth = state.auth.clone();
    let rotated = run_to_end(async move { auth.refresh(Some(refresh)).await }.in_current_span())
        .await
        .map_err(|panicked| AppError::Internal(panicked.to_string()))?;
    let Ok(pair) = rotated else {
        return Ok(None);
    };
    keep_tokens(req, state, &pair);
    Ok(detached_authenticate(state, Presented::Token(pair.access))
        .await
        .ok())
}

/// What the `Auth` extractor does once a caller is known (a console session is a
/// person's, never an API key's).
fn admit(
    req: &HttpRequest,
    principal: &Principal,
    limit: Option<Limited>,
) -> Result<(), ConsoleError> {
    principal.token("account")?;
    Ok(admit_caller(req, principal, limit)?)
}

/// The login page.
#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
}

/// `GET /console/login`.
async fn login_page(req: HttpRequest) -> Page {
    let page = LoginPage {
        chrome: Chrome::anonymous(&req, "Log in"),
        email: String::new(),
        error: None,
    };
    html(StatusCode::OK, &page)
}

/// `POST /console/login`: the API's login use case behind the API's login limits (the
/// same buckets: a console attempt counts against `POST /api/v1/auth/login` and the other
/// way round) and lockout.
async fn login(state: web::Data<AppState>, req: HttpRequest, form: Form) -> Page {
    let email = form.text("email");
    let password = form.raw("password").map(str::to_string);
    let attempt = crate::routes::auth::limited_login(&state, &req, email.clone(), password).await;
    let error = match attempt {
        Ok((pair, _user)) => {
            keep_tokens(&req, &state, &pair);
            csrf::rotate(&req);
            return Ok(see_other("/console"));
        }
        Err(
            err @ (ApiError::RateLimited(_)
            | ApiError::App(AppError::Locked { .. } | AppError::RateLimited { .. })),
        ) => return Err(err.into()),
        Err(ApiError::App(AppError::InvalidCredentials)) => {
            (StatusCode::UNAUTHORIZED, "Wrong email or password.")
        }
        Err(ApiError::App(AppError::Validation(_))) => {
            (StatusCode::BAD_REQUEST, "Enter your email and password.")
        }
        Err(err) => return Err(err.into()),
    };
    let page = LoginPage {
        chrome: Chrome::anonymous(&req, "Log in"),
        email: email.unwrap_or_default(),
        error: Some(error.1.to_string()),
    };
    html(error.0, &page)
}

/// `POST /console/logout`: ends the session (its tokens revoked) and forgets it.
async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    _form: Form,
) -> Page {
    state.auth.logout(&p).await?;
    state.record(|m| {
        m.revoked("access");
        m.revoked("session");
    });
    forget_tokens(&req);
    csrf::rotate(&req);
    Ok(see_other("/console/login"))
}
