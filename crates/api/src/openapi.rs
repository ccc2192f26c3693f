//! The OpenAPI 3.1 document, generated from the handlers and DTOs.

use crate::routes::{
    access, api_keys, audit, auth, credentials, dashboard, invitations, meta, roles, tenants,
};
use serde_json::Value;
use std::sync::LazyLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key `cst_<prefix>_<secret>` (or `Authorization: ApiKey <key>`)",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Castellan",
        description = "Identity and access control: authentication with revocable JWTs, RBAC, tenants, audit.\n\nEvery response but 204 and the raw documents (`/schema`, `/.well-known/jwks.json`) is the envelope `{data, errors, meta?}`. Every route also answers with a trailing slash. Bodies are `application/json` (415 otherwise), at most 64 KiB (413); a body that is not JSON → 400 `malformed_json`; every response carries `X-Request-ID`; unknown routes → 404 `not_found`, wrong methods → 405 `method_not_allowed` with `Allow`. A body key the operation does not take → 400 on that key. `?ordering=` names each column once at most (a repeat is ignored). A connection that sends no request head within `server.request_head_timeout_secs` (30 s) → 408 and closed.",
    ),
    paths(
        meta::health, meta::ready, meta::jwks, meta::schema, meta::metrics,
        auth::register, auth::login, auth::refresh, auth::logout, auth::logout_all,
        auth::me, auth::update_me, auth::delete_me, auth::change_password,
        auth::sessions, auth::revoke_session, auth::password_reset, auth::password_reset_confirm,
        api_keys::create, api_keys::list, api_keys::get, api_keys::delete,
        credentials::create, credentials::list, credentials::get, credentials::update,
        credentials::replace_secret, credentials::reveal, credentials::delete,
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
        dashboard::show,
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
        (name = "api_keys", description = "Keys for machines: `Authorization: ApiKey cst_...` or `X-API-Key: cst_...` on any route but `/api-keys` and `/auth/*` (except `GET /auth/me`); a key acts as its owner within its scopes"),
        (name = "credentials", description = "The credential vault: secrets encrypted with a data key each (AES-256-GCM, bound to tenant and credential), the data keys wrapped by a key-encryption key; only `reveal` returns a secret"),
        (name = "tenants", description = "Tenants and their users"),
        (name = "audit", description = "The append-only, hash-chained audit trail"),
        (name = "dashboard", description = "A tenant's live figures"),
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
        conventions::apply(&mut doc);
        doc
    });
    &DOCUMENT
}

/// The statuses and parameter bounds every operation of a kind shares, written once here
/// instead of on each handler: 401 on every operation behind a bearer token, 400, 413 and
/// 415 on every operation with a body, 400 on every operation with query parameters, 503
/// where storage is involved, and the bounds of the list parameters the server enforces.
mod conventions {
    use crate::list::{ordering_pattern, MAX_PAGE, MAX_PER_PAGE};
    use serde_json::{json, Value};

    /// Routes that answer without touching storage (no 503).
    const STORAGE_FREE: [&str; 5] = [
        "/api/v1/health",
        "/api/v1/schema",
        "/api/v1/ready",
        "/.well-known/jwks.json",
        "/metrics",
    ];

    /// The columns each list orders by, where a handler's list takes `?ordering=`.
    fn orderable(path: &str) -> Option<&'static [&'static str]> {
        match path {
            "/api/v1/roles" => Some(&castellan_application::roles::ROLE_ORDERABLE),
            "/api/v1/users" => Some(&castellan_application::users::ORDERABLE),
            _ => None,
        }
    }

    fn failure(description: &str) -> Value {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
        })
    }

    fn ensure(responses: &mut Value, status: &str, description: &str) {
        if responses.get(status).is_none() {
            responses[status] = failure(description);
        }
    }

    /// The server's bounds of a query parameter, by name.
    fn constrain(path: &str, parameter: &mut Value) {
        let schema = match parameter["name"].as_str() {
            Some("page") => json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
            Some("per_page") => json!({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
            Some("since" | "until") => json!({"type": "string", "format": "date-time"}),
            Some("outcome") => json!({"type": "string", "enum": ["success", "failure", "denied"]}),
            Some("to") => json!({"type": "string", "minLength": 1}),
            Some("cursor") => json!({"type": "string", "pattern": "^[0-9a-fA-F]{1,15}$"}),
            Some("ordering") => match orderable(path) {
                Some(columns) => json!({"type": "string", "pattern": ordering_pattern(columns)}),
                None => return,
            },
            _ => return,
        };
        // Keep what the handler said (a default, say), replace the bounds and formats.
        let current = &mut parameter["schema"];
        if let (Some(current), Some(bounds)) = (current.as_object_mut(), schema.as_object()) {
            current.remove("format");
            current.extend(bounds.clone());
        } else {
            *current = schema;
        }
    }

    /// Applies the conventions to every operation of `doc`.
    pub(super) fn apply(doc: &mut Value) {
        let Some(paths) = doc["paths"].as_object_mut() else {
            return;
        };
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, operation) in item.iter_mut() {
                if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                    continue;
                }
                apply_to(path, method, operation);
            }
        }
        authz_check(doc);
    }

    fn apply_to(path: &str, method: &str, operation: &mut Value) {
        let secured = operation
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        let has_body = operation.get("requestBody").is_some();
        // (`get_mut`, not indexing: a missing key must stay missing, not become `null`.)
        if let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        {
            for parameter in parameters.iter_mut() {
                constrain(path, parameter);
            }
        }
        let has_query = operation
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|p| p.iter().any(|p| p["in"] == "query"));
        let responses = &mut operation["responses"];
        if secured {
            ensure(
                responses,
                "401",
                "Not authenticated: no, invalid, expired or revoked token",
            );
            // A person's own account, sessions and password are out of an API key's reach.
            if path.starts_with("/api/v1/auth/") && !(path == "/api/v1/auth/me" && method == "get")
            {
                ensure(
                    responses,
                    "403",
                    "The request was made with an API key: keys never manage accounts, sessions, passwords or keys",
                );
            }
            // Every guarded element's routes refuse a caller whose roles have no rule.
            if !path.starts_with("/api/v1/auth/") && path != "/api/v1/business-elements" {
                ensure(
                    responses,
                    "403",
                    "No rule of the caller's roles allows this",
                );
            }
        }
        if has_body {
            ensure(responses, "400", "A field is wrong (one error per field, `field` names it), or the body is not a JSON object (`malformed_json`)");
            ensure(responses, "413", "The body is over 64 KiB");
            ensure(responses, "415", "The body is not `application/json`");
        }
        if has_query {
            ensure(responses, "400", "A bad query parameter (`field` names it)");
        }
        if !STORAGE_FREE.contains(&path) {
            ensure(
                responses,
                "503",
                "The database or the token store is unreachable",
            );
            // Every route but health, readiness, the schema and the JWKS is limited: per IP
            // without credentials, per user or API key with them (`rate_limit.*`).
            ensure(
                responses,
                "429",
                "`rate_limited`: over a rate limit (`rate_limit.*`), with `Retry-After` in whole seconds; limited responses carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`",
            );
        }
    }

    /// `/authz/check` takes one question or `{checks: [...]}`, and answers in kind.
    fn authz_check(doc: &mut Value) {
        let Some(operation) = doc.pointer_mut("/paths/~1api~1v1~1authz~1check/post") else {
            return;
        };
        let reference = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
        operation["requestBody"]["content"]["application/json"]["schema"] =
            json!({"oneOf": [reference("CheckRequest"), reference("BatchCheckRequest")]});
        let data = json!({"oneOf": [reference("DecisionDto"), reference("BatchCheckDto")]});
        operation["responses"]["200"]["content"]["application/json"]["schema"] = json!({
            "type": "object",
            "required": ["data", "errors"],
            "properties": {
                "data": data,
                "errors": {"type": "array", "maxItems": 0, "items": reference("ErrorBody")},
            },
        });
    }
}
