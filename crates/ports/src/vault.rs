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
    /// Makes a new KEK version current (the older ones keep unwrapping); returns it.
    async fn add_version(&self) -> Result<u32, VaultError>;
}

/// A secret as stored: its data key wrapped by the provider, the nonce and the ciphertext
/// (with its authentication tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// The data key, wrapped.
    pub key: WrappedKey,
    /// The nonce (fresh per write).
    pub nonce: Vec<u8>,
    /// The ciphertext with its tag.
    pub ciphertext: Vec<u8>,
}

/// Envelope encryption of secrets: each sealed with a fresh data key, bound to its row by
/// associated data, the data key wrapped by a [`KeyProvider`].
#[async_trait]
pub trait SecretCipher: Send + Sync + std::fmt::Debug {
    /// Encrypts `plaintext` for the row named by `aad`.
    async fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<SealedSecret, VaultError>;
    /// Decrypts what [`SecretCipher::seal`] made for the row named by `aad`.
    async fn open(
        &self,
        sealed: &SealedSecret,
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError>;
    /// The same data key, wrapped by the current KEK version (the ciphertext is unchanged).
    async fn rewrap(&self, key: &WrappedKey) -> Result<WrappedKey, VaultError>;
    /// The key provider behind it.
    fn provider(&self) -> &dyn KeyProvider;
}
