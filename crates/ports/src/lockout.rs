//! Login lockout counters (see `castellan_domain::lockout`): in Redis when replicas share
//! them, else in process. Every method fails with [`StoreError::Unavailable`] rather than
//! guessing: logins fail closed.

use crate::StoreError;
use async_trait::async_trait;
use castellan_domain::lockout::{Attempt, LockKind};

/// The lockout counters of every email.
#[async_trait]
pub trait LoginLockout: Send + Sync + std::fmt::Debug {
    /// Before checking a password for `email` from `address`: refused while locked,
    /// otherwise counted (atomically).
    async fn begin(&self, email: &str, address: &str) -> Result<Attempt, StoreError>;
    /// The attempt failed; `Some` when it set a lock (once per lock).
    async fn failed(&self, email: &str, address: &str) -> Result<Option<LockKind>, StoreError>;
    /// The attempt succeeded: the counts start again.
    async fn succeeded(&self, email: &str, address: &str) -> Result<(), StoreError>;
    /// Forgets every count and lock of `email` (after a password reset).
    async fn clear(&self, email: &str) -> Result<(), StoreError>;
}
