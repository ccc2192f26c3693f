//! API keys: stored with a keyed hash of their secret, found by their public prefix.

use crate::{ListQuery, Page, RepoError};
use async_trait::async_trait;
use castellan_domain::api_key::ApiKey;
use castellan_domain::audit::Event;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// API keys.
#[async_trait]
pub trait ApiKeyRepository: Send + Sync + std::fmt::Debug {
    /// Stores a key with the hash of its secret; a taken prefix → conflict on `prefix`.
    async fn insert(
        &self,
        key: &ApiKey,
        secret_hash: &[u8],
        audit: &Event,
    ) -> Result<(), RepoError>;
    /// A page of keys, newest first (`tenant_id` and `owner_id` of the query narrow it).
    async fn list(&self, query: &ListQuery) -> Result<Page<ApiKey>, RepoError>;
    /// One key, any tenant.
    async fn get(&self, id: Uuid) -> Result<Option<ApiKey>, RepoError>;
    /// The key with this prefix and the stored hash of its secret.
    async fn by_prefix(&self, prefix: &str) -> Result<Option<(ApiKey, Vec<u8>)>, RepoError>;
    /// Removes the key; false when there was none.
    async fn delete(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError>;
    /// Records a use at `now` (callers write at most once a minute per key).
    async fn touch(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), RepoError>;
}
