//! Fast revocation state for access tokens, shared by every replica.

use crate::StoreError;
use async_trait::async_trait;
use castellan_domain::SessionId;
use uuid::Uuid;

/// Blocklisted access-token ids and revoked sessions, each kept for as long as a token that
/// names it could still be presented. Every method fails with [`StoreError::Unavailable`]
/// rather than guessing: callers fail closed.
#[async_trait]
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// Blocklists one access token (`jti`) for `ttl_secs`.
    async fn revoke_access(&self, jti: Uuid, ttl_secs: u64) -> Result<(), StoreError>;
    /// Marks sessions revoked for `ttl_secs` (their access tokens stop working at once).
    async fn revoke_sessions(
        &self,
        sessions: &[SessionId],
        ttl_secs: u64,
    ) -> Result<(), StoreError>;
    /// Whether the token `jti` or its session `sid` has been revoked.
    async fn is_revoked(&self, jti: Uuid, sid: SessionId) -> Result<bool, StoreError>;
    /// Answers when the store is reachable (readiness probe).
    async fn ping(&self) -> Result<(), StoreError>;
}
