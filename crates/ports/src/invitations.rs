//! Invitations to join a tenant.

use crate::{ListQuery, Page, RepoError};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::Invitation;
use chrono::{DateTime, Utc};
use uuid::Uuid;

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
