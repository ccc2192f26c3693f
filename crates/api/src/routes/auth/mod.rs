//! `/auth/*`: the authentication lifecycle. Each handler parses, calls one use case and maps
//! the result.

pub(crate) mod dto;

use super::{endpoint, on, Routes};
use crate::envelope::{
    ok, ok_list, respond, EmptyEnvelope, Envelope, ErrorEnvelope, ListEnvelope, TotalMeta,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{
    client_info, from_body, refuse_api_key, Auth, Body, OptionalJsonBody, PersonAuth,
};
use crate::rate_limit::{admit, bucket, limit, Applied, OnFailure, RateLimits};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use castellan_application::{
    AppError, LoginInput, PasswordChangeInput, ProfilePatch, RegisterInput, ResetConfirmInput,
    TokenPair, UserView,
};
use castellan_domain::SessionId;
use dto::{
    LoginDto, LoginRequest, MeDto, PasswordChangeRequest, PasswordResetConfirmRequest,
    PasswordResetRequest, ProfilePatchRequest, RefreshRequest, RegisterRequest, SessionDto,
    TokenPairDto, UserDto,
};
use uuid::Uuid;

pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint("/auth/register", [on::post(register)]))
        .service(endpoint("/auth/login", [on::post(login)]))
        .service(endpoint("/auth/refresh", [on::post(refresh)]))
        .service(endpoint("/auth/logout", [on::post(logout)]))
        .service(endpoint("/auth/logout-all", [on::post(logout_all)]))
        .service(endpoint(
            "/auth/me",
            [on::get(me), on::patch(update_me), on::delete(delete_me)],
        ))
        .service(endpoint(
            "/auth/password/change",
            [on::post(change_password)],
        ))
        .service(endpoint("/auth/password-reset", [on::post(password_reset)]))
        .service(endpoint(
            "/auth/password-reset/confirm",
            [on::post(password_reset_confirm)],
        ))
        .service(endpoint("/auth/sessions", [on::get(sessions)]))
        .service(endpoint(
            "/auth/sessions/{id}",
            [on::delete(revoke_session)],
        ));
}

/// An email as a rate-limit bucket names it: normalized, and at most as long as an address
/// can be (a longer one is no address; its bucket must not grow with the body).
fn bucket_email(email: &str) -> String {
    email.trim().to_lowercase().chars().take(254).collect()
}

/// The per-IP login limit alone: for a login that never reaches its use case (an API key,
/// a body that is no JSON object), so that a limited address is told 429 all the same.
async fn login_ip_limit(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    limit(state, req, (LOGIN_PER_IP, None), OnFailure::Closed, |l| {
        l.login_per_ip
    })
    .await
}

/// The login limits: per IP, and per IP + email once the body names one.
const LOGIN_PER_IP: &str = "login";
const LOGIN_PER_IP_EMAIL: &str = "login_email";

/// A login attempt once its body is read, shared by `POST /api/v1/auth/login` and the
/// console's login form: the login use case, which takes the per-IP and per-IP + email
/// buckets in the same step as its lockout check (one round trip to Redis), and the login
/// metrics. Both limits fail closed, as does the lockout behind them.
pub(crate) async fn limited_login(
    state: &AppState,
    req: &HttpRequest,
    email: Option<String>,
    password: Option<String>,
) -> Result<(TokenPair, UserView), ApiError> {
    let limits = state.rate_limits.as_ref();
    let mut named = Vec::with_capacity(2);
    if let Some(limits) = limits {
        named.push((LOGIN_PER_IP, None, limits.login_per_ip));
        if let Some(email) = &email {
            let who = Some(bucket_email(email));
            named.push((LOGIN_PER_IP_EMAIL, who, limits.login_per_ip_email));
        }
    }
    let ip = crate::client_ip::of(req);
    let buckets = named
        .iter()
        .map(|(name, who, quota)| bucket(name, who.as_deref(), ip, *quota))
        .collect();
    let input = LoginInput {
        email,
        password,
        limits: buckets,
    };
    let attempt = state.auth.login(input, client_info(req)).await;
    for ((name, _, quota), decision) in named.iter().zip(&attempt.limits) {
        admit(req, Applied::new(name, *quota, *decision))?;
    }
    let outcome = match &attempt.result {
        Ok(_) => Some("success"),
        Err(AppError::InvalidCredentials) => Some("failure"),
        Err(AppError::Locked { .. }) => Some("locked"),
        Err(_) => None,
    };
    if let Some(outcome) = outcome {
        state.record(|m| m.login(outcome));
    }
    Ok(attempt.result?)
}

/// Create an account in the default tenant.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<UserDto>),
        (status = 400, description = "Invalid field (one error per field)", body = ErrorEnvelope),
        (status = 403, description = "Registration disabled", body = ErrorEnvelope),
        (status = 409, description = "Email taken", body = ErrorEnvelope),
        (status = 429, description = "Over `rate_limit.register_per_hour` per IP, with `Retry-After`; every response carries the `RateLimit-*` headers", body = ErrorEnvelope),
    ))]
pub(crate) async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body,
) -> ApiResult {
    // The per-IP limit comes before anything else, the body included.
    limit(&state, &req, ("register", None), OnFailure::Open, |l| {
        l.register
    })
    .await?;
    refuse_api_key(&req)?;
    let body: RegisterRequest = from_body(body.object()?)?;
    let user = state
        .auth
        .register(RegisterInput {
            email: body.email,
            password: body.password,
            repeat_password: body.repeat_password,
            first_name: body.first_name,
            last_name: body.last_name,
            patronymic: body.patronymic,
        })
        .await?;
    Ok(respond(StatusCode::CREATED, UserDto::from(user)))
}

/// Log in with email and password; opens a session.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = Envelope<LoginDto>),
        (status = 400, description = "Missing field", body = ErrorEnvelope),
        (status = 401, description = "`invalid_credentials`: wrong password, unknown email or inactive user alike", body = ErrorEnvelope),
        (status = 429, description = "`rate_limited`: over `rate_limit.login_per_ip_per_minute` or `rate_limit.login_per_ip_email_per_minute`, or the email is locked out after repeated failures (from this address, or from everywhere); `Retry-After` gives the seconds to wait. Every response carries the `RateLimit-*` headers", body = ErrorEnvelope),
        (status = 503, description = "The rate-limit and lockout counters are unreachable: logins fail closed", body = ErrorEnvelope),
    ))]
pub(crate) async fn login(state: web::Data<AppState>, req: HttpRequest, body: Body) -> ApiResult {
    // Per IP before anything else, then per IP + email once the body names one; both fail
    // closed (so does the lockout behind them).
    let body = refuse_api_key(&req).and_then(|()| from_body::<LoginRequest>(body.object()?));
    let body = match body {
        Ok(body) => body,
        Err(err) => {
            login_ip_limit(&state, &req).await?;
            return Err(err);
        }
    };
    let result = limited_login(&state, &req, body.email, body.password).await;
    let (tokens, user) = result?;
    Ok(ok(LoginDto {
        tokens: tokens.into(),
        user: user.into(),
    }))
}

/// Rotate a refresh token. Reusing a rotated token revokes its whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New pair; the presented refresh token is spent", body = Envelope<TokenPairDto>),
        (status = 400, description = "`refresh` missing", body = ErrorEnvelope),
        (status = 401, description = "Unknown, expired, rotated (session revoked) or access token", body = ErrorEnvelope),
    ))]
pub(crate) async fn refresh(state: web::Data<AppState>, req: HttpRequest, body: Body) -> ApiResult {
    refuse_api_key(&req)?;
    let body: RefreshRequest = from_body(body.object()?)?;
    let pair = state.auth.refresh(body.refresh).await?;
    Ok(ok(TokenPairDto::from(pair)))
}

/// End the current session and revoke the current access token. An optional `{refresh}`
/// body is accepted; the current session's refresh token stops working either way.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body(content = Option<RefreshRequest>),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 503, description = "Token store unreachable: nothing was changed", body = ErrorEnvelope),
    ))]
pub(crate) async fn logout(
    state: web::Data<AppState>,
    PersonAuth(principal): PersonAuth,
    OptionalJsonBody(_body): OptionalJsonBody<RefreshRequest>,
) -> ApiResult {
    state.auth.logout(&principal).await?;
    state.record(|m| {
        m.revoked("access");
        m.revoked("session");
    });
    Ok(HttpResponse::NoContent().finish())
}

/// Revoke every access and refresh token of the caller issued so far.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Every token revoked"),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
    ))]
pub(crate) async fn logout_all(
    state: web::Data<AppState>,
    PersonAuth(principal): PersonAuth,
) -> ApiResult {
    state.auth.logout_all(&principal).await?;
    state.record(|m| m.revoked("all"));
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Envelope<MeDto>),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
    ))]
pub(crate) async fn me(state: web::Data<AppState>, Auth(principal): Auth) -> ApiResult {
    let (user, permissions) = futures::join!(
        state.auth.me(&principal),
        state.access.permissions(&principal)
    );
    Ok(ok(MeDto {
        user: user?.into(),
        permissions: permissions?
            .into_iter()
            .map(|(element, p)| (element, p.into()))
            .collect(),
    }))
}

/// Update the caller's names. Any other field → 400 on that field, nothing changes.
#[utoipa::path(patch, path = "/api/v1/auth/me", tag = "auth", request_body = ProfilePatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Envelope<UserDto>),
        (status = 400, description = "A field that may not be changed here, or a bad value", body = ErrorEnvelope),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
    ))]
pub(crate) async fn update_me(
    state: web::Data<AppState>,
    PersonAuth(principal): PersonAuth,
    body: Body,
) -> ApiResult {
    // Read after the caller is known: a key gets its 403 whatever the body.
    let patch: ProfilePatchRequest = from_body(body.object()?)?;
    let user = state
        .auth
        .update_me(
            &principal,
            ProfilePatch {
                first_name: patch.first_name,
                last_name: patch.last_name,
                patronymic: patch.patronymic,
            },
        )
        .await?;
    Ok(ok(UserDto::from(user)))
}

/// Soft-delete the caller: inactive, every session and token revoked.
#[utoipa::path(delete, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
    ))]
pub(crate) async fn delete_me(
    state: web::Data<AppState>,
    PersonAuth(principal): PersonAuth,
) -> ApiResult {
    state.auth.delete_me(&principal).await?;
    state.record(|m| m.revoked("all"));
    Ok(HttpResponse::NoContent().finish())
}

/// Change the password; every session is revoked and a fresh pair returned.
#[utoipa::path(post, path = "/api/v1/auth/password/change", tag = "auth", request_body = PasswordChangeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed; a new session", body = Envelope<TokenPairDto>),
        (status = 400, description = "Wrong `current_password`, weak `new_password` or mismatched `repeat_password`", body = ErrorEnvelope),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
    ))]
pub(crate) async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    PersonAuth(principal): PersonAuth,
    body: Body,
) -> ApiResult {
    let body: PasswordChangeRequest = from_body(body.object()?)?;
    let input = PasswordChangeInput {
        current_password: body.current_password,
        new_password: body.new_password,
        repeat_password: body.repeat_password,
    };
    let pair = state
        .auth
        .change_password(&principal, input, client_info(&req))
        .await?;
    state.record(|m| m.revoked("all"));
    Ok(ok(TokenPairDto::from(pair)))
}

/// The caller's active sessions, newest first.
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Active sessions", body = ListEnvelope<SessionDto, TotalMeta>),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
    ))]
pub(crate) async fn sessions(
    state: web::Data<AppState>,
    PersonAuth(principal): PersonAuth,
) -> ApiResult {
    let sessions = state.auth.sessions(&principal).await?;
    Ok(ok_list(
        sessions.into_iter().map(SessionDto::from).collect(),
    ))
}

/// Revoke one of the caller's sessions: its refresh and access tokens stop at once.
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 404, description = "No such active session of the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn revoke_session(
    state: web::Data<AppState>,
    PersonAuth(principal): PersonAuth,
    path: web::Path<Uuid>,
) -> ApiResult {
    state
        .auth
        .revoke_session(&principal, SessionId(path.into_inner()))
        .await?;
    state.record(|m| m.revoked("session"));
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password-reset token by mail. The answer is the same, in about the same time,
/// whatever the email; only an active account is mailed a token (valid 1 h; a newer request
/// voids the older).
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted (`data` is null), whether or not the email has an account", body = EmptyEnvelope),
        (status = 400, description = "`email` missing or not an address", body = ErrorEnvelope),
        (status = 429, description = "Over `rate_limit.password_reset_per_hour` per IP + email, with `Retry-After`", body = ErrorEnvelope),
    ))]
pub(crate) async fn password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body,
) -> ApiResult {
    refuse_api_key(&req)?;
    let body: PasswordResetRequest = from_body(body.object()?)?;
    if let Some(email) = &body.email {
        let email = Some(bucket_email(email));
        let quota = |l: &RateLimits| l.password_reset;
        limit(
            &state,
            &req,
            ("password_reset", email.as_deref()),
            OnFailure::Open,
            quota,
        )
        .await?;
    }
    state.auth.request_password_reset(body.email).await?;
    Ok(HttpResponse::Accepted().json(EmptyEnvelope::default()))
}

/// Set a new password with a mailed token. Every session and token of the user is revoked
/// and the login lockout cleared; API keys stay.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirmRequest,
    responses(
        (status = 204, description = "Password set"),
        (status = 400, description = "`invalid_token` on `token` (unknown, used, voided or expired; checked first), else `validation_error` on `new_password` / `repeat_password` (the token stays usable)", body = ErrorEnvelope),
    ))]
pub(crate) async fn password_reset_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body,
) -> ApiResult {
    refuse_api_key(&req)?;
    let body: PasswordResetConfirmRequest = from_body(body.object()?)?;
    let input = ResetConfirmInput {
        token: body.token,
        new_password: body.new_password,
        repeat_password: body.repeat_password,
    };
    state.auth.confirm_password_reset(input).await?;
    state.record(|m| m.revoked("all"));
    Ok(HttpResponse::NoContent().finish())
}
