//! `/api-keys`: keys for machines, made and managed by people (a key gets 403 here).

pub(crate) mod dto;

use super::{endpoint, on, Routes};
use crate::envelope::{ok, ok_page, respond, Envelope, ErrorEnvelope, ListEnvelope, PageMeta};
use crate::error::ApiResult;
use crate::extract::{from_body, Body, PersonAuth};
use crate::list::{list_request, QueryMap};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use castellan_application::ApiKeyInput;
use dto::{ApiKeyDto, ApiKeyRequest};
use uuid::Uuid;

pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint("/api-keys", [on::get(list), on::post(create)]))
        .service(endpoint(
            "/api-keys/{id}",
            [on::get(get), on::delete(delete)],
        ));
}

/// Create an API key acting as the caller within `scopes`; the key is shown once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api_keys", security(("bearer" = [])), request_body = ApiKeyRequest,
    responses(
        (status = 201, description = "Created (with `key`, shown this once)", body = Envelope<ApiKeyDto>),
        (status = 400, description = "Bad `name`, a malformed or `api_key:` scope or an unknown element on `scopes`, or `expires_at` not in the future", body = ErrorEnvelope),
        (status = 403, description = "No `can_create` on `api_key`, or the request was made with an API key", body = ErrorEnvelope),
    ))]
pub(crate) async fn create(
    state: web::Data<AppState>,
    PersonAuth(p): PersonAuth,
    body: Body,
) -> ApiResult {
    let input = body
        .object()
        .and_then(from_body::<ApiKeyRequest>)
        .map(|request| ApiKeyInput {
            name: request.name,
            scopes: request.scopes,
            expires_at: request.expires_at,
        });
    let (key, secret) = state.api_keys.create(&p, input).await?;
    Ok(respond(
        StatusCode::CREATED,
        ApiKeyDto::new(key, Some(secret)),
    ))
}

/// The caller's keys (read-own), or the tenant's (read-all; superusers: every tenant's, or
/// `?tenant_id=`), newest first.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api_keys", security(("bearer" = [])),
    params(
        ("page" = Option<u32>, Query, description = "1-based page"),
        ("per_page" = Option<u32>, Query, description = "1–200"),
        ("owner_id" = Option<Uuid>, Query, description = "Only this user's keys"),
        ("tenant_id" = Option<Uuid>, Query, description = "Superusers: only this tenant's keys"),
    ),
    responses(
        (status = 200, description = "A page", body = ListEnvelope<ApiKeyDto, PageMeta>),
        (status = 403, description = "No read rule on `api_key`, or the request was made with an API key", body = ErrorEnvelope),
    ))]
pub(crate) async fn list(
    state: web::Data<AppState>,
    PersonAuth(p): PersonAuth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let request = list_request(&query, &[], "")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.api_keys.list(&p, request).await?;
    let items = found
        .items
        .into_iter()
        .map(|k| ApiKeyDto::new(k, None))
        .collect();
    Ok(ok_page(items, page, per_page, found.total))
}

/// One key (never its secret).
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api_keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key", body = Envelope<ApiKeyDto>),
        (status = 403, description = "The request was made with an API key, or no read rule on `api_key`", body = ErrorEnvelope),
        (status = 404, description = "No such key, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn get(
    state: web::Data<AppState>,
    PersonAuth(p): PersonAuth,
    id: web::Path<Uuid>,
) -> ApiResult {
    let key = state.api_keys.get(&p, id.into_inner()).await?;
    Ok(ok(ApiKeyDto::new(key, None)))
}

/// Delete a key: its next request is a 401, its id a 404.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api_keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Visible but not deletable by the caller, or the request was made with an API key", body = ErrorEnvelope),
        (status = 404, description = "No such key, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn delete(
    state: web::Data<AppState>,
    PersonAuth(p): PersonAuth,
    id: web::Path<Uuid>,
) -> ApiResult {
    state.api_keys.delete(&p, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
