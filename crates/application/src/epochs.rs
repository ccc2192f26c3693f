//! The writes that change what a principal is built from (a user's account, roles, rules,
//! grants, tenants), each reported to [`AccessEpochs`] once it has committed, so that
//! cached principals are dropped on every replica ([`crate::PrincipalCache`]).
//!
//! Each repository is wrapped whole: a new write method added to one of these ports does
//! not compile until it says what it moves. A write whose epoch could not be moved still
//! stands (it has committed); the principals it makes stale live out their age bound
//! (`auth.principal_cache_ttl_secs`), and the failure is logged.

use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::{Email, Grant, Profile, Role, StoredRule, Tenant, User, UserId};
use castellan_ports::{
    AccessEpochs, ListQuery, Page, PasswordResetRepository, RepoError, ResetTicket, RoleRepository,
    StoreError, TenantBootstrap, TenantRepository, UserAccess, UserKey, UserRepository,
};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// What a write moves.
#[derive(Debug, Clone, Copy)]
enum Moved {
    /// One user's epoch.
    User(Uuid),
    /// Every principal's epoch.
    Access,
    /// None: the write only adds what no existing principal is built from (a new user, a
    /// role no one holds yet, a new tenant's rows), so no cached entry goes stale.
    Nothing,
}

/// `inner`, reporting its writes to `epochs`.
#[derive(Debug, Clone)]
pub struct Epoched<R: ?Sized> {
    inner: Arc<R>,
    epochs: Arc<dyn AccessEpochs>,
}

impl<R: ?Sized> Epoched<R> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<R>, epochs: Arc<dyn AccessEpochs>) -> Self {
        Self { inner, epochs }
    }

    /// Moves `what` once `written` has succeeded; hands the write's result back.
    async fn after<T>(&self, written: Result<T, RepoError>, what: Moved) -> Result<T, RepoError> {
        let value = written?;
        let moved: Result<(), StoreError> = match what {
            Moved::User(user) => self.epochs.user_changed(user).await,
            Moved::Access => self.epochs.access_changed().await,
            Moved::Nothing => Ok(()),
        };
        if let Err(err) = moved {
            tracing::error!(
                error = %err,
                ?what,
                "access epoch not moved: cached principals stay until they age out"
            );
        }
        Ok(value)
    }
}

#[async_trait]
impl UserRepository for Epoched<dyn UserRepository> {
    async fn insert(&self, user: &User, roles: &[&str], audit: &Event) -> Result<(), RepoError> {
        let written = self.inner.insert(user, roles, audit).await;
        self.after(written, Moved::Nothing).await
    }
    async fn by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        self.inner.by_id(id).await
    }
    async fn with_access(&self, id: UserId) -> Result<Option<UserAccess>, RepoError> {
        self.inner.with_access(id).await
    }
    async fn by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        self.inner.by_email(email).await
    }
    async fn role_names(&self, id: UserId) -> Result<Vec<String>, RepoError> {
        self.inner.role_names(id).await
    }
    async fn with_roles(&self, key: UserKey<'_>) -> Result<Option<(User, Vec<String>)>, RepoError> {
        self.inner.with_roles(key).await
    }
    async fn update_account(
        &self,
        id: UserId,
        profile: &Profile,
        active: bool,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<Option<User>, RepoError> {
        let written = self
            .inner
            .update_account(id, profile, active, now, audit)
            .await;
        self.after(written, Moved::User(id.0)).await
    }
    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<i32, RepoError> {
        let written = self.inner.set_password(id, password_hash, now, audit).await;
        self.after(written, Moved::User(id.0)).await
    }
    async fn bump_token_version(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<i32, RepoError> {
        let written = self.inner.bump_token_version(id, now, audit).await;
        self.after(written, Moved::User(id.0)).await
    }
    async fn list(&self, query: &ListQuery) -> Result<Page<User>, RepoError> {
        self.inner.list(query).await
    }
    async fn purge(&self, id: UserId, audit: &Event) -> Result<(), RepoError> {
        let written = self.inner.purge(id, audit).await;
        self.after(written, Moved::User(id.0)).await
    }
    async fn ping(&self) -> Result<(), RepoError> {
        self.inner.ping().await
    }
}

#[async_trait]
impl RoleRepository for Epoched<dyn RoleRepository> {
    async fn list_roles(&self, query: &ListQuery) -> Result<Page<Role>, RepoError> {
        self.inner.list_roles(query).await
    }
    async fn role(&self, id: Uuid) -> Result<Option<Role>, RepoError> {
        self.inner.role(id).await
    }
    async fn role_by_name(&self, tenant: Uuid, name: &str) -> Result<Option<Role>, RepoError> {
        self.inner.role_by_name(tenant, name).await
    }
    async fn insert_role(&self, role: &Role, audit: &Event) -> Result<(), RepoError> {
        let written = self.inner.insert_role(role, audit).await;
        self.after(written, Moved::Nothing).await
    }
    async fn update_role(&self, role: &Role, audit: &Event) -> Result<Option<Role>, RepoError> {
        let written = self.inner.update_role(role, audit).await;
        self.after(written, Moved::Access).await
    }
    async fn delete_role(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError> {
        let written = self.inner.delete_role(id, audit).await;
        self.after(written, Moved::Access).await
    }
    async fn role_in_use(&self, id: Uuid) -> Result<bool, RepoError> {
        self.inner.role_in_use(id).await
    }
    async fn list_rules(&self, query: &ListQuery) -> Result<Page<StoredRule>, RepoError> {
        self.inner.list_rules(query).await
    }
    async fn rule(&self, id: Uuid) -> Result<Option<StoredRule>, RepoError> {
        self.inner.rule(id).await
    }
    async fn insert_rule(
        &self,
        rule: &StoredRule,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<(), RepoError> {
        let written = self.inner.insert_rule(rule, now, audit).await;
        self.after(written, Moved::Access).await
    }
    async fn update_rule(
        &self,
        rule: &StoredRule,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<Option<StoredRule>, RepoError> {
        let written = self.inner.update_rule(rule, now, audit).await;
        self.after(written, Moved::Access).await
    }
    async fn delete_rule(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError> {
        let written = self.inner.delete_rule(id, audit).await;
        self.after(written, Moved::Access).await
    }
    async fn list_grants(&self, query: &ListQuery) -> Result<Page<Grant>, RepoError> {
        self.inner.list_grants(query).await
    }
    async fn grant(&self, id: Uuid) -> Result<Option<Grant>, RepoError> {
        self.inner.grant(id).await
    }
    async fn insert_grant(&self, grant: &Grant, audit: &Event) -> Result<(), RepoError> {
        let written = self.inner.insert_grant(grant, audit).await;
        self.after(written, Moved::Access).await
    }
    async fn delete_grant(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError> {
        let written = self.inner.delete_grant(id, audit).await;
        self.after(written, Moved::Access).await
    }
}

#[async_trait]
impl PasswordResetRepository for Epoched<dyn PasswordResetRepository> {
    async fn issue(
        &self,
        user: UserId,
        tenant_id: Uuid,
        token_hash: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        self.inner
            .issue(user, tenant_id, token_hash, now, expires_at)
            .await
    }
    async fn find_valid(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ResetTicket>, RepoError> {
        self.inner.find_valid(token_hash, now).await
    }
    async fn redeem(
        &self,
        ticket: ResetTicket,
        password_hash: &str,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<Option<i32>, RepoError> {
        let written = self.inner.redeem(ticket, password_hash, now, audit).await;
        self.after(written, Moved::User(ticket.user_id.0)).await
    }
}

#[async_trait]
impl TenantRepository for Epoched<dyn TenantRepository> {
    async fn bootstrap(&self, new: &TenantBootstrap, audit: &Event) -> Result<(), RepoError> {
        let written = self.inner.bootstrap(new, audit).await;
        self.after(written, Moved::Nothing).await
    }
    async fn list(&self, query: &ListQuery) -> Result<Page<Tenant>, RepoError> {
        self.inner.list(query).await
    }
    async fn get(&self, id: Uuid) -> Result<Option<Tenant>, RepoError> {
        self.inner.get(id).await
    }
    async fn update(&self, tenant: &Tenant, audit: &Event) -> Result<Option<Tenant>, RepoError> {
        let written = self.inner.update(tenant, audit).await;
        self.after(written, Moved::Access).await
    }
}
