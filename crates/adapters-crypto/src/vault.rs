//! The credential vault's cryptography: envelope encryption of secrets with AES-256-GCM,
//! and the local key provider (a key file of versioned key-encryption keys).
//!
//! Each secret gets a fresh data key and nonce; the data key is wrapped by the provider's
//! current KEK. Associated data binds a ciphertext to its row (tenant id + credential id),
//! so a ciphertext copied to another row or tenant does not decrypt. Plaintexts and keys
//! live in `Zeroizing` buffers.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use castellan_ports::{DataKey, KeyProvider, VaultError, WrappedKey};
use rand::RngCore;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;

/// A secret as stored: its wrapped data key, and the nonce and ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The data key, wrapped by the provider.
    pub key: WrappedKey,
    /// AES-GCM nonce (fresh per write).
    pub nonce: Vec<u8>,
    /// Ciphertext with its tag.
    pub ciphertext: Vec<u8>,
}

fn fresh<const N: usize>() -> Zeroizing<[u8; N]> {
    let mut bytes = Zeroizing::new([0u8; N]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    bytes
}

fn cipher(key: &[u8; 32]) -> Result<Aes256Gcm, VaultError> {
    Aes256Gcm::new_from_slice(key).map_err(|_| VaultError::Unavailable("bad key length".into()))
}

/// AES-256-GCM of `plaintext` under `key`: `(nonce, ciphertext)`.
fn encrypt(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> Result<(Vec<u8>, Vec<u8>), VaultError> {
    let cipher = cipher(key)?;
    let nonce = fresh::<NONCE_LEN>();
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::Unavailable("encryption failed".into()))?;
    Ok((nonce.to_vec(), ciphertext))
}

fn decrypt(
    key: &[u8; 32],
    nonce: &[u8],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| VaultError::Undecryptable)?;
    let cipher = cipher(key)?;
    cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| VaultError::Undecryptable)
}

/// Encrypts `plaintext` for the row named by `aad` with a fresh data key, wrapped by
/// `provider`'s current KEK.
pub async fn seal(
    provider: &dyn KeyProvider,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Sealed, VaultError> {
    let data_key: DataKey = fresh::<32>();
    let (nonce, ciphertext) = encrypt(&data_key, plaintext, aad)?;
    let key = provider.wrap(&data_key).await?;
    Ok(Sealed {
        key,
        nonce,
        ciphertext,
    })
}

/// Decrypts what [`seal`] made for the row named by `aad`.
pub async fn open(
    provider: &dyn KeyProvider,
    sealed: &Sealed,
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let data_key = provider.unwrap(&sealed.key).await?;
    decrypt(&data_key, &sealed.nonce, &sealed.ciphertext, aad)
}

/// Versioned KEKs in a local file (`vault.kek_path`): one `version:base64(key)` line per
/// version, the highest current. Created with mode 0600 when absent; a file others may read
/// is refused.
#[derive(Clone)]
pub struct LocalKeyProvider {
    path: PathBuf,
    keks: Arc<RwLock<BTreeMap<u32, Zeroizing<[u8; 32]>>>>,
}

impl std::fmt::Debug for LocalKeyProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKeyProvider")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn unavailable(path: &Path, what: impl std::fmt::Display) -> VaultError {
    VaultError::Unavailable(format!("{}: {what}", path.display()))
}

fn parse(path: &Path, text: &str) -> Result<BTreeMap<u32, Zeroizing<[u8; 32]>>, VaultError> {
    let mut keks = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (version, encoded) = line
            .split_once(':')
            .ok_or_else(|| unavailable(path, "a line is not version:key"))?;
        let version: u32 = version
            .parse()
            .map_err(|_| unavailable(path, "a version is not a number"))?;
        let bytes = Zeroizing::new(
            STANDARD
                .decode(encoded)
                .map_err(|_| unavailable(path, "a key is not base64"))?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| unavailable(path, "a key is not 256 bits"))?;
        keks.insert(version, Zeroizing::new(key));
    }
    match keks.is_empty() {
        true => Err(unavailable(path, "no key")),
        false => Ok(keks),
    }
}

fn render(keks: &BTreeMap<u32, Zeroizing<[u8; 32]>>) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::new());
    for (version, key) in keks {
        text.push_str(&format!("{version}:{}\n", STANDARD.encode(key.as_ref())));
    }
    text
}

/// Writes `text` to `path` with mode 0600, through a temporary file renamed into place (a
/// crash leaves the old file or the new one, never half of one).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

impl LocalKeyProvider {
    /// The key file at `path`: read, or created with one KEK (version 1) when absent.
    pub fn open(path: &Path) -> Result<Self, VaultError> {
        let keks = match std::fs::read_to_string(path) {
            Ok(text) => {
                refuse_shared(path)?;
                parse(path, &text)?
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| unavailable(path, e))?;
                }
                let keks = BTreeMap::from([(1, fresh::<32>())]);
                write_private(path, &render(&keks)).map_err(|e| unavailable(path, e))?;
                tracing::info!(path = %path.display(), "generated the vault's key-encryption key");
                keks
            }
            Err(err) => return Err(unavailable(path, err)),
        };
        Ok(Self {
            path: path.to_path_buf(),
            keks: Arc::new(RwLock::new(keks)),
        })
    }

    /// Adds a new KEK version, written to the file before it is used; returns it.
    pub fn add_version(&self) -> Result<u32, VaultError> {
        let mut keks = self
            .keks
            .write()
            .map_err(|_| unavailable(&self.path, "poisoned"))?;
        let next = keks.keys().next_back().copied().unwrap_or(0) + 1;
        let mut grown = keks.clone();
        grown.insert(next, fresh::<32>());
        write_private(&self.path, &render(&grown)).map_err(|e| unavailable(&self.path, e))?;
        *keks = grown;
        Ok(next)
    }

    fn kek(&self, version: Option<u32>) -> Result<(u32, Zeroizing<[u8; 32]>), VaultError> {
        let keks = self
            .keks
            .read()
            .map_err(|_| unavailable(&self.path, "poisoned"))?;
        let found = match version {
            Some(v) => keks.get_key_value(&v),
            None => keks.iter().next_back(),
        };
        match found {
            Some((v, key)) => Ok((*v, key.clone())),
            None => Err(VaultError::UnknownVersion(version.unwrap_or(0))),
        }
    }
}

/// A key file readable or writable by group or others is refused.
fn refuse_shared(path: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| unavailable(path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(unavailable(
                path,
                format!(
                    "mode {:o} lets others read the key (chmod 600)",
                    mode & 0o777
                ),
            ));
        }
    }
    Ok(())
}

/// The associated data of a wrapped key: its KEK version (a key cannot be passed off as
/// wrapped by another version).
fn wrap_aad(version: u32) -> Vec<u8> {
    format!("castellan-data-key:v{version}").into_bytes()
}

#[async_trait]
impl KeyProvider for LocalKeyProvider {
    async fn current_version(&self) -> Result<u32, VaultError> {
        self.kek(None).map(|(version, _)| version)
    }

    async fn wrap(&self, key: &DataKey) -> Result<WrappedKey, VaultError> {
        let (version, kek) = self.kek(None)?;
        let (nonce, ciphertext) = encrypt(&kek, key.as_ref(), &wrap_aad(version))?;
        let mut wrapped = nonce;
        wrapped.extend(ciphertext);
        Ok(WrappedKey {
            kek_version: version,
            wrapped,
        })
    }

    async fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, VaultError> {
        let (version, kek) = self.kek(Some(wrapped.kek_version))?;
        if wrapped.wrapped.len() < NONCE_LEN {
            return Err(VaultError::Undecryptable);
        }
        let (nonce, ciphertext) = wrapped.wrapped.split_at(NONCE_LEN);
        let bytes = decrypt(&kek, nonce, ciphertext, &wrap_aad(version))?;
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::Undecryptable)?;
        Ok(Zeroizing::new(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tenant: &str, credential: &str) -> Vec<u8> {
        format!("{tenant}/{credential}").into_bytes()
    }

    #[tokio::test]
    async fn secrets_round_trip_bound_to_their_row() {
        let dir = tempfile::tempdir().unwrap();
        let provider = LocalKeyProvider::open(&dir.path().join("vault/kek")).unwrap();
        let a = seal(&provider, b"s3cret token", &row("t1", "c1"))
            .await
            .unwrap();
        let b = seal(&provider, b"s3cret token", &row("t1", "c2"))
            .await
            .unwrap();
        assert_ne!(a.ciphertext, b.ciphertext, "fresh key and nonce per write");
        assert_ne!(a.key, b.key);
        assert!(!a.ciphertext.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(
            open(&provider, &a, &row("t1", "c1"))
                .await
                .unwrap()
                .as_slice(),
            b"s3cret token"
        );
        // Moved to another row or tenant, or swapped with another row's: no plaintext.
        for (sealed, aad) in [(&a, row("t1", "c2")), (&a, row("t2", "c1"))] {
            assert!(matches!(
                open(&provider, sealed, &aad).await,
                Err(VaultError::Undecryptable)
            ));
        }
        let swapped = Sealed {
            ciphertext: b.ciphertext.clone(),
            nonce: b.nonce.clone(),
            key: a.key.clone(),
        };
        assert!(open(&provider, &swapped, &row("t1", "c1")).await.is_err());
    }

    #[tokio::test]
    async fn old_kek_versions_keep_decrypting_after_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let provider = LocalKeyProvider::open(&path).unwrap();
        let old = seal(&provider, b"before", b"row").await.unwrap();
        assert_eq!(old.key.kek_version, 1);
        assert_eq!(provider.add_version().unwrap(), 2);
        let new = seal(&provider, b"after", b"row").await.unwrap();
        assert_eq!(new.key.kek_version, 2);
        // Reopened from the file: both versions are there.
        let reopened = LocalKeyProvider::open(&path).unwrap();
        assert_eq!(reopened.current_version().await.unwrap(), 2);
        assert_eq!(
            open(&reopened, &old, b"row").await.unwrap().as_slice(),
            b"before"
        );
        assert_eq!(
            open(&reopened, &new, b"row").await.unwrap().as_slice(),
            b"after"
        );
        // A wrapped key passed off as another version's does not unwrap.
        let forged = WrappedKey {
            kek_version: 2,
            wrapped: old.key.wrapped.clone(),
        };
        assert!(reopened.unwrap(&forged).await.is_err());
        let missing = WrappedKey {
            kek_version: 9,
            wrapped: old.key.wrapped,
        };
        assert!(matches!(
            reopened.unwrap(&missing).await,
            Err(VaultError::UnknownVersion(9))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        LocalKeyProvider::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = LocalKeyProvider::open(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::write(dir.path().join("bad"), "1:not-base64!\n").unwrap();
        std::fs::set_permissions(
            dir.path().join("bad"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        assert!(LocalKeyProvider::open(&dir.path().join("bad")).is_err());
    }
}
