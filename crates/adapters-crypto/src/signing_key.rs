//! The Ed25519 signing key: from PEM text, from a file, or generated once and persisted.

use crate::key_file::{self, Created};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Why the signing key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the key file failed.
    #[error("signing key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The PEM is not a PKCS#8 Ed25519 private key.
    #[error("signing key is not a PKCS#8 Ed25519 private key in PEM")]
    Malformed,
}

/// A private key ready for signing, with its public half and key id.
#[derive(Clone)]
pub struct SigningKeyMaterial {
    /// PKCS#8 PEM of the private key.
    pub(crate) private_pem: String,
    /// Raw 32-byte public key.
    pub(crate) public: [u8; 32],
    /// Key id: the first 16 characters of base64url(SHA-256(public key)).
    pub kid: String,
}

impl std::fmt::Debug for SigningKeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("SigningKeyMaterial")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKeyMaterial {
    /// From a PKCS#8 PEM private key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = SigningKey::from_pkcs8_pem(pem.trim()).map_err(|_| KeyError::Malformed)?;
        Self::from_key(&key)
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, KeyError> {
        Self::from_key(&SigningKey::generate(&mut rand::rngs::OsRng))
    }

    fn from_key(key: &SigningKey) -> Result<Self, KeyError> {
        let private_pem = key
            .to_pkcs8_pem(Default::default())
            .map_err(|_| KeyError::Malformed)?
            .to_string();
        let public = key.verifying_key().to_bytes();
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(public))[..16].to_string();
        Ok(Self {
            private_pem,
            public,
            kid,
        })
    }

    /// The private key as PKCS#8 PEM (for persisting it).
    pub fn to_pem(&self) -> &str {
        &self.private_pem
    }
}

/// Loads the key at `path`, or generates one and writes it there (mode 0600, parent
/// directories created) so that tokens survive a restart. Of processes generating it at
/// once, the first to write it wins and the others load theirs.
pub fn load_or_generate(path: &Path) -> Result<SigningKeyMaterial, KeyError> {
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(pem) => SigningKeyMaterial::from_pem(&pem),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKeyMaterial::generate()?;
            match key_file::create(path, key.to_pem()).map_err(io)? {
                Created::Written => {
                    tracing::info!(path = %path.display(), kid = %key.kid, "generated a new signing key");
                    Ok(key)
                }
                Created::Lost => {
                    SigningKeyMaterial::from_pem(&std::fs::read_to_string(path).map_err(io)?)
                }
            }
        }
        Err(err) => Err(io(err)),
    }
}

/// A server secret (the API-key pepper) kept in the file at `path`: read when it exists,
/// else 256 random bits generated and written there (mode 0600; of processes generating it
/// at once, the first to write it wins). Surrounding whitespace is not part of the secret.
pub fn load_or_generate_secret(path: &Path) -> Result<String, std::io::Error> {
    match std::fs::read_to_string(path) {
        Ok(secret) => Ok(secret.trim().to_owned()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            use base64::Engine;
            use rand::RngCore;
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            match key_file::create(path, &secret)? {
                Created::Written => {
                    tracing::info!(path = %path.display(), "generated a new server secret");
                    Ok(secret)
                }
                Created::Lost => Ok(std::fs::read_to_string(path)?.trim().to_owned()),
            }
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_is_persisted_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/pepper.key");
        let first = load_or_generate_secret(&path).unwrap();
        assert_eq!(first.len(), 43);
        assert_eq!(load_or_generate_secret(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn generated_key_is_persisted_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/signing.key");
        let first = load_or_generate(&path).unwrap();
        let second = load_or_generate(&path).unwrap();
        assert_eq!(first.kid, second.kid);
        assert_eq!(first.public, second.public);
    }

    #[test]
    fn processes_generating_at_once_share_one_secret() {
        for round in key_file::race(20, 6, |path| load_or_generate_secret(path).unwrap()) {
            assert!(round.iter().all(|secret| secret == &round[0]), "{round:?}");
            assert_eq!(round[0].len(), 43);
        }
    }

    #[test]
    fn processes_generating_at_once_share_one_signing_key() {
        for round in key_file::race(20, 6, |path| load_or_generate(path).unwrap().kid) {
            assert!(round.iter().all(|kid| kid == &round[0]), "{round:?}");
        }
    }

    #[test]
    fn malformed_pem_is_refused() {
        assert!(matches!(
            SigningKeyMaterial::from_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
            ),
            Err(KeyError::Malformed)
        ));
    }
}
