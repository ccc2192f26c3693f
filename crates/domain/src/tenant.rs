//! Tenants: the organisations whose users, roles and data Castellan keeps apart.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Identifier.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// 3–63 of `[a-z0-9-]`, unique.
    pub slug: String,
    /// Inactive tenants keep their data.
    pub is_active: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}
