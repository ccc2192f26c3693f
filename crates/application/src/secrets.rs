//! Opaque secrets (refresh tokens, one-time tokens, API keys): random, shown once, stored
//! only as a hash.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh secret of 256 random bits, base64url-encoded (43 characters).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a secret. SHA-256 suffices: the input has 256 bits of entropy, so
/// there is nothing for a slow hash to protect against.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The keyed hash of API-key secrets: HMAC-SHA-256 under a server secret (`api_keys.pepper`).
///
/// Why not argon2, as for passwords: a key's secret has 256 random bits, so there is no
/// dictionary to slow down, and a slow hash would cost every machine request tens of
/// milliseconds. Why keyed rather than a plain SHA-256: a copy of the database alone
/// (a backup, a replica) is not enough to check guessed keys offline.
#[derive(Clone)]
pub struct KeyHasher {
    pepper: Vec<u8>,
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHasher(..)")
    }
}

impl KeyHasher {
    /// A hasher keyed with `pepper` (at least 32 bytes in production).
    pub fn new(pepper: impl Into<Vec<u8>>) -> Self {
        Self {
            pepper: pepper.into(),
        }
    }

    fn mac(&self, secret: &str) -> Hmac<Sha256> {
        // HMAC accepts keys of any length: `new_from_slice` cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.pepper)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(secret.as_bytes());
        mac
    }

    /// The stored form of `secret`.
    pub fn hash(&self, secret: &str) -> Vec<u8> {
        self.mac(secret).finalize().into_bytes().to_vec()
    }

    /// Whether `secret` hashes to `stored`, compared in constant time.
    pub fn matches(&self, secret: &str, stored: &[u8]) -> bool {
        self.mac(secret).verify_slice(stored).is_ok()
    }
}

/// A fresh API-key prefix: 8 characters of `[a-z0-9]`.
pub fn new_key_prefix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    (0..castellan_domain::api_key::PREFIX_LEN)
        .map(|_| char::from(ALPHABET[rand::Rng::gen_range(&mut rng, 0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hashes_depend_on_the_pepper_and_compare_exactly() {
        let (a, b) = (KeyHasher::new(*b"pepper-a"), KeyHasher::new(*b"pepper-b"));
        let secret = new_secret();
        let stored = a.hash(&secret);
        assert_eq!(stored.len(), 32);
        assert!(a.matches(&secret, &stored));
        assert!(!b.matches(&secret, &stored));
        assert!(!a.matches(&new_secret(), &stored));
        assert!(!a.matches(&secret, &stored[..31]));
        let prefix = new_key_prefix();
        assert_eq!(prefix.len(), 8);
        assert!(prefix
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }

    #[test]
    fn secrets_are_long_random_and_hash_stably() {
        let a = new_secret();
        let b = new_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }
}
