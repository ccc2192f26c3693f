//! Access control and the resources it guards: the business-element catalog, the rules of
//! a user's current roles, and articles.

use crate::RepoError;
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::rbac::AccessRule;
use castellan_domain::UserId;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One entry of the business-element catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessElement {
    /// Identifier.
    pub id: Uuid,
    /// Immutable key, e.g. `article`.
    pub key: String,
    /// What it is.
    pub description: String,
}

/// Reads the access-control state.
#[async_trait]
pub trait AccessRepository: Send + Sync + std::fmt::Debug {
    /// The rules of every role the user holds now (any element), with role names and
    /// element keys.
    async fn rules_for_user(&self, user: UserId) -> Result<Vec<AccessRule>, RepoError>;
    /// The catalog, ordered by key.
    async fn elements(&self) -> Result<Vec<BusinessElement>, RepoError>;
}

/// A requested ordering: a column and its direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordering {
    /// Column name (validated against the resource's allowed list before it gets here).
    pub field: String,
    /// Newest/largest first.
    pub descending: bool,
}

/// Rows a list may contain and which page of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Only this tenant's rows (`None`: every tenant, for superusers).
    pub tenant_id: Option<Uuid>,
    /// Only rows owned by this user (own-scope lists, or the `owner_id` filter).
    pub owner_id: Option<Uuid>,
    /// Case-insensitive substring over the resource's searchable text.
    pub search: Option<String>,
    /// Orderings, most significant first (ties broken by id).
    pub ordering: Vec<Ordering>,
    /// 1-based page.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
}

/// One page of rows and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Matching rows over all pages.
    pub total: u64,
}

/// An article (the custom-rbac seed's business resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Identifier.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// Owner (its creator).
    pub owner_id: Uuid,
    /// 1–200 characters.
    pub title: String,
    /// At most 50,000 characters.
    pub content: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Articles.
#[async_trait]
pub trait ArticleRepository: Send + Sync + std::fmt::Debug {
    /// A page of the articles `query` selects (search over title and content; ordering by
    /// `created_at`, `updated_at`, `title`).
    async fn list(&self, query: &ListQuery) -> Result<Page<Article>, RepoError>;
    /// The article with this id, in any tenant.
    async fn get(&self, id: Uuid) -> Result<Option<Article>, RepoError>;
    /// Stores a new article.
    async fn insert(&self, article: &Article, audit: &Event) -> Result<(), RepoError>;
    /// Replaces title, content and `updated_at`; returns the stored row.
    async fn update(&self, article: &Article, audit: &Event) -> Result<Option<Article>, RepoError>;
    /// Deletes; false when there was no such article.
    async fn delete(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError>;
}

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

/// An invitation to join a tenant with a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Identifier.
    pub id: Uuid,
    /// The inviting tenant.
    pub tenant_id: Uuid,
    /// Who is invited.
    pub email: String,
    /// The role they will get.
    pub role_id: Uuid,
    /// Its name.
    pub role: String,
    /// Who invited.
    pub invited_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Until when it can be accepted.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// `pending`, `accepted`, `revoked` or `expired` at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        match (self.accepted_at, self.revoked_at) {
            (Some(_), _) => "accepted",
            (None, Some(_)) => "revoked",
            (None, None) if self.expires_at <= now => "expired",
            _ => "pending",
        }
    }
}

/// Invitations.
#[async_trait]
pub trait InvitationRepository: Send + Sync + std::fmt::Debug {
    /// Stores an invitation with the hash of its token.
    async fn insert(
        &self,
        invitation: &Invitation,
        token_hash: &[u8],
        audit: &Event,
    ) -> Result<(), RepoError>;
    /// A page of a tenant's invitations, newest first.
    async fn list(&self, query: &ListQuery) -> Result<Page<Invitation>, RepoError>;
    /// One invitation, any tenant.
    async fn get(&self, id: Uuid) -> Result<Option<Invitation>, RepoError>;
    /// The invitation whose token has this hash.
    async fn by_token(&self, token_hash: &[u8]) -> Result<Option<Invitation>, RepoError>;
    /// Marks it revoked (only while pending); false otherwise.
    async fn revoke(&self, id: Uuid, now: DateTime<Utc>, audit: &Event) -> Result<bool, RepoError>;
    /// In one transaction: spends the invitation (only while pending at `now`), creates
    /// `user` and grants it the invitation's role. `Ok(false)`: the invitation was no
    /// longer pending and nothing was written; a taken email → conflict on `email`.
    async fn accept(
        &self,
        id: Uuid,
        user: &castellan_domain::User,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<bool, RepoError>;
}

/// A message the mailer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Sends mail (invitations, password resets).
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Sends one message.
    async fn send(&self, mail: &Mail) -> Result<(), RepoError>;
}

/// The dev mailer's outbox, readable for tests and local trials.
#[async_trait]
pub trait Outbox: Send + Sync + std::fmt::Debug {
    /// Messages sent to `to`, newest first: `(id, mail, sent_at)`.
    async fn sent_to(&self, to: &str) -> Result<Vec<(Uuid, Mail, DateTime<Utc>)>, RepoError>;
}
