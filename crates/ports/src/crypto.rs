//! Password hashing and access-token signing.

use async_trait::async_trait;
use castellan_domain::AccessClaims;
use serde::Serialize;

/// A failure of a cryptographic adapter.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// Hashing failed or a stored hash is unreadable.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Why a presented token is refused. Callers answer all of these with 401.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Not a well-formed JWT, wrong algorithm, unknown `kid` or a bad signature.
    #[error("invalid token")]
    Invalid,
    /// Signature fine, but the claims are refused (expired, wrong audience, wrong type).
    #[error("token claims refused: {0}")]
    Claims(String),
    /// Signing failed (a server-side problem).
    #[error("token signing failed: {0}")]
    Signing(String),
}

/// Hashes and verifies passwords. Implementations must not block the async runtime.
#[async_trait]
pub trait PasswordHasher: Send + Sync + std::fmt::Debug {
    /// Hashes `password` into a self-describing (PHC) string.
    async fn hash(&self, password: String) -> Result<String, CryptoError>;
    /// Whether `password` matches `hash`.
    async fn verify(&self, password: String, hash: String) -> Result<bool, CryptoError>;
    /// Spends the time of a real verification and answers false: used for unknown accounts
    /// so that a login does not reveal whether an email exists.
    async fn verify_dummy(&self, password: String) -> Result<bool, CryptoError>;
}

/// Signs and verifies access tokens.
pub trait TokenCodec: Send + Sync + std::fmt::Debug {
    /// Signs `claims` into a compact JWT.
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError>;
    /// Verifies signature, algorithm, `kid`, `iss`, `aud`, `exp`, `nbf` and `type`.
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError>;
    /// The public keys, for `/.well-known/jwks.json`.
    fn jwks(&self) -> JwkSet;
}

/// One public key (RFC 7517, OKP/Ed25519).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Jwk {
    /// Key type: `OKP`.
    pub kty: String,
    /// Curve: `Ed25519`.
    pub crv: String,
    /// Algorithm: `EdDSA`.
    pub alg: String,
    /// Use: `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Key id.
    pub kid: String,
    /// The public key, base64url without padding.
    pub x: String,
}

/// A JWK set.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}
