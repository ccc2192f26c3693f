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

/// `POST /roles`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    /// 1–100 characters, not blank, unique per tenant.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = r"\S"
    )]
    pub name: Option<String>,
    /// At most 1,000 characters.
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

/// `PATCH /roles/{id}`: absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolePatchRequest {
    /// 1–100 characters, not blank, unique per tenant (system roles: 409); `null` or
    /// absent: unchanged.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    /// At most 1,000 characters.
    #[schema(max_length = 1000)]
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

/// The flags of an access rule, then the struct's own fields (`$($own)*`).
macro_rules! access_rule_request {
    ($(#[$meta:meta])* $name:ident { $($own:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($own)*
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

        impl $name {
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
    };
}

access_rule_request! {
    /// `POST /access-rules`: the role (`role` or `role_id`), the element and the flags
    /// (absent ones false). A `*_all` flag implies the matching `*_own`.
    AccessRuleRequest {
        /// Role name (in the caller's tenant); or `role_id`.
        pub role: Option<String>,
        /// Role id; or `role`.
        pub role_id: Option<Uuid>,
        /// Element key.
        #[schema(required = true, nullable = false, value_type = crate::routes::access::dto::ElementKey)]
        pub element: Option<String>,
    }
}

access_rule_request! {
    /// `PUT /access-rules/{id}` (absent flags false) and `PATCH` (absent flags unchanged).
    /// The rule's own `id`, `role`, `role_id` and `element` may be sent back as read;
    /// another is a 400 on that field (a rule never moves).
    AccessRuleUpdateRequest {
        /// The rule's own id.
        pub id: Option<Uuid>,
        /// The rule's own role name.
        pub role: Option<String>,
        /// The rule's own role id.
        pub role_id: Option<Uuid>,
        /// The rule's own element key.
        pub element: Option<String>,
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
#[serde(deny_unknown_fields)]
pub struct UserRoleRequest {
    /// A user of the tenant.
    #[schema(required = true, nullable = false)]
    pub user_id: Option<Uuid>,
    /// Role name.
    pub role: Option<String>,
    /// Role id.
    pub role_id: Option<Uuid>,
}
