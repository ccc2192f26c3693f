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
pub struct TenantAdminRequest {
    /// Login email (unique across tenants).
    pub email: Option<String>,
    /// Password (password policy).
    pub password: Option<String>,
    /// Optional.
    pub first_name: Option<String>,
    /// Optional.
    pub last_name: Option<String>,
}

/// `POST /tenants`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TenantRequest {
    /// 1–200 characters.
    pub name: Option<String>,
    /// 3–63 of `[a-z0-9-]`, unique; derived from `name` when absent.
    pub slug: Option<String>,
    /// The first admin.
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
pub struct TenantPatchRequest {
    /// New name.
    pub name: Option<String>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}

/// `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    /// Login email (unique across tenants).
    pub email: Option<String>,
    /// Password (password policy).
    pub password: Option<String>,
    /// Optional.
    pub first_name: Option<String>,
    /// Optional.
    pub last_name: Option<String>,
    /// Role names of the tenant: exactly these (default `["User"]`).
    pub roles: Option<Vec<String>>,
}

/// `PATCH /users/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserPatchRequest {
    /// New given name.
    pub first_name: Option<String>,
    /// New family name.
    pub last_name: Option<String>,
    /// New patronymic.
    pub patronymic: Option<String>,
    /// `false` deactivates and revokes every session.
    pub is_active: Option<bool>,
}
