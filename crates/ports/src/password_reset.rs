//! One-time password-reset tokens, stored hashed.

use crate::RepoError;
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::UserId;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A reset token as stored (found by its hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetTicket {
    /// The token's row.
    pub id: Uuid,
    /// Whose password it resets.
    pub user_id: UserId,
}

/// Password-reset tokens.
#[async_trait]
pub trait PasswordResetRepository: Send + Sync + std::fmt::Debug {
    /// Stores a new token for `user` valid until `expires_at`, voiding every older unused
    /// one of that user (one transaction).
    async fn issue(
        &self,
        user: UserId,
        tenant_id: Uuid,
        token_hash: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
    /// The token with this hash, if it is unused, not voided and not expired at `now`.
    async fn find_valid(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ResetTicket>, RepoError>;
    /// In one transaction: spends the token (only while still valid at `now`), sets the
    /// user's password hash and bumps their token version. `None`: the token was spent
    /// meanwhile and nothing was written; otherwise the new token version.
    async fn redeem(
        &self,
        ticket: ResetTicket,
        password_hash: &str,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<Option<i32>, RepoError>;
}
