//! # castellan-adapters-crypto
//!
//! Implements the crypto ports: [`Argon2Hasher`] (argon2id on dedicated threads, bounded)
//! and [`JwtCodec`] (EdDSA/Ed25519 access tokens with a `kid`), plus loading or generating
//! the signing key.

mod hasher;
mod jwt;
mod signing_key;

pub use hasher::{Argon2Hasher, HasherParams};
pub use jwt::JwtCodec;
pub use signing_key::{load_or_generate, load_or_generate_secret, KeyError, SigningKeyMaterial};
