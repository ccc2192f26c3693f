//! argon2id password hashing, off the async runtime and bounded in concurrency.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use castellan_ports::{CryptoError, PasswordHasher};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HasherParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HasherParams {
    /// OWASP's recommendation: m = 19 MiB, t = 2, p = 1.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

type Job = Box<dyn FnOnce(&Argon2<'static>) + Send>;

/// Hashes on a fixed set of dedicated threads, so that a burst of logins can neither starve
/// the async runtime nor multiply memory: each hash holds `memory_kib`, and with a fixed
/// thread count the allocator keeps at most one such buffer per thread (tokio's blocking
/// pool would spread hashes over up to hundreds of threads, each keeping its own).
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    jobs: std::sync::mpsc::Sender<Job>,
    dummy_hash: Arc<str>,
}

impl Argon2Hasher {
    /// A hasher with `params`, running at most `max_concurrent` hashes at once.
    pub fn new(params: HasherParams, max_concurrent: usize) -> Result<Self, CryptoError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| CryptoError::Hash(e.to_string()))?;
        let argon = Arc::new(Argon2::new(Algorithm::Argon2id, Version::V0x13, params));
        // A hash of a random password: verifying against it costs what a real check costs.
        let dummy_hash: Arc<str> = hash_with(&argon, &uuid::Uuid::new_v4().to_string())?.into();
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..max_concurrent.max(1) {
            let queue = Arc::clone(&queue);
            let argon = Arc::clone(&argon);
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job.
                    let job = match queue.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(&argon),
                        Err(_) => return, // every hasher handle dropped
                    }
                })
                .map_err(|e| CryptoError::Hash(e.to_string()))?;
        }
        Ok(Self { jobs, dummy_hash })
    }

    async fn run<T, F>(&self, job: F) -> Result<T, CryptoError>
    where
        T: Send + 'static,
        F: FnOnce(&Argon2<'static>) -> Result<T, CryptoError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(move |argon| {
                let _ = reply.send(job(argon));
            }))
            .map_err(|_| CryptoError::Hash("hashing threads are gone".into()))?;
        answer
            .await
            .map_err(|_| CryptoError::Hash("hashing thread failed".into()))?
    }
}

fn hash_with(argon: &Argon2<'_>, password: &str) -> Result<String, CryptoError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::Hash(e.to_string()))
}

fn verify_with(argon: &Argon2<'_>, password: &str, hash: &str) -> Result<bool, CryptoError> {
    let parsed = PasswordHash::new(hash).map_err(|e| CryptoError::Hash(e.to_string()))?;
    Ok(argon.verify_password(password.as_bytes(), &parsed).is_ok())
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, CryptoError> {
        self.run(move |argon| hash_with(argon, &password)).await
    }

    async fn verify(&self, password: String, hash: String) -> Result<bool, CryptoError> {
        self.run(move |argon| verify_with(argon, &password, &hash))
            .await
    }

    async fn verify_dummy(&self, password: String) -> Result<bool, CryptoError> {
        let dummy = Arc::clone(&self.dummy_hash);
        self.run(move |argon| verify_with(argon, &password, &dummy).map(|_| false))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Argon2Hasher {
        let params = HasherParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        Argon2Hasher::new(params, 2).unwrap()
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let hasher = cheap();
        let hash = hasher.hash("violet staircase".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher
            .verify("violet staircase".into(), hash.clone())
            .await
            .unwrap());
        assert!(!hasher
            .verify("violet staircasf".into(), hash)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn default_params_are_owasp() {
        let hasher = Argon2Hasher::new(HasherParams::default(), 1).unwrap();
        let hash = hasher.hash("violet staircase".into()).await.unwrap();
        assert!(hash.contains("m=19456,t=2,p=1"), "{hash}");
    }

    #[tokio::test]
    async fn dummy_never_matches() {
        let hasher = cheap();
        assert!(!hasher.verify_dummy("anything".into()).await.unwrap());
    }

    #[tokio::test]
    async fn garbage_hash_is_an_error() {
        assert!(cheap()
            .verify("x".into(), "not a hash".into())
            .await
            .is_err());
    }
}
