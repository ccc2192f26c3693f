//! The credential vault's cryptography: envelope encryption of secrets with AES-256-GCM,
//! and the local key provider (a key file of versioned key-encryption keys).
//!
//! Each secret gets a fresh data key and nonce; the data key is wrapped by the provider's
//! current KEK. Associated data binds a ciphertext to its row (tenant id + credential id),
//! so a ciphertext copied to another row or tenant does not decrypt. Plaintexts and keys
//! live in `Zeroizing` buffers.

use crate::key_file::{self, Created};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use castellan_ports::{DataKey, KeyProvider, SealedSecret, SecretCipher, VaultError, WrappedKey};
use rand::RngCore;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;

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

/// Envelope encryption over a [`KeyProvider`]: AES-256-GCM with a fresh data key and
/// nonce per secret, the data key wrapped by the provider's current KEK.
#[derive(Debug, Clone)]
pub struct EnvelopeCipher {
    provider: Arc<dyn KeyProvider>,
}

impl EnvelopeCipher {
    /// A cipher whose data keys `provider` wraps.
    pub fn new(provider: Arc<dyn KeyProvider>) -> Self {
        Self { provider }
    }
}

#[async_trait]
impl SecretCipher for EnvelopeCipher {
    async fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<SealedSecret, VaultError> {
        let data_key: DataKey = fresh::<32>();
        let (nonce, ciphertext) = encrypt(&data_key, plaintext, aad)?;
        let key = self.provider.wrap(&data_key).await?;
        Ok(SealedSecret {
            key,
            nonce,
            ciphertext,
        })
    }

    async fn open(
        &self,
        sealed: &SealedSecret,
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let data_key = self.provider.unwrap(&sealed.key).await?;
        decrypt(&data_key, &sealed.nonce, &sealed.ciphertext, aad)
    }

    async fn rewrap(&self, key: &WrappedKey) -> Result<WrappedKey, VaultError> {
        let data_key = self.provider.unwrap(key).await?;
        self.provider.wrap(&data_key).await
    }

    fn provider(&self) -> &dyn KeyProvider {
        self.provider.as_ref()
    }
}

/// Versioned KEKs in a local file (`vault.kek_path`): one `version:base64(key)` line per
/// version, the highest current. Created with mode 0600 when absent; a file others may read
/// is refused.
///
/// Another process (`castellan keys rotate-kek`) may add a version while servers run: a
/// version it does not hold makes the provider read the file again, and it looks for a
/// newer current version at most once per [`RECHECK`], so that running servers wrap new
/// data keys with the new version soon after it appears.
#[derive(Clone)]
pub struct LocalKeyProvider {
    path: PathBuf,
    keks: Arc<RwLock<Keks>>,
    checked: Arc<Mutex<Instant>>,
}

type Kek = Zeroizing<[u8; 32]>;
type Keks = BTreeMap<u32, Kek>;

/// How often the key file is looked at for a new current version.
pub const RECHECK: Duration = Duration::from_secs(1);

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

fn parse(path: &Path, text: &str) -> Result<Keks, VaultError> {
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

fn render(keks: &Keks) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::new());
    for (version, key) in keks {
        text.push_str(&format!("{version}:{}\n", STANDARD.encode(key.as_ref())));
    }
    text
}

impl LocalKeyProvider {
    /// The key file at `path`: read, or created with one KEK (version 1) when absent.
    pub fn open(path: &Path) -> Result<Self, VaultError> {
        let keks = match read(path)? {
            Some(keks) => keks,
            None => {
                let keks = BTreeMap::from([(1, fresh::<32>())]);
                match key_file::create(path, &render(&keks)).map_err(|e| unavailable(path, e))? {
                    Created::Written => {
                        tracing::info!(path = %path.display(), "generated the vault's key-encryption key");
                        keks
                    }
                    // Another process created it first: its KEK is the one.
                    Created::Lost => {
                        read(path)?.ok_or_else(|| unavailable(path, "the key file vanished"))?
                    }
                }
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            keks: Arc::new(RwLock::new(keks)),
            checked: Arc::new(Mutex::new(Instant::now())),
        })
    }

    fn poisoned(&self) -> VaultError {
        unavailable(&self.path, "poisoned")
    }

    /// Reads the file again; versions it no longer holds are kept (a key once used is
    /// never forgotten by a running process).
    fn reload(&self) -> Result<(), VaultError> {
        let Some(found) = read(&self.path)? else {
            return Err(unavailable(&self.path, "the key file is gone"));
        };
        let mut keks = self.keks.write().map_err(|_| self.poisoned())?;
        keks.extend(found);
        Ok(())
    }

    /// Reloads when the last look at the file is older than [`RECHECK`].
    fn recheck(&self) {
        let due = match self.checked.lock() {
            Ok(mut checked) if checked.elapsed() >= RECHECK => {
                *checked = Instant::now();
                true
            }
            _ => false,
        };
        if due {
            if let Err(err) = self.reload() {
                tracing::warn!(error = %err, "could not re-read the vault key file");
            }
        }
    }

    fn lookup(&self, version: Option<u32>) -> Result<Option<(u32, Kek)>, VaultError> {
        let keks = self.keks.read().map_err(|_| self.poisoned())?;
        let found = match version {
            Some(v) => keks.get_key_value(&v),
            None => keks.iter().next_back(),
        };
        Ok(found.map(|(v, key)| (*v, key.clone())))
    }

    fn kek(&self, version: Option<u32>) -> Result<(u32, Kek), VaultError> {
        if version.is_none() {
            self.recheck();
        }
        if let Some(found) = self.lookup(version)? {
            return Ok(found);
        }
        // A version written by another process since this one last looked.
        self.reload()?;
        self.lookup(version)?
            .ok_or(VaultError::UnknownVersion(version.unwrap_or(0)))
    }

    fn grow(&self) -> Result<u32, VaultError> {
        self.reload()?;
        let mut keks = self.keks.write().map_err(|_| self.poisoned())?;
        let next = keks.keys().next_back().copied().unwrap_or(0) + 1;
        let mut grown = keks.clone();
        grown.insert(next, fresh::<32>());
        key_file::replace(&self.path, &render(&grown)).map_err(|e| unavailable(&self.path, e))?;
        *keks = grown;
        Ok(next)
    }
}

/// The KEKs in the file at `path` (`None`: no such file).
fn read(path: &Path) -> Result<Option<Keks>, VaultError> {
    match std::fs::read_to_string(path).map(Zeroizing::new) {
        Ok(text) => {
            refuse_shared(path)?;
            parse(path, &text).map(Some)
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(unavailable(path, err)),
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

    async fn add_version(&self) -> Result<u32, VaultError> {
        self.grow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tenant: &str, credential: &str) -> Vec<u8> {
        format!("{tenant}/{credential}").into_bytes()
    }

    fn envelope(provider: &LocalKeyProvider) -> EnvelopeCipher {
        EnvelopeCipher::new(Arc::new(provider.clone()))
    }

    #[tokio::test]
    async fn secrets_round_trip_bound_to_their_row() {
        let dir = tempfile::tempdir().unwrap();
        let vault = envelope(&LocalKeyProvider::open(&dir.path().join("vault/kek")).unwrap());
        let a = vault.seal(b"s3cret token", &row("t1", "c1")).await.unwrap();
        let b = vault.seal(b"s3cret token", &row("t1", "c2")).await.unwrap();
        assert_ne!(a.ciphertext, b.ciphertext, "fresh key and nonce per write");
        assert_ne!(a.key, b.key);
        assert!(!a.ciphertext.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(
            vault.open(&a, &row("t1", "c1")).await.unwrap().as_slice(),
            b"s3cret token"
        );
        // Moved to another row or tenant, or swapped with another row's: no plaintext.
        for (sealed, aad) in [(&a, row("t1", "c2")), (&a, row("t2", "c1"))] {
            assert!(matches!(
                vault.open(sealed, &aad).await,
                Err(VaultError::Undecryptable)
            ));
        }
        let swapped = SealedSecret {
            ciphertext: b.ciphertext.clone(),
            nonce: b.nonce.clone(),
            key: a.key.clone(),
        };
        assert!(vault.open(&swapped, &row("t1", "c1")).await.is_err());
    }

    #[test]
    fn processes_creating_the_key_file_at_once_share_one_kek() {
        let rounds = key_file::race(20, 6, |path| {
            let (version, kek) = LocalKeyProvider::open(path).unwrap().kek(None).unwrap();
            (version, *kek)
        });
        for round in rounds {
            assert!(round.iter().all(|kek| kek == &round[0]));
        }
    }

    #[tokio::test]
    async fn old_kek_versions_keep_decrypting_after_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let provider = LocalKeyProvider::open(&path).unwrap();
        let vault = envelope(&provider);
        let old = vault.seal(b"before", b"row").await.unwrap();
        assert_eq!(old.key.kek_version, 1);
        assert_eq!(provider.add_version().await.unwrap(), 2);
        let new = vault.seal(b"after", b"row").await.unwrap();
        assert_eq!(new.key.kek_version, 2);
        // Re-wrapped: the same data key under version 2, the ciphertext unchanged.
        let rewrapped = SealedSecret {
            key: vault.rewrap(&old.key).await.unwrap(),
            ..old.clone()
        };
        assert_eq!(rewrapped.key.kek_version, 2);
        // Reopened from the file: both versions are there.
        let reopened = envelope(&LocalKeyProvider::open(&path).unwrap());
        assert_eq!(reopened.provider().current_version().await.unwrap(), 2);
        for (sealed, plaintext) in [(&old, "before"), (&new, "after"), (&rewrapped, "before")] {
            let opened = reopened.open(sealed, b"row").await.unwrap();
            assert_eq!(opened.as_slice(), plaintext.as_bytes());
        }
        // A wrapped key passed off as another version's does not unwrap.
        let forged = WrappedKey {
            kek_version: 2,
            wrapped: old.key.wrapped.clone(),
        };
        assert!(provider.unwrap(&forged).await.is_err());
        let missing = WrappedKey {
            kek_version: 9,
            wrapped: old.key.wrapped,
        };
        assert!(matches!(
            provider.unwrap(&missing).await,
            Err(VaultError::UnknownVersion(9))
        ));
    }

    #[tokio::test]
    async fn a_version_added_by_another_process_is_picked_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let server = LocalKeyProvider::open(&path).unwrap();
        let writer = LocalKeyProvider::open(&path).unwrap();
        let rotation = envelope(&LocalKeyProvider::open(&path).unwrap());
        assert_eq!(rotation.provider().add_version().await.unwrap(), 2);
        // The server unwraps version 2 at once (an unknown version makes it read the file)...
        let sealed = rotation.seal(b"new", b"row").await.unwrap();
        assert_eq!(
            envelope(&server)
                .open(&sealed, b"row")
                .await
                .unwrap()
                .as_slice(),
            b"new"
        );
        // ...and wraps with it once it has looked at the file again.
        tokio::time::sleep(RECHECK + Duration::from_millis(50)).await;
        assert_eq!(writer.current_version().await.unwrap(), 2);
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
