//! `/roles`, `/access-rules`, `/user-roles`: access control administered through itself.

pub(crate) mod dto;

use super::{endpoint, on, Routes};
use crate::envelope::{ok, ok_page, respond, Envelope, ErrorEnvelope, ListEnvelope, PageMeta};
use crate::error::{ApiError, ApiResult};
use crate::extract::{from_body, Auth, Body};
use crate::list::{list_request, uuid_param, QueryMap};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use castellan_application::roles::ROLE_ORDERABLE;
use castellan_application::{GrantInput, RoleInput, RoleRef};
use dto::{
    AccessRuleDto, AccessRuleRequest, AccessRuleUpdateRequest, RoleDto, RolePatchRequest,
    RoleRequest, UserRoleDto, UserRoleRequest,
};
use uuid::Uuid;

pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint(
        "/roles",
        [on::get(list_roles), on::post(create_role)],
    ))
    .service(endpoint(
        "/roles/{id}",
        [
            on::get(get_role),
            on::patch(update_role),
            on::delete(delete_role),
        ],
    ))
    .service(endpoint(
        "/access-rules",
        [on::get(list_rules), on::post(create_rule)],
    ))
    .service(endpoint(
        "/access-rules/{id}",
        [
            on::get(get_rule),
            on::put(replace_rule),
            on::patch(patch_rule),
            on::delete(delete_rule),
        ],
    ))
    .service(endpoint(
        "/user-roles",
        [on::get(list_grants), on::post(grant)],
    ))
    .service(endpoint("/user-roles/{id}", [on::delete(revoke)]));
}

fn role_input(body: Body, creating: bool) -> Result<RoleInput, ApiError> {
    let body = body.object()?;
    let (name, description) = match creating {
        true => {
            let request: RoleRequest = from_body(body)?;
            (request.name, request.description)
        }
        false => {
            let request: RolePatchRequest = from_body(body)?;
            (request.name, request.description)
        }
    };
    Ok(RoleInput { name, description })
}

/// Roles of the caller's tenant (superusers: every tenant, or `?tenant_id=`).
#[utoipa::path(get, path = "/api/v1/roles", tag = "access", security(("bearer" = [])),
    params(
        ("page" = Option<u32>, Query, description = "1-based page"),
        ("per_page" = Option<u32>, Query, description = "1–200 (default 50)"),
        ("ordering" = Option<String>, Query, description = "`name`, `created_at` (default `name`)"),
        ("search" = Option<String>, Query, description = "Text in name or description"),
        ("tenant_id" = Option<Uuid>, Query, description = "Superusers only"),
    ),
    responses(
        (status = 200, description = "A page", body = ListEnvelope<RoleDto, PageMeta>),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 403, description = "No read rule on `role`", body = ErrorEnvelope),
    ))]
pub(crate) async fn list_roles(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let request = list_request(&query, &ROLE_ORDERABLE, "name")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.roles.list_roles(&p, request).await?;
    Ok(ok_page(
        found.items.into_iter().map(RoleDto::from).collect(),
        page,
        per_page,
        found.total,
    ))
}

/// Create a role in the caller's tenant.
#[utoipa::path(post, path = "/api/v1/roles", tag = "access", security(("bearer" = [])), request_body = RoleRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<RoleDto>),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 403, description = "No `can_create` on `role`", body = ErrorEnvelope),
        (status = 409, description = "Name taken in the tenant", body = ErrorEnvelope),
    ))]
pub(crate) async fn create_role(
    state: web::Data<AppState>,
    Auth(p): Auth,
    body: Body,
) -> ApiResult {
    let role = state.roles.create_role(&p, role_input(body, true)).await?;
    Ok(respond(StatusCode::CREATED, RoleDto::from(role)))
}

/// One role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "access", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Role id")),
    responses(
        (status = 200, description = "The role", body = Envelope<RoleDto>),
        (status = 404, description = "No such role in the caller's tenant", body = ErrorEnvelope),
    ))]
pub(crate) async fn get_role(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    Ok(ok(RoleDto::from(
        state.roles.role(&p, id.into_inner()).await?,
    )))
}

/// Rename or re-describe a role (system roles: 409 on a rename).
#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = "access", security(("bearer" = [])), request_body = RolePatchRequest,
    params(("id" = Uuid, Path, description = "Role id")),
    responses(
        (status = 200, description = "Updated", body = Envelope<RoleDto>),
        (status = 400, description = "Invalid field", body = ErrorEnvelope),
        (status = 404, description = "No such role", body = ErrorEnvelope),
        (status = 409, description = "Name taken, or a system role renamed", body = ErrorEnvelope),
    ))]
pub(crate) async fn update_role(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    let role = state
        .roles
        .update_role(&p, id.into_inner(), role_input(body, false))
        .await?;
    Ok(ok(RoleDto::from(role)))
}

/// Delete a role (409 when it is a system role or still granted).
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "access", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Role id")),
    responses(
        (status = 204, description = "Deleted, with its rules"),
        (status = 404, description = "No such role", body = ErrorEnvelope),
        (status = 409, description = "A system role, or still granted to users", body = ErrorEnvelope),
    ))]
pub(crate) async fn delete_role(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    state.roles.delete_role(&p, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn rule_input(body: Body, creating: bool) -> Result<castellan_application::RuleInput, ApiError> {
    let body = body.object()?;
    Ok(match creating {
        true => {
            let request: AccessRuleRequest = from_body(body)?;
            castellan_application::RuleInput {
                id: None,
                flags: request.flags(),
                role: RoleRef {
                    role: request.role,
                    role_id: request.role_id,
                },
                element: request.element,
            }
        }
        false => {
            // The rule's full representation, as read, may come back.
            let request: AccessRuleUpdateRequest = from_body(body)?;
            castellan_application::RuleInput {
                id: request.id,
                flags: request.flags(),
                role: RoleRef {
                    role: request.role,
                    role_id: request.role_id,
                },
                element: request.element,
            }
        }
    })
}

/// Access rules of the caller's tenant.
#[utoipa::path(get, path = "/api/v1/access-rules", tag = "access", security(("bearer" = [])),
    params(
        ("page" = Option<u32>, Query, description = "1-based page"),
        ("per_page" = Option<u32>, Query, description = "1–200 (default 50)"),
        ("tenant_id" = Option<Uuid>, Query, description = "Superusers only"),
    ),
    responses(
        (status = 200, description = "A page, by role then element", body = ListEnvelope<AccessRuleDto, PageMeta>),
        (status = 403, description = "No read rule on `access_rule`", body = ErrorEnvelope),
    ))]
pub(crate) async fn list_rules(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let request = list_request(&query, &[], "")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.roles.list_rules(&p, request).await?;
    Ok(ok_page(
        found.items.into_iter().map(AccessRuleDto::from).collect(),
        page,
        per_page,
        found.total,
    ))
}

/// Create the rule of a role for an element.
#[utoipa::path(post, path = "/api/v1/access-rules", tag = "access", security(("bearer" = [])), request_body = AccessRuleRequest,
    responses(
        (status = 201, description = "Created", body = Envelope<AccessRuleDto>),
        (status = 400, description = "Unknown role/role_id or element, or a bad flag", body = ErrorEnvelope),
        (status = 403, description = "No `can_create` on `access_rule`", body = ErrorEnvelope),
        (status = 409, description = "The role already has a rule for the element", body = ErrorEnvelope),
    ))]
pub(crate) async fn create_rule(
    state: web::Data<AppState>,
    Auth(p): Auth,
    body: Body,
) -> ApiResult {
    let rule = state.roles.create_rule(&p, rule_input(body, true)).await?;
    Ok(respond(StatusCode::CREATED, AccessRuleDto::from(rule)))
}

/// One access rule.
#[utoipa::path(get, path = "/api/v1/access-rules/{id}", tag = "access", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Rule id")),
    responses(
        (status = 200, description = "The rule", body = Envelope<AccessRuleDto>),
        (status = 404, description = "No such rule in the caller's tenant", body = ErrorEnvelope),
    ))]
pub(crate) async fn get_rule(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    Ok(ok(AccessRuleDto::from(
        state.roles.rule(&p, id.into_inner()).await?,
    )))
}

async fn update_rule(
    state: web::Data<AppState>,
    p: Auth,
    id: Uuid,
    body: Body,
    replace: bool,
) -> ApiResult {
    let Auth(p) = p;
    let rule = state
        .roles
        .update_rule(&p, id, rule_input(body, false), replace)
        .await?;
    Ok(ok(AccessRuleDto::from(rule)))
}

/// Replace a rule's flags (absent ones false).
#[utoipa::path(put, path = "/api/v1/access-rules/{id}", tag = "access", security(("bearer" = [])), request_body = AccessRuleUpdateRequest,
    params(("id" = Uuid, Path, description = "Rule id")),
    responses(
        (status = 200, description = "Updated", body = Envelope<AccessRuleDto>),
        (status = 400, description = "A field other than the flags", body = ErrorEnvelope),
        (status = 404, description = "No such rule", body = ErrorEnvelope),
    ))]
pub(crate) async fn replace_rule(
    state: web::Data<AppState>,
    p: Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    update_rule(state, p, id.into_inner(), body, true).await
}

/// Change some of a rule's flags.
#[utoipa::path(patch, path = "/api/v1/access-rules/{id}", tag = "access", security(("bearer" = [])), request_body = AccessRuleUpdateRequest,
    params(("id" = Uuid, Path, description = "Rule id")),
    responses(
        (status = 200, description = "Updated", body = Envelope<AccessRuleDto>),
        (status = 400, description = "A field other than the flags", body = ErrorEnvelope),
        (status = 404, description = "No such rule", body = ErrorEnvelope),
    ))]
pub(crate) async fn patch_rule(
    state: web::Data<AppState>,
    p: Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    update_rule(state, p, id.into_inner(), body, false).await
}

/// Delete an access rule.
#[utoipa::path(delete, path = "/api/v1/access-rules/{id}", tag = "access", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Rule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such rule", body = ErrorEnvelope),
    ))]
pub(crate) async fn delete_rule(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    state.roles.delete_rule(&p, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Role grants of the caller's tenant (`?user_id=` for one user's).
#[utoipa::path(get, path = "/api/v1/user-roles", tag = "access", security(("bearer" = [])),
    params(
        ("user_id" = Option<Uuid>, Query, description = "Only this user's grants"),
        ("page" = Option<u32>, Query, description = "1-based page"),
        ("per_page" = Option<u32>, Query, description = "1–200 (default 50)"),
    ),
    responses(
        (status = 200, description = "A page, newest first", body = ListEnvelope<UserRoleDto, PageMeta>),
        (status = 403, description = "No read rule on `user_role`", body = ErrorEnvelope),
    ))]
pub(crate) async fn list_grants(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let mut request = list_request(&query, &[], "")?;
    request.owner_id = uuid_param(&query, "user_id")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.roles.list_grants(&p, request).await?;
    Ok(ok_page(
        found.items.into_iter().map(UserRoleDto::from).collect(),
        page,
        per_page,
        found.total,
    ))
}

/// Grant a role to a user of the tenant (takes effect on the user's next request).
#[utoipa::path(post, path = "/api/v1/user-roles", tag = "access", security(("bearer" = [])), request_body = UserRoleRequest,
    responses(
        (status = 201, description = "Granted", body = Envelope<UserRoleDto>),
        (status = 400, description = "Unknown user or role (or another tenant's)", body = ErrorEnvelope),
        (status = 403, description = "No `can_create` on `user_role`", body = ErrorEnvelope),
        (status = 409, description = "Already granted", body = ErrorEnvelope),
    ))]
pub(crate) async fn grant(state: web::Data<AppState>, Auth(p): Auth, body: Body) -> ApiResult {
    let input = body
        .object()
        .and_then(from_body::<UserRoleRequest>)
        .map(|request| GrantInput {
            user_id: request.user_id,
            role: RoleRef {
                role: request.role,
                role_id: request.role_id,
            },
        });
    let grant = state.roles.grant(&p, input).await?;
    Ok(respond(StatusCode::CREATED, UserRoleDto::from(grant)))
}

/// Revoke a grant (takes effect on the user's next request).
#[utoipa::path(delete, path = "/api/v1/user-roles/{id}", tag = "access", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Grant id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such grant in the caller's tenant", body = ErrorEnvelope),
    ))]
pub(crate) async fn revoke(
    state: web::Data<AppState>,
    Auth(p): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    state.roles.revoke(&p, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
