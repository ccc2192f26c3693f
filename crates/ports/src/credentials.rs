//! The credential vault's rows: a credential's describing fields and its sealed secret.

use crate::vault::{SealedSecret, WrappedKey};
use crate::{ListQuery, Page, RepoError};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::credential::Credential;
use uuid::Uuid;

/// A data key wrapped by an older KEK version: what a rotation re-wraps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleKey {
    /// The credential.
    pub id: Uuid,
    /// Its wrapped data key as stored.
    pub key: WrappedKey,
}

/// Credentials and their sealed secrets.
#[async_trait]
pub trait CredentialRepository: Send + Sync + std::fmt::Debug {
    /// Stores a new credential with its secret; a name taken in the tenant → conflict on
    /// `name`.
    async fn insert(
        &self,
        credential: &Credential,
        secret: &SealedSecret,
        audit: &Event,
    ) -> Result<(), RepoError>;
    /// A page of credentials, newest first (`tenant_id` and `owner_id` narrow it, `search`
    /// matches name and provider).
    async fn list(&self, query: &ListQuery) -> Result<Page<Credential>, RepoError>;
    /// One credential, any tenant.
    async fn get(&self, id: Uuid) -> Result<Option<Credential>, RepoError>;
    /// One credential with its sealed secret.
    async fn sealed(&self, id: Uuid) -> Result<Option<(Credential, SealedSecret)>, RepoError>;
    /// Writes name, provider, metadata and `updated_at`; false when the row is gone.
    async fn update(&self, credential: &Credential, audit: &Event) -> Result<bool, RepoError>;
    /// Replaces the secret (with `key_version`, `updated_at` and `rotated_at` of
    /// `credential`); false when the row is gone.
    async fn replace_secret(
        &self,
        credential: &Credential,
        secret: &SealedSecret,
        audit: &Event,
    ) -> Result<bool, RepoError>;
    /// Removes it; false when there was none.
    async fn delete(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError>;
    /// Up to `limit` data keys wrapped by a KEK version below `version`, in id order after
    /// `after` (every tenant's).
    async fn stale_keys(
        &self,
        version: u32,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<StaleKey>, RepoError>;
    /// Stores `key` as the data key of `id` if it still holds `stale` (a secret replaced
    /// meanwhile is left alone); true when written.
    async fn rewrap(&self, stale: &StaleKey, key: &WrappedKey) -> Result<bool, RepoError>;
    /// How many data keys a KEK version below `version` wraps.
    async fn count_stale(&self, version: u32) -> Result<u64, RepoError>;
}
