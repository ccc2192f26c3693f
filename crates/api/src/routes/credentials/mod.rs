//! `/credentials`: the credential vault. Secrets go in on create and on
//! `PUT /credentials/{id}/secret`, and come out only from `POST /credentials/{id}/reveal`.

pub(crate) mod dto;

use super::{endpoint, on, Routes};
use crate::envelope::{ok, ok_page, respond, Envelope, ErrorEnvelope, ListEnvelope, PageMeta};
use crate::error::{ApiError, ApiResult};
use crate::extract::{from_body, Auth, Body};
use crate::list::{list_request, QueryMap};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use castellan_application::NewCredential;
use castellan_domain::credential::CredentialInput;
use dto::{
    CredentialCreateRequest, CredentialDto, CredentialPatchRequest, RevealDto, SecretRequest,
};
use serde_json::{Map, Value};
use uuid::Uuid;
use zeroize::Zeroizing;

pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint("/credentials", [on::get(list), on::post(create)]))
        .service(endpoint(
            "/credentials/{id}",
            [on::get(get), on::patch(update), on::delete(delete)],
        ))
        .service(endpoint(
            "/credentials/{id}/secret",
            [on::put(replace_secret)],
        ))
        .service(endpoint("/credentials/{id}/reveal", [on::post(reveal)]));
}

/// Takes `secret` out of a body before anything else reads it: a string (wiped from memory
/// when dropped), or a 400 that does not echo the value.
fn take_secret(body: &mut Map<String, Value>) -> Result<Option<Zeroizing<String>>, ApiError> {
    match body.remove("secret") {
        None => Ok(None),
        Some(Value::String(secret)) => Ok(Some(Zeroizing::new(secret))),
        Some(_) => Err(ApiError::field("secret", "secret must be a string")),
    }
}

/// The describing fields of a body whose secret was taken out.
fn describing(
    name: Option<String>,
    provider: Option<String>,
    metadata: Option<Value>,
) -> CredentialInput {
    CredentialInput {
        name,
        provider,
        metadata,
    }
}

/// Store a secret: encrypted with a data key of its own, never returned by this route.
#[utoipa::path(post, path = "/api/v1/credentials", tag = "credentials", security(("bearer" = []), ("api_key" = [])), request_body = CredentialCreateRequest,
    responses(
        (status = 201, description = "Stored (without the secret)", body = Envelope<CredentialDto>),
        (status = 400, description = "Bad `name`, `provider`, `secret` or `metadata`", body = ErrorEnvelope),
        (status = 403, description = "No `can_create` on `credential`", body = ErrorEnvelope),
        (status = 409, description = "The tenant has a credential of this `name`", body = ErrorEnvelope),
    ))]
pub(crate) async fn create(state: web::Data<AppState>, Auth(p): Auth, body: Body) -> ApiResult {
    let input = body.object().and_then(|mut map| {
        let secret = take_secret(&mut map)?;
        let request = from_body::<CredentialCreateRequest>(map)?;
        Ok(NewCredential {
            fields: describing(request.name, request.provider, request.metadata),
            secret,
        })
    });
    let credential = state.vault.create(&p, input).await?;
    Ok(respond(
        StatusCode::CREATED,
        CredentialDto::from(credential),
    ))
}

/// The credentials the caller may see (their own with read-own, the tenant's with
/// read-all), newest first; never a secret.
#[utoipa::path(get, path = "/api/v1/credentials", tag = "credentials", security(("bearer" = []), ("api_key" = [])),
    params(
        ("page" = Option<u32>, Query, description = "1-based page"),
        ("per_page" = Option<u32>, Query, description = "1–200"),
        ("search" = Option<String>, Query, description = "Case-insensitive match on name and provider"),
        ("owner_id" = Option<Uuid>, Query, description = "Only this user's credentials"),
        ("tenant_id" = Option<Uuid>, Query, description = "Superusers: only this tenant's"),
    ),
    responses(
        (status = 200, description = "A page", body = ListEnvelope<CredentialDto, PageMeta>),
        (status = 403, description = "No read rule on `credential`", body = ErrorEnvelope),
    ))]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let request = list_request(&query, &[], "")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.vault.list(&p, request).await?;
    let items = found.items.into_iter().map(CredentialDto::from).collect();
    Ok(ok_page(items, page, per_page, found.total))
}

/// One credential (never its secret).
#[utoipa::path(get, path = "/api/v1/credentials/{id}", tag = "credentials", security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The credential", body = Envelope<CredentialDto>),
        (status = 403, description = "No read rule on `credential`", body = ErrorEnvelope),
        (status = 404, description = "No such credential, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn get(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    let credential = state.vault.get(&p, id.into_inner()).await?;
    Ok(ok(CredentialDto::from(credential)))
}

/// Change `name`, `provider` or `metadata` (the fields sent).
#[utoipa::path(patch, path = "/api/v1/credentials/{id}", tag = "credentials", security(("bearer" = []), ("api_key" = [])), request_body = CredentialPatchRequest,
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "Changed", body = Envelope<CredentialDto>),
        (status = 400, description = "Bad `name`, `provider` or `metadata`, or a `secret` (it has its own route)", body = ErrorEnvelope),
        (status = 403, description = "Visible but not updatable by the caller", body = ErrorEnvelope),
        (status = 404, description = "No such credential, or not visible to the caller", body = ErrorEnvelope),
        (status = 409, description = "The tenant has a credential of this `name`", body = ErrorEnvelope),
    ))]
pub(crate) async fn update(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    let input = body
        .object()
        .and_then(from_body::<CredentialPatchRequest>)
        .map(|r| describing(r.name, r.provider, r.metadata));
    let credential = state.vault.update(&p, id.into_inner(), input).await?;
    Ok(ok(CredentialDto::from(credential)))
}

/// Replace the secret (a fresh data key; `rotated_at` is set).
#[utoipa::path(put, path = "/api/v1/credentials/{id}/secret", tag = "credentials", security(("bearer" = []), ("api_key" = [])), request_body = SecretRequest,
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "Replaced (the credential, without the secret)", body = Envelope<CredentialDto>),
        (status = 400, description = "Bad `secret`", body = ErrorEnvelope),
        (status = 403, description = "Visible but not updatable by the caller", body = ErrorEnvelope),
        (status = 404, description = "No such credential, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn replace_secret(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    let secret = body.object().and_then(|mut map| {
        let secret = take_secret(&mut map)?;
        from_body::<SecretRequest>(map)?;
        Ok(secret)
    });
    let credential = state
        .vault
        .replace_secret(&p, id.into_inner(), secret)
        .await?;
    Ok(ok(CredentialDto::from(credential)))
}

/// The secret in plaintext: needs update rights on the credential; audited as
/// `credential.reveal`. The response is never cached (`Cache-Control: no-store`).
#[utoipa::path(post, path = "/api/v1/credentials/{id}/reveal", tag = "credentials", security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The secret", body = Envelope<RevealDto>),
        (status = 403, description = "Visible but not updatable by the caller", body = ErrorEnvelope),
        (status = 404, description = "No such credential, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn reveal(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    let secret = state.vault.reveal(&p, id.into_inner()).await?;
    let mut response = ok(RevealDto { secret: &secret });
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Delete a credential and its secret.
#[utoipa::path(delete, path = "/api/v1/credentials/{id}", tag = "credentials", security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Visible but not deletable by the caller", body = ErrorEnvelope),
        (status = 404, description = "No such credential, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn delete(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    state.vault.delete(&p, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
