//! The OpenAPI 3.1 document, generated from the handlers and DTOs.

use crate::routes::{access, audit, auth, invitations, meta, roles, tenants};
use serde_json::Value;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Castellan",
        description = "Identity and access control: authentication with revocable JWTs, RBAC, tenants, audit.\n\nEvery response but 204 and the raw documents (`/schema`, `/.well-known/jwks.json`) is the envelope `{data, errors, meta?}`. Every route also answers with a trailing slash. Bodies are `application/json` (415 otherwise), at most 64 KiB (413); a body that is not JSON → 400 `malformed_json`; every response carries `X-Request-ID`; unknown routes → 404 `not_found`, wrong methods → 405 `method_not_allowed`.",
    ),
    paths(
        meta::health, meta::ready, meta::jwks, meta::schema,
        auth::register, auth::login, auth::refresh, auth::logout, auth::logout_all,
        auth::me, auth::update_me, auth::delete_me, auth::change_password,
        auth::sessions, auth::revoke_session,
        access::elements, access::check,
        roles::list_roles, roles::create_role, roles::get_role, roles::update_role,
        roles::delete_role, roles::list_rules, roles::create_rule, roles::get_rule,
        roles::replace_rule, roles::patch_rule, roles::delete_rule, roles::list_grants,
        roles::grant, roles::revoke,
        tenants::create_tenant, tenants::list_tenants, tenants::get_tenant, tenants::update_tenant,
        tenants::list_users, tenants::create_user, tenants::get_user, tenants::update_user,
        tenants::delete_user,
        invitations::create, invitations::list, invitations::revoke, invitations::accept,
        invitations::outbox,
        audit::list, audit::export, audit::verify,
    ),
    components(schemas(
        crate::routes::access::dto::BatchCheckRequest, crate::routes::access::dto::BatchCheckDto, crate::envelope::ErrorEnvelope,
        crate::envelope::ErrorBody, crate::envelope::PageMeta,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "meta", description = "Health, readiness, keys and documentation"),
        (name = "auth", description = "Users and tokens"),
        (name = "access", description = "The catalog and access checks"),
        (name = "tenants", description = "Tenants and their users"),
        (name = "audit", description = "The append-only, hash-chained audit trail"),
    )
)]
struct ApiDoc;

/// The OpenAPI document of every route (built once): the handlers' annotations, and the
/// declared business resources' generated description.
pub fn openapi() -> &'static Value {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
        let mut api = ApiDoc::openapi();
        api.info.version = env!("CARGO_PKG_VERSION").to_string();
        let mut doc = serde_json::to_value(api).unwrap_or_else(|err| {
            tracing::error!(error = %err, "the OpenAPI document does not serialize");
            Value::Null
        });
        crate::resources::openapi::describe_all(&mut doc);
        doc
    });
    &DOCUMENT
}
