//! `/tenants` and `/users`: tenants bootstrapping themselves, users administered within one.

pub(crate) mod dto;

use super::auth::dto::UserDto;
use super::{endpoint, on, Routes};
use crate::envelope::{ok, ok_page, respond, Envelope, ErrorEnvelope, ListEnvelope, PageMeta};
use crate::error::{ApiError, ApiResult};
use crate::extract::{from_body, only_fields_in, struct_fields, Auth, Body, OptionalAuth};
use crate::list::{list_request, QueryMap};
use crate::rate_limit::{limit, OnFailure};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use castellan_application::users::ORDERABLE;
use castellan_application::{NewUserInput, TenantInput, TenantPatch, UserPatch};
use castellan_domain::UserId;
use dto::{
    NewUserRequest, TenantAdminRequest, TenantCreatedDto, TenantDto, TenantPatchRequest,
    TenantRequest, UserPatchRequest,
};
use uuid::Uuid;

pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint(
        "/tenants",
        [on::get(list_tenants), on::post(create_tenant)],
    ))
    .service(endpoint(
        "/tenants/{id}",
        [on::get(get_tenant), on::patch(update_tenant)],
    ))
    .service(endpoint(
        "/users",
        [on::get(list_users), on::post(create_user)],
    ))
    .service(endpoint(
        "/users/{id}",
        [
            on::get(get_user),
            on::patch(update_user),
            on::delete(delete_user),
        ],
    ));
}

/// Create a tenant with its system roles (Admin, User, Guest) and its first admin, all or
/// nothing. Public when `tenants.self_service` is on (the default), else superusers only.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", request_body = TenantRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<TenantCreatedDto>),
        (status = 400, description = "Invalid field (`name`, `slug`, `admin.email`, `admin.password`, ...)", body = ErrorEnvelope),
        (status = 401, description = "Self-service off and no superuser token", body = ErrorEnvelope),
        (status = 403, description = "Self-service off and the caller is no superuser", body = ErrorEnvelope),
        (status = 409, description = "Slug or admin email taken: nothing is created", body = ErrorEnvelope),
        (status = 429, description = "Over the per-IP limit (`rate_limit.tenants_per_hour`); `Retry-After` says when to retry. Every response carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`", body = ErrorEnvelope),
    ))]
pub(crate) async fn create_tenant(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: OptionalAuth,
    body: Body,
) -> ApiResult {
    // The per-IP limit comes before anything else.
    limit(
        &state,
        &req,
        ("tenant_create", None),
        OnFailure::Open,
        |l| l.tenant_create,
    )
    .await?;
    create_tenant_within_limit(state, auth, body).await
}

/// `POST /tenants`'s body (the nested `admin` object's keys are checked too).
fn tenant_input(body: Body) -> Result<TenantInput, ApiError> {
    let body = body.object()?;
    if let Some(admin) = body.get("admin") {
        let Some(admin) = admin.as_object() else {
            return Err(ApiError::field("admin", "admin must be an object"));
        };
        let allowed = struct_fields::<TenantAdminRequest>().unwrap_or_default();
        only_fields_in(admin, allowed, "admin")?;
    }
    let request: TenantRequest = from_body(body)?;
    let admin = request.admin;
    Ok(TenantInput {
        name: request.name,
        slug: request.slug,
        admin_email: admin.as_ref().and_then(|a| a.email.clone()),
        admin_password: admin.as_ref().and_then(|a| a.password.clone()),
        admin_first_name: admin.as_ref().and_then(|a| a.first_name.clone()),
        admin_last_name: admin.as_ref().and_then(|a| a.last_name.clone()),
    })
}

async fn create_tenant_within_limit(
    state: web::Data<AppState>,
    OptionalAuth(p): OptionalAuth,
    body: Body,
) -> ApiResult {
    let (tenant, admin_user_id) = state.tenants.create(p.as_ref(), tenant_input(body)).await?;
    Ok(respond(
        StatusCode::CREATED,
        TenantCreatedDto {
            tenant: tenant.into(),
            admin_user_id: admin_user_id.0,
        },
    ))
}

/// Tenants: superusers see all (`?tenant_id=` for one), everyone else only their own.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants", security(("bearer" = [])),
    params(("page" = Option<u32>, Query, description = "1-based page"), ("per_page" = Option<u32>, Query, description = "1–200")),
    responses(
        (status = 200, description = "A page", body = ListEnvelope<TenantDto, PageMeta>),
        (status = 403, description = "No read rule on `tenant`", body = ErrorEnvelope),
    ))]
pub(crate) async fn list_tenants(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let request = list_request(&query, &[], "")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.tenants.list(&p, request).await?;
    Ok(ok_page(
        found.items.into_iter().map(TenantDto::from).collect(),
        page,
        per_page,
        found.total,
    ))
}

/// One tenant (another tenant's: 404, superusers aside).
#[utoipa::path(get, path = "/api/v1/tenants/{id}", tag = "tenants", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The tenant", body = Envelope<TenantDto>),
        (status = 404, description = "No such tenant, or another tenant", body = ErrorEnvelope),
    ))]
pub(crate) async fn get_tenant(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    Ok(ok(TenantDto::from(
        state.tenants.get(&p, id.into_inner()).await?,
    )))
}

/// Rename or (de)activate a tenant.
#[utoipa::path(patch, path = "/api/v1/tenants/{id}", tag = "tenants", security(("bearer" = [])), request_body = TenantPatchRequest,
    params(("id" = Uuid, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "Updated", body = Envelope<TenantDto>),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 404, description = "No such tenant, or another tenant", body = ErrorEnvelope),
    ))]
pub(crate) async fn update_tenant(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    let patch = body
        .object()
        .and_then(from_body::<TenantPatchRequest>)
        .map(|request| TenantPatch {
            name: request.name,
            is_active: request.is_active,
        });
    Ok(ok(TenantDto::from(
        state.tenants.update(&p, id.into_inner(), patch).await?,
    )))
}

/// Users of the caller's tenant (superusers: every tenant, or `?tenant_id=`).
#[utoipa::path(get, path = "/api/v1/users", tag = "tenants", security(("bearer" = [])),
    params(
        ("page" = Option<u32>, Query, description = "1-based page"),
        ("per_page" = Option<u32>, Query, description = "1–200 (default 50)"),
        ("ordering" = Option<String>, Query, description = "`email`, `created_at` (default `email`)"),
        ("search" = Option<String>, Query, description = "Text in email or names"),
        ("tenant_id" = Option<Uuid>, Query, description = "Superusers only"),
    ),
    responses(
        (status = 200, description = "A page (soft-deleted users included, inactive)", body = ListEnvelope<UserDto, PageMeta>),
        (status = 403, description = "No read rule on `user`", body = ErrorEnvelope),
    ))]
pub(crate) async fn list_users(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let request = list_request(&query, &ORDERABLE, "email")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.users.list(&p, request).await?;
    Ok(ok_page(
        found.items.into_iter().map(UserDto::from).collect(),
        page,
        per_page,
        found.total,
    ))
}

/// Create a user in the caller's tenant with exactly `roles` (default `User`).
#[utoipa::path(post, path = "/api/v1/users", tag = "tenants", security(("bearer" = [])), request_body = NewUserRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<UserDto>),
        (status = 400, description = "Invalid field, or a role the tenant does not have (`roles`)", body = ErrorEnvelope),
        (status = 403, description = "No `can_create` on `user`", body = ErrorEnvelope),
        (status = 409, description = "Email taken", body = ErrorEnvelope),
    ))]
pub(crate) async fn create_user(
    state: web::Data<AppState>,
    Auth(p): Auth,
    body: Body,
) -> ApiResult {
    let input = body
        .object()
        .and_then(from_body::<NewUserRequest>)
        .map(|request| NewUserInput {
            email: request.email,
            password: request.password,
            first_name: request.first_name,
            last_name: request.last_name,
            roles: request.roles,
        });
    let user = state.users.create(&p, input).await?;
    Ok(respond(StatusCode::CREATED, UserDto::from(user)))
}

/// One user of the tenant.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "tenants", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = Envelope<UserDto>),
        (status = 404, description = "No such user, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn get_user(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    Ok(ok(UserDto::from(
        state.users.get(&p, UserId(id.into_inner())).await?,
    )))
}

/// Change a user's names or activation (`is_active: false` revokes every session).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "tenants", security(("bearer" = [])), request_body = UserPatchRequest,
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Updated", body = Envelope<UserDto>),
        (status = 400, description = "Invalid or unknown field", body = ErrorEnvelope),
        (status = 403, description = "Visible but not the caller's to change", body = ErrorEnvelope),
        (status = 404, description = "No such user, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn update_user(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    let patch = body
        .object()
        .and_then(from_body::<UserPatchRequest>)
        .map(|request| UserPatch {
            first_name: request.first_name,
            last_name: request.last_name,
            patronymic: request.patronymic,
            is_active: request.is_active,
        });
    let id = UserId(id.into_inner());
    Ok(ok(UserDto::from(state.users.update(&p, id, patch).await?)))
}

/// Soft-delete a user: inactive (still listed, email still taken), every session revoked.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "tenants", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Deactivated"),
        (status = 403, description = "Visible but not the caller's to delete", body = ErrorEnvelope),
        (status = 404, description = "No such user, or not visible to the caller", body = ErrorEnvelope),
    ))]
pub(crate) async fn delete_user(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    state.users.delete(&p, UserId(id.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}
