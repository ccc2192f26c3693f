//! Bodies of `/tenants` and `/users`.

use castellan_domain::Tenant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantDto {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Unique slug.
    pub slug: String,
    /// Inactive tenants keep their data.
    pub is_active: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantDto {
    fn from(t: Tenant) -> Self {
        TenantDto {
            id: t.id,
            name: t.name,
            slug: t.slug,
            is_active: t.is_active,
            created_at: t.created_at,
        }
    }
}

/// The first admin of a new tenant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantAdminRequest {
    /// Login email (unique across tenants).
    #[schema(required = true, nullable = false, min_length = 1, max_length = 254)]
    pub email: Option<String>,
    /// Password: 8–128 characters, not common, not containing the email's local part.
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub password: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150)]
    pub first_name: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150)]
    pub last_name: Option<String>,
}

/// `POST /tenants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantRequest {
    /// 1–200 characters, not blank.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 200,
        pattern = r"\S"
    )]
    pub name: Option<String>,
    /// 3–63 of `[a-z0-9-]`, not starting or ending with `-`, unique; derived from `name`
    /// when absent (a name that gives no valid slug: 400 on `slug`).
    #[schema(
        nullable = false,
        min_length = 3,
        max_length = 63,
        pattern = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
    )]
    pub slug: Option<String>,
    /// The first admin.
    #[schema(required = true, nullable = false)]
    pub admin: Option<TenantAdminRequest>,
}

/// `POST /tenants` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantCreatedDto {
    /// The new tenant.
    pub tenant: TenantDto,
    /// Its first admin (role `Admin`).
    pub admin_user_id: Uuid,
}

/// `PATCH /tenants/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatchRequest {
    /// New name: 1–200 characters, not blank; `null` or absent: unchanged.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    /// Activate or deactivate; `null` or absent: unchanged.
    pub is_active: Option<bool>,
}

/// `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Login email (unique across tenants).
    #[schema(required = true, nullable = false, min_length = 1, max_length = 254)]
    pub email: Option<String>,
    /// Password: 8–128 characters, not common, not containing the email's local part.
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub password: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150)]
    pub first_name: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150)]
    pub last_name: Option<String>,
    /// Role names of the tenant: exactly these (default `["User"]`).
    pub roles: Option<Vec<String>>,
}

/// `PATCH /users/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchRequest {
    /// New given name (at most 150 characters).
    #[schema(max_length = 150)]
    pub first_name: Option<String>,
    /// New family name (at most 150 characters).
    #[schema(max_length = 150)]
    pub last_name: Option<String>,
    /// New patronymic (at most 150 characters).
    #[schema(max_length = 150)]
    pub patronymic: Option<String>,
    /// `false` deactivates and revokes every session; `null` or absent: unchanged.
    pub is_active: Option<bool>,
}
