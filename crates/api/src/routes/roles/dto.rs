//! Bodies of `/roles`, `/access-rules` and `/user-roles`.

use castellan_domain::{Grant, Role, StoredRule};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDto {
    /// Id.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// Unique per tenant.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// System roles cannot be renamed or deleted.
    pub is_system: bool,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        RoleDto {
            id: r.id,
            tenant_id: r.tenant_id,
            name: r.name,
            description: r.description,
            is_system: r.is_system,
        }
    }
}

/// `POST /roles` (`name` required), `PATCH /roles/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleRequest {
    /// 1–100 characters, unique per tenant.
    pub name: Option<String>,
    /// At most 1,000 characters.
    pub description: Option<String>,
}

/// An access rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessRuleDto {
    /// Id.
    pub id: Uuid,
    /// The role.
    pub role_id: Uuid,
    /// The role's name.
    pub role: String,
    /// The element key.
    pub element: String,
    /// Read own rows.
    pub can_read_own: bool,
    /// Read every row of the tenant.
    pub can_read_all: bool,
    /// Create.
    pub can_create: bool,
    /// Update own rows.
    pub can_update_own: bool,
    /// Update every row.
    pub can_update_all: bool,
    /// Delete own rows.
    pub can_delete_own: bool,
    /// Delete every row.
    pub can_delete_all: bool,
}

impl From<StoredRule> for AccessRuleDto {
    fn from(s: StoredRule) -> Self {
        let f = s.rule.flags;
        AccessRuleDto {
            id: s.rule.id,
            role_id: s.rule.role_id,
            role: s.rule.role,
            element: s.rule.element,
            can_read_own: f.can_read_own,
            can_read_all: f.can_read_all,
            can_create: f.can_create,
            can_update_own: f.can_update_own,
            can_update_all: f.can_update_all,
            can_delete_own: f.can_delete_own,
            can_delete_all: f.can_delete_all,
        }
    }
}

/// `POST /access-rules` (`role` or `role_id`, and `element`, required; absent flags false),
/// `PUT` (flags only; absent ones false) and `PATCH` (flags only; absent ones unchanged).
/// A `*_all` flag implies the matching `*_own`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AccessRuleRequest {
    /// PUT/PATCH only: the rule's own id (another → 400).
    pub id: Option<Uuid>,
    /// Role name (in the caller's tenant). PUT/PATCH accept only the rule's own.
    pub role: Option<String>,
    /// Role id. PUT/PATCH accept only the rule's own.
    pub role_id: Option<Uuid>,
    /// Element key. PUT/PATCH accept only the rule's own.
    pub element: Option<String>,
    /// Read own rows.
    pub can_read_own: Option<bool>,
    /// Read every row.
    pub can_read_all: Option<bool>,
    /// Create.
    pub can_create: Option<bool>,
    /// Update own rows.
    pub can_update_own: Option<bool>,
    /// Update every row.
    pub can_update_all: Option<bool>,
    /// Delete own rows.
    pub can_delete_own: Option<bool>,
    /// Delete every row.
    pub can_delete_all: Option<bool>,
}

impl AccessRuleRequest {
    /// The flags in contract order.
    pub fn flags(&self) -> [Option<bool>; 7] {
        [
            self.can_read_own,
            self.can_read_all,
            self.can_create,
            self.can_update_own,
            self.can_update_all,
            self.can_delete_own,
            self.can_delete_all,
        ]
    }
}

/// A role granted to a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRoleDto {
    /// Id.
    pub id: Uuid,
    /// The user.
    pub user_id: Uuid,
    /// The role.
    pub role_id: Uuid,
    /// The role's name.
    pub role: String,
    /// Who granted it.
    pub granted_by: Option<Uuid>,
    /// When.
    pub granted_at: DateTime<Utc>,
}

impl From<Grant> for UserRoleDto {
    fn from(g: Grant) -> Self {
        UserRoleDto {
            id: g.id,
            user_id: g.user_id,
            role_id: g.role_id,
            role: g.role,
            granted_by: g.granted_by,
            granted_at: g.granted_at,
        }
    }
}

/// `POST /user-roles`: `user_id` and `role` (name) or `role_id`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserRoleRequest {
    /// A user of the tenant.
    pub user_id: Option<Uuid>,
    /// Role name.
    pub role: Option<String>,
    /// Role id.
    pub role_id: Option<Uuid>,
}
