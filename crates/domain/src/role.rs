//! Roles of a tenant, their access rules as stored, and grants of roles to users.

use crate::rbac::AccessRule;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A role of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Identifier.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// Unique per tenant.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Created by migrations or tenant bootstrap; cannot be renamed or deleted.
    pub is_system: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An access rule as stored: a domain rule plus where it lives.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRule {
    /// The rule (id, role, element, flags).
    pub rule: AccessRule,
    /// Tenant (the role's).
    pub tenant_id: Uuid,
}

/// A role granted to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Identifier.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// The user.
    pub user_id: Uuid,
    /// The role.
    pub role_id: Uuid,
    /// The role's name.
    pub role: String,
    /// Who granted it (none for grants made at registration or by the system).
    pub granted_by: Option<Uuid>,
    /// When.
    pub granted_at: DateTime<Utc>,
}
