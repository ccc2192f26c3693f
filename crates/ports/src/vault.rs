//! The credential vault's key provider: it wraps and unwraps the per-secret data keys with
//! a key-encryption key (KEK) it never hands out. A local key file is the default adapter;
//! a cloud KMS is another.

use async_trait::async_trait;
use zeroize::Zeroizing;

/// A 256-bit data key, wiped from memory when dropped.
pub type DataKey = Zeroizing<[u8; 32]>;

/// A data key as stored: wrapped by the KEK of `kek_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The KEK version that wrapped it.
    pub kek_version: u32,
    /// The wrapped key (opaque to everyone but the provider).
    pub wrapped: Vec<u8>,
}

/// A key provider failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No KEK of this version (rotated out, or another key file).
    #[error("no key-encryption key of version {0}")]
    UnknownVersion(u32),
    /// The wrapped key or the ciphertext does not decrypt (altered, moved, or wrong key).
    #[error("does not decrypt")]
    Undecryptable,
    /// The provider cannot be reached or used (its file, its service).
    #[error("key provider unavailable: {0}")]
    Unavailable(String),
}

/// Wraps data keys with the current KEK and unwraps them with any KEK version it holds.
#[async_trait]
pub trait KeyProvider: Send + Sync + std::fmt::Debug {
    /// The version new data keys are wrapped with.
    async fn current_version(&self) -> Result<u32, VaultError>;
    /// Wraps `key` with the current KEK.
    async fn wrap(&self, key: &DataKey) -> Result<WrappedKey, VaultError>;
    /// Unwraps a data key wrapped by any KEK version still held.
    async fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, VaultError>;
}
