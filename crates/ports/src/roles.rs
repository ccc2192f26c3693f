//! Roles, their access rules and grants, as the access-control admin routes manage them.

use crate::{ListQuery, Page, RepoError};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::{Grant, Role, StoredRule};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Roles, access rules and grants: what the access-control admin routes manage.
#[async_trait]
pub trait RoleRepository: Send + Sync + std::fmt::Debug {
    /// A page of roles (`search` over name and description; ordering by `name`, `created_at`).
    async fn list_roles(&self, query: &ListQuery) -> Result<Page<Role>, RepoError>;
    /// One role, any tenant.
    async fn role(&self, id: Uuid) -> Result<Option<Role>, RepoError>;
    /// A tenant's role by name.
    async fn role_by_name(&self, tenant: Uuid, name: &str) -> Result<Option<Role>, RepoError>;
    /// Stores a role; a taken name → conflict on `name`.
    async fn insert_role(&self, role: &Role, audit: &Event) -> Result<(), RepoError>;
    /// Writes name, description and `updated_at`.
    async fn update_role(&self, role: &Role, audit: &Event) -> Result<Option<Role>, RepoError>;
    /// Deletes a role and its rules; false when absent. Callers check [`Self::role_in_use`].
    async fn delete_role(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError>;
    /// Whether any user holds the role.
    async fn role_in_use(&self, id: Uuid) -> Result<bool, RepoError>;

    /// A page of rules (filters `owner_id` unused; ordering by `created_at`).
    async fn list_rules(&self, query: &ListQuery) -> Result<Page<StoredRule>, RepoError>;
    /// One rule, any tenant.
    async fn rule(&self, id: Uuid) -> Result<Option<StoredRule>, RepoError>;
    /// Stores a rule for the element with this key; a second rule for the same role and
    /// element → conflict on `element`.
    async fn insert_rule(
        &self,
        rule: &StoredRule,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<(), RepoError>;
    /// Writes the flags.
    async fn update_rule(
        &self,
        rule: &StoredRule,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<Option<StoredRule>, RepoError>;
    /// Deletes a rule; false when absent.
    async fn delete_rule(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError>;

    /// A page of grants (`owner_id` of the query filters by user).
    async fn list_grants(&self, query: &ListQuery) -> Result<Page<Grant>, RepoError>;
    /// One grant, any tenant.
    async fn grant(&self, id: Uuid) -> Result<Option<Grant>, RepoError>;
    /// Stores a grant; the same role twice → conflict on `role`.
    async fn insert_grant(&self, grant: &Grant, audit: &Event) -> Result<(), RepoError>;
    /// Removes a grant; false when absent.
    async fn delete_grant(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError>;
}
