//! Background jobs: who runs a job this period (a lease per job, so that replicas never
//! run the same job twice), and the housekeeping they do.

use crate::RepoError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// One lease row per job.
#[async_trait]
pub trait JobLeases: Send + Sync + std::fmt::Debug {
    /// Claims `job` for the period starting at `now` when its last run started at least
    /// `period_secs` ago (or never); true for the one caller that claimed it.
    async fn claim(
        &self,
        job: &str,
        period_secs: u64,
        now: DateTime<Utc>,
    ) -> Result<bool, RepoError>;
}

/// Removing what has expired.
#[async_trait]
pub trait Housekeeping: Send + Sync + std::fmt::Debug {
    /// Removes sessions that expired before `now` (and with them their refresh tokens).
    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, RepoError>;
    /// Removes blocklist entries (revoked tokens and sessions) past their expiry.
    async fn purge_revocations(&self, now: DateTime<Utc>) -> Result<u64, RepoError>;
    /// Removes invitations never accepted that expired before `before`.
    async fn purge_invitations(&self, before: DateTime<Utc>) -> Result<u64, RepoError>;
}
