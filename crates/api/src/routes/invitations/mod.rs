//! Invitations and the dev outbox.

pub(crate) mod dto;

use super::{endpoint, on, Routes};
use crate::envelope::{
    ok_list, ok_page, respond, Envelope, ErrorEnvelope, ListEnvelope, PageMeta, TotalMeta,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{client_info, from_body, Auth, Body};
use crate::list::{list_request, QueryMap};
use crate::rate_limit::{limit, OnFailure};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use castellan_application::{AcceptInput, AppError, Denial, InvitationInput};
use dto::{AcceptRequest, AcceptedDto, InvitationDto, InvitationRequest, OutboxMessageDto};
use uuid::Uuid;

pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint(
        "/tenants/{id}/invitations",
        [on::get(list), on::post(create)],
    ))
    .service(endpoint("/invitations/accept", [on::post(accept)]))
    .service(endpoint("/invitations/{id}", [on::delete(revoke)]))
    .service(endpoint("/dev/outbox", [on::get(outbox)]));
}

/// Invite an email into a tenant with a role; the token is shown once and mailed.
#[utoipa::path(post, path = "/api/v1/tenants/{id}/invitations", tag = "tenants", security(("bearer" = [])), request_body = InvitationRequest,
    params(("id" = Uuid, Path, description = "Tenant id")),
    responses(
        (status = 201, description = "Created (with `token`)", body = Envelope<InvitationDto>),
        (status = 400, description = "Invalid email or unknown role", body = ErrorEnvelope),
        (status = 403, description = "No `can_create` on `invitation`", body = ErrorEnvelope),
        (status = 404, description = "No such tenant, or another tenant", body = ErrorEnvelope),
        (status = 409, description = "The email already has an account", body = ErrorEnvelope),
    ))]
pub(crate) async fn create(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    let input = body
        .object()
        .and_then(from_body::<InvitationRequest>)
        .map(|request| InvitationInput {
            email: request.email,
            role: request.role,
        });
    let (invitation, token) = state.invitations.create(&p, id.into_inner(), input).await?;
    let now = chrono::Utc::now();
    Ok(respond(
        StatusCode::CREATED,
        InvitationDto::new(invitation, now, Some(token)),
    ))
}

/// A tenant's invitations, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{id}/invitations", tag = "tenants", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tenant id"), ("page" = Option<u32>, Query, description = "1-based page"), ("per_page" = Option<u32>, Query, description = "1–200")),
    responses(
        (status = 200, description = "A page", body = ListEnvelope<InvitationDto, PageMeta>),
        (status = 404, description = "No such tenant, or another tenant", body = ErrorEnvelope),
    ))]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let request = list_request(&query, &[], "")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.invitations.list(&p, id.into_inner(), request).await?;
    let now = chrono::Utc::now();
    let items = found
        .items
        .into_iter()
        .map(|i| InvitationDto::new(i, now, None))
        .collect();
    Ok(ok_page(items, page, per_page, found.total))
}

/// Revoke a pending invitation.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "tenants", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such invitation in the caller's tenant", body = ErrorEnvelope),
        (status = 409, description = "Already accepted, revoked or expired", body = ErrorEnvelope),
    ))]
pub(crate) async fn revoke(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    state.invitations.revoke(&p, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accept an invitation: the account is created in the inviting tenant with the invited
/// role, and logged in.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "tenants", request_body = AcceptRequest,
    responses(
        (status = 201, description = "Account created and logged in", body = Envelope<AcceptedDto>),
        (status = 400, description = "`invalid_invitation` (used, revoked, expired or unknown token), or an invalid field", body = ErrorEnvelope),
        (status = 409, description = "The email has an account by now", body = ErrorEnvelope),
        (status = 429, description = "Over the per-IP limit (`rate_limit.invitation_accepts_per_hour`), with `Retry-After`; every response carries the `RateLimit-*` headers", body = ErrorEnvelope),
    ))]
pub(crate) async fn accept(state: web::Data<AppState>, req: HttpRequest, body: Body) -> ApiResult {
    // The per-IP limit comes before anything else, the body included.
    limit(
        &state,
        &req,
        ("invitation_accept", None),
        OnFailure::Open,
        |l| l.invitation_accept,
    )
    .await?;
    accept_within_limit(state, req, body).await
}

async fn accept_within_limit(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body,
) -> ApiResult {
    let body: AcceptRequest = from_body(body.object()?)?;
    let input = AcceptInput {
        token: body.token,
        password: body.password,
        repeat_password: body.repeat_password,
        first_name: body.first_name,
        last_name: body.last_name,
    };
    let (user, tokens) = state.invitations.accept(input, client_info(&req)).await?;
    Ok(respond(
        StatusCode::CREATED,
        AcceptedDto {
            user: user.into(),
            tokens: tokens.into(),
        },
    ))
}

/// The dev mailer's messages to one address, newest first (superusers, and only when
/// `mail.dev_outbox_route` is on and no SMTP server is configured; otherwise 404).
#[utoipa::path(get, path = "/api/v1/dev/outbox", tag = "meta", security(("bearer" = [])),
    params(("to" = String, Query, description = "Recipient address")),
    responses(
        (status = 200, description = "Messages", body = ListEnvelope<OutboxMessageDto, TotalMeta>),
        (status = 400, description = "`to` missing", body = ErrorEnvelope),
        (status = 403, description = "Not a superuser", body = ErrorEnvelope),
        (status = 404, description = "The route is off", body = ErrorEnvelope),
    ))]
pub(crate) async fn outbox(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let Some(outbox) = state.outbox.as_ref() else {
        return Err(ApiError::RouteNotFound(req.path().to_string()));
    };
    if !p.subject.has_every_right() {
        let denial = Denial::new("outbox", "read").because("the outbox is for superusers");
        return Err(AppError::Forbidden(denial).into());
    }
    // Any non-empty address is a question with an answer (maybe no messages); addresses
    // are stored trimmed and lower-cased.
    let to = query
        .get("to")
        .filter(|t| !t.is_empty())
        .map(|t| t.trim().to_lowercase());
    let to = to.ok_or_else(|| ApiError::field("to", "to is required"))?;
    let messages = outbox.sent_to(&to).await.map_err(AppError::from)?;
    Ok(ok_list(
        messages
            .into_iter()
            .map(|(id, mail, sent_at)| OutboxMessageDto {
                id,
                to: mail.to,
                subject: mail.subject,
                body: mail.body,
                sent_at,
            })
            .collect(),
    ))
}
