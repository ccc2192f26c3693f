//! The audit trail's port, and the request facts every entry carries.
//!
//! Audited changes are written by the repositories themselves, in the transaction of the
//! change: their write methods take the [`Event`] to append. [`AuditLog::append`] is for
//! events without a change of their own (a failed login, a denial).

use crate::error::RepoError;
use async_trait::async_trait;
use castellan_domain::audit::{Entry, Event, Outcome};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Where a request came from, as the audit trail records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The request's correlation id.
    pub request_id: Option<String>,
    /// The client's address (written out only when an entry is recorded).
    pub ip: Option<std::net::IpAddr>,
    /// The client's user agent.
    pub user_agent: Option<String>,
}

tokio::task_local! {
    static REQUEST: RequestFacts;
}

/// Runs `future` with `facts` as the current request's (the API layer does, per request).
pub async fn with_request<F: std::future::Future>(facts: RequestFacts, future: F) -> F::Output {
    REQUEST.scope(facts, future).await
}

/// The current request's facts; empty outside a request (CLI, background work).
pub fn current_request() -> RequestFacts {
    REQUEST.try_with(Clone::clone).unwrap_or_default()
}

/// Which entries a query selects, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this tenant's chain (`None`: every chain the data scope lets through).
    pub tenant_id: Option<Uuid>,
    /// Exact filters.
    pub actor_id: Option<Uuid>,
    /// Exact action name.
    pub action: Option<String>,
    /// Exact target type.
    pub target_type: Option<String>,
    /// Exact target id.
    pub target_id: Option<String>,
    /// Exact outcome.
    pub outcome: Option<Outcome>,
    /// `occurred_at >= since`.
    pub since: Option<DateTime<Utc>>,
    /// `occurred_at < until`.
    pub until: Option<DateTime<Utc>>,
    /// Only entries older than this position (from a previous page's `next`).
    pub before: Option<i64>,
    /// At most this many.
    pub limit: u32,
}

/// One page of entries and where the next one starts.
#[derive(Debug, Clone, Default)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<Entry>,
    /// The position to pass as `before` for the next page; `None` on the last.
    pub next: Option<i64>,
}

/// Where a chain ends, as recorded when its last entry was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// The chain's tenant (`None`: entries outside any tenant).
    pub tenant_id: Option<Uuid>,
    /// `seq` of the last entry.
    pub last_seq: i64,
    /// Its hash.
    pub last_hash: String,
}

/// The append-only, hash-chained audit log.
#[async_trait]
pub trait AuditLog: Send + Sync + std::fmt::Debug {
    /// Appends an event to its tenant's chain on its own.
    async fn append(&self, event: &Event) -> Result<Entry, RepoError>;
    /// A page of entries, newest first.
    async fn list(&self, query: &AuditQuery) -> Result<AuditPage, RepoError>;
    /// The heads of the chains the data scope lets through (`tenant`: only that one;
    /// `Some(None)` selects the chain without a tenant).
    async fn heads(&self, tenant: Option<Option<Uuid>>) -> Result<Vec<ChainHead>, RepoError>;
    /// Up to `limit` entries of one chain with `seq > after`, in `seq` order.
    async fn chain(
        &self,
        tenant: Option<Uuid>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Entry>, RepoError>;
}
