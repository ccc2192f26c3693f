//! # castellan-adapters-crypto
//!
//! Implements the crypto ports: [`Argon2Hasher`] (argon2id on dedicated threads, bounded)
//! and [`JwtCodec`] (EdDSA/Ed25519 access tokens with a `kid`), plus loading or generating
//! the signing key; and the credential vault's cryptography ([`vault`]: envelope encryption
//! with AES-256-GCM, and [`LocalKeyProvider`], versioned key-encryption keys in a file).

mod hasher;
mod jwt;
mod key_file;
mod signing_key;
pub mod vault;

pub use hasher::{Argon2Hasher, HasherParams};
pub use jwt::JwtCodec;
pub use signing_key::{load_or_generate, load_or_generate_secret, KeyError, SigningKeyMaterial};
pub use vault::{EnvelopeCipher, LocalKeyProvider};
