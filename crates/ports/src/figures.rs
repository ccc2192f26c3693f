//! The figures of a tenant's dashboard, each from one aggregate query (no rows loaded).

use crate::RepoError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A tenant's accounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserCounts {
    /// Every account, active or not.
    pub total: u64,
    /// Active accounts.
    pub active: u64,
}

/// Security events of a tenant's audit trail in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecurityCounts {
    /// `auth.login` with outcome `success`.
    pub login_success: u64,
    /// `auth.login` with outcome `failure`.
    pub login_failure: u64,
    /// Entries with outcome `denied` (every 403).
    pub denials: u64,
}

/// Aggregates over the identity tables, tenant by tenant.
#[async_trait]
pub trait TenantFigures: Send + Sync + std::fmt::Debug {
    /// The tenant's accounts.
    async fn users(&self, tenant: Uuid) -> Result<UserCounts, RepoError>;
    /// The tenant's sessions that are neither revoked nor expired at `now`.
    async fn active_sessions(&self, tenant: Uuid, now: DateTime<Utc>) -> Result<u64, RepoError>;
    /// The tenant's logins and denials recorded at or after `since`.
    async fn security_events(
        &self,
        tenant: Uuid,
        since: DateTime<Utc>,
    ) -> Result<SecurityCounts, RepoError>;
}
