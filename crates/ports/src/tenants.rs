//! Tenants and their bootstrap.

use crate::{ListQuery, Page, RepoError};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::{Role, StoredRule, Tenant};
use uuid::Uuid;

/// Everything a new tenant starts with, written in one transaction.
#[derive(Debug, Clone)]
pub struct TenantBootstrap {
    /// The tenant.
    pub tenant: Tenant,
    /// Its system roles.
    pub roles: Vec<Role>,
    /// Their rules.
    pub rules: Vec<StoredRule>,
    /// Its first admin.
    pub admin: castellan_domain::User,
    /// The admin's role names.
    pub admin_roles: Vec<String>,
}

/// Tenants.
#[async_trait]
pub trait TenantRepository: Send + Sync + std::fmt::Debug {
    /// Creates the tenant, its roles and rules and its first admin, all or nothing. A taken
    /// slug → conflict on `slug`; a taken admin email → conflict on `email`.
    async fn bootstrap(&self, new: &TenantBootstrap, audit: &Event) -> Result<(), RepoError>;
    /// A page of tenants (`tenant_id` of the query: only that one).
    async fn list(&self, query: &ListQuery) -> Result<Page<Tenant>, RepoError>;
    /// One tenant.
    async fn get(&self, id: Uuid) -> Result<Option<Tenant>, RepoError>;
    /// Writes name and `is_active`.
    async fn update(&self, tenant: &Tenant, audit: &Event) -> Result<Option<Tenant>, RepoError>;
}
