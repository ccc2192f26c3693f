//! `/articles`: the whole resource in a few lines, the guard doing the rest.

use super::{endpoint, on};
use crate::dto::{ArticleDto, ArticleRequest};
use crate::envelope::{ok, ok_page, respond, Envelope, ErrorEnvelope, ListEnvelope, PageMeta};
use crate::error::ApiResult;
use crate::extract::{from_object, only_fields, Auth, Body};
use crate::list::{list_request, QueryMap};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use castellan_application::articles::ORDERABLE;
use castellan_application::ArticleInput;
use uuid::Uuid;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint("/articles", [on::get(list), on::post(create)]))
        .service(endpoint(
            "/articles/{id}",
            [
                on::get(get),
                on::put(replace),
                on::patch(patch),
                on::delete(delete),
            ],
        ));
}

const FIELDS: [&str; 2] = ["title", "content"];

fn article_input(body: Body) -> Result<ArticleInput, crate::error::ApiError> {
    let body = body.object()?;
    only_fields(&body, &FIELDS)?;
    let request: ArticleRequest = from_object(body)?;
    Ok(ArticleInput {
        title: request.title,
        content: request.content,
    })
}

/// Articles the caller may read: the tenant's with read-all, their own with read-own.
#[utoipa::path(get, path = "/api/v1/articles", tag = "articles", security(("bearer" = [])),
    params(
        ("page" = Option<u32>, Query, description = "1-based page (default 1)"),
        ("per_page" = Option<u32>, Query, description = "1–200 (default 50)"),
        ("ordering" = Option<String>, Query, description = "`created_at`, `updated_at`, `title`; `-` for descending; comma-separated (default `-created_at`)"),
        ("search" = Option<String>, Query, description = "Case-insensitive text in title or content"),
        ("owner_id" = Option<Uuid>, Query, description = "Only this owner's articles"),
        ("tenant_id" = Option<Uuid>, Query, description = "Superusers only: one tenant"),
    ),
    responses(
        (status = 200, description = "A page", body = ListEnvelope<ArticleDto, PageMeta>),
        (status = 400, description = "A bad query parameter (`field` names it)", body = ErrorEnvelope),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 403, description = "No read rule on `article`", body = ErrorEnvelope),
    ))]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Auth(principal): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let request = list_request(&query, &ORDERABLE, "-created_at")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.articles.list(&principal, request).await?;
    let items = found.items.into_iter().map(ArticleDto::from).collect();
    Ok(ok_page(items, page, per_page, found.total))
}

/// Create an article owned by the caller.
#[utoipa::path(post, path = "/api/v1/articles", tag = "articles", security(("bearer" = [])), request_body = ArticleRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<ArticleDto>),
        (status = 400, description = "Invalid field, or `owner_id`/`tenant_id` sent", body = ErrorEnvelope),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 403, description = "No `can_create`", body = ErrorEnvelope),
    ))]
pub(crate) async fn create(
    state: web::Data<AppState>,
    Auth(principal): Auth,
    body: Body,
) -> ApiResult {
    castellan_application::guard::ensure_create(
        &principal,
        castellan_application::articles::ELEMENT,
    )?;
    let article = state
        .articles
        .create(&principal, article_input(body)?)
        .await?;
    Ok(respond(StatusCode::CREATED, ArticleDto::from(article)))
}

/// One article (404 when the caller may not read it).
#[utoipa::path(get, path = "/api/v1/articles/{id}", tag = "articles", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Article id")),
    responses(
        (status = 200, description = "The article", body = Envelope<ArticleDto>),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 403, description = "No rule on `article`", body = ErrorEnvelope),
        (status = 404, description = "No such article, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn get(
    state: web::Data<AppState>,
    Auth(principal): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    let article = state.articles.get(&principal, id.into_inner()).await?;
    Ok(ok(ArticleDto::from(article)))
}

async fn update(
    state: web::Data<AppState>,
    principal: Auth,
    id: Uuid,
    body: Body,
    replace: bool,
) -> ApiResult {
    // Visibility and rights first (404/403), then the body (400).
    let Auth(principal) = principal;
    state.articles.get(&principal, id).await?;
    let input = article_input(body)?;
    let article = state
        .articles
        .update(&principal, id, input, replace)
        .await?;
    Ok(ok(ArticleDto::from(article)))
}

/// Replace an article's fields (`title` required).
#[utoipa::path(put, path = "/api/v1/articles/{id}", tag = "articles", security(("bearer" = [])), request_body = ArticleRequest,
    params(("id" = Uuid, Path, description = "Article id")),
    responses(
        (status = 200, description = "Updated", body = Envelope<ArticleDto>),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 403, description = "Visible but not the caller's to change", body = ErrorEnvelope),
        (status = 404, description = "No such article, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn replace(
    state: web::Data<AppState>,
    principal: Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    update(state, principal, id.into_inner(), body, true).await
}

/// Change some of an article's fields.
#[utoipa::path(patch, path = "/api/v1/articles/{id}", tag = "articles", security(("bearer" = [])), request_body = ArticleRequest,
    params(("id" = Uuid, Path, description = "Article id")),
    responses(
        (status = 200, description = "Updated", body = Envelope<ArticleDto>),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 403, description = "Visible but not the caller's to change", body = ErrorEnvelope),
        (status = 404, description = "No such article, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn patch(
    state: web::Data<AppState>,
    principal: Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    update(state, principal, id.into_inner(), body, false).await
}

/// Delete an article.
#[utoipa::path(delete, path = "/api/v1/articles/{id}", tag = "articles", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Article id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 403, description = "Visible but not the caller's to delete", body = ErrorEnvelope),
        (status = 404, description = "No such article, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn delete(
    state: web::Data<AppState>,
    Auth(principal): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    state.articles.delete(&principal, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
