//! argon2id password hashing, off the async runtime and bounded in concurrency.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use castellan_ports::{CryptoError, PasswordHasher};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
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

/// How long a hashing thread keeps its argon2 memory without a job: reused across a burst
/// of logins (allocating it per hash costs its page faults every time), given back after.
const KEEP_MEMORY_IDLE: Duration = Duration::from_secs(1);

/// The argon2 memory of the hashing threads that are not hashing, for the next job. Kept
/// here rather than by each thread so that whichever thread notices the idleness (the one
/// waiting for the next job) frees all of it.
#[derive(Clone, Default)]
struct Spare(Arc<Mutex<Vec<Vec<Block>>>>);

impl std::fmt::Debug for Spare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Spare")
    }
}

impl Spare {
    /// Argon2 blocks (1 KiB each) held for the next jobs.
    #[cfg(test)]
    fn blocks(&self) -> usize {
        self.0
            .lock()
            .map(|spare| spare.iter().map(Vec::len).sum())
            .unwrap_or(0)
    }

    fn take(&self) -> Vec<Block> {
        self.0
            .lock()
            .map(|mut spare| spare.pop().unwrap_or_default())
            .unwrap_or_default()
    }

    fn put(&self, memory: Vec<Block>) {
        if let Ok(mut spare) = self.0.lock() {
            spare.push(memory);
        }
    }

    fn clear(&self) {
        if let Ok(mut spare) = self.0.lock() {
            spare.clear();
        }
    }
}

/// A hashing job: runs on a hashing thread with reusable argon2 memory.
type Job = Box<dyn FnOnce(&Argon2<'static>, &mut Vec<Block>) + Send>;

/// Hashes on a fixed set of dedicated threads, so that a burst of logins can neither starve
/// the async runtime nor grow memory: each thread allocates its argon2 memory (`memory_kib`)
/// once and reuses it while jobs keep coming, so the process holds at most threads ×
/// `memory_kib` for hashing, however many logins arrive (allocating per hash costs its page
/// faults every time, and let glibc's arenas keep several times that after a load); once no
/// job has come for [`KEEP_MEMORY_IDLE`], the memory is freed until the next one.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    jobs: std::sync::mpsc::Sender<Job>,
    dummy_hash: Arc<str>,
    #[cfg(test)]
    spare: Spare,
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
        let dummy_hash: Arc<str> =
            hash_with(&argon, &mut Vec::new(), &uuid::Uuid::new_v4().to_string())?.into();
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let spare = Spare::default();
        for n in 0..max_concurrent.max(1) {
            let queue = Arc::clone(&queue);
            let spare = spare.clone();
            let argon = Arc::clone(&argon);
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    yield_to_requests();
                    serve_jobs(&queue, &argon, &spare);
                })
                .map_err(|e| CryptoError::Hash(e.to_string()))?;
        }
        Ok(Self {
            jobs,
            dummy_hash,
            #[cfg(test)]
            spare,
        })
    }

    async fn run<T, F>(&self, job: F) -> Result<T, CryptoError>
    where
        T: Send + 'static,
        F: FnOnce(&Argon2<'static>, &mut Vec<Block>) -> Result<T, CryptoError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(move |argon, memory| {
                let _ = reply.send(job(argon, memory));
            }))
            .map_err(|_| CryptoError::Hash("hashing threads are gone".into()))?;
        answer
            .await
            .map_err(|_| CryptoError::Hash("hashing thread failed".into()))?
    }
}

/// The nice value of the hashing threads: below request handling (0), so that a login
/// storm, which keeps every hashing thread busy, does not hold up the other requests; the
/// hashes still get every cycle nothing else wants.
const HASHING_NICE: u8 = 10;

/// Lowers this (hashing) thread's priority to [`HASHING_NICE`]; a failure (not Linux, say)
/// is logged and the thread hashes at normal priority.
fn yield_to_requests() {
    use thread_priority::{set_current_thread_priority, ThreadPriority, ThreadPriorityValue};
    // thread-priority maps its 0..=99 scale onto nice 19..=-20 (nice = -20 + 39 * (1 - p /
    // 99), truncated): 22 is nice 10 (the test reads it back).
    let priority = ThreadPriorityValue::try_from(22_u8).map(ThreadPriority::Crossplatform);
    let lowered = priority
        .map_err(|e| e.to_string())
        .and_then(|p| set_current_thread_priority(p).map_err(|e| e.to_string()));
    if let Err(error) = lowered {
        tracing::warn!(%error, nice = HASHING_NICE, "could not lower the hashing thread's priority");
    }
}

/// A hashing thread's life: the next job with spare memory, until every handle is gone;
/// the spare memory is freed when no job has come for [`KEEP_MEMORY_IDLE`].
fn serve_jobs(queue: &Mutex<Receiver<Job>>, argon: &Argon2<'static>, spare: &Spare) {
    loop {
        // The lock is held only while waiting for the next job.
        let job = match queue.lock() {
            Ok(receiver) => receiver.recv_timeout(KEEP_MEMORY_IDLE),
            Err(_) => return,
        };
        match job {
            Ok(job) => {
                let mut memory = spare.take();
                job(argon, &mut memory);
                spare.put(memory);
            }
            // No job for a while: the storm is over; give the memory back.
            Err(RecvTimeoutError::Timeout) => spare.clear(),
            Err(RecvTimeoutError::Disconnected) => return, // every handle dropped
        }
    }
}

fn err(e: impl std::fmt::Display) -> CryptoError {
    CryptoError::Hash(e.to_string())
}

/// `memory` resized to exactly what `params` need (it only ever grows in capacity).
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let count = params.block_count();
    if memory.len() < count {
        memory.resize(count, Block::default());
    }
    &mut memory[..count]
}

/// A PHC string for `password`, computed in `memory`.
fn hash_with(
    argon: &Argon2<'_>,
    memory: &mut Vec<Block>,
    password: &str,
) -> Result<String, CryptoError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.as_salt().decode_b64(&mut salt_bytes).map_err(err)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let params = argon.params();
    argon
        .hash_password_into_with_memory(
            password.as_bytes(),
            raw_salt,
            &mut out,
            blocks(memory, params),
        )
        .map_err(err)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(err)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(err)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `hash` (whatever parameters it was made with),
/// computed in `memory` and compared in constant time.
fn verify_with(memory: &mut Vec<Block>, password: &str, hash: &str) -> Result<bool, CryptoError> {
    let parsed = PasswordHash::new(hash).map_err(err)?;
    let expected = parsed.hash.ok_or_else(|| err("hash without output"))?;
    let salt = parsed.salt.ok_or_else(|| err("hash without salt"))?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(err)?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(err)?,
        None => Version::default(),
    };
    let stored = Params::try_from(&parsed).map_err(err)?;
    let params = Params::new(
        stored.m_cost(),
        stored.t_cost(),
        stored.p_cost(),
        Some(expected.len()),
    )
    .map_err(err)?;
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_bytes).map_err(err)?;
    let mut out = vec![0u8; expected.len()];
    argon
        .hash_password_into_with_memory(
            password.as_bytes(),
            raw_salt,
            &mut out,
            blocks(memory, &params),
        )
        .map_err(err)?;
    // `Output`'s equality is constant-time.
    Ok(Output::new(&out).map_err(err)? == expected)
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, CryptoError> {
        self.run(move |argon, memory| hash_with(argon, memory, &password))
            .await
    }

    async fn verify(&self, password: String, hash: String) -> Result<bool, CryptoError> {
        self.run(move |_, memory| verify_with(memory, &password, &hash))
            .await
    }

    async fn verify_dummy(&self, password: String) -> Result<bool, CryptoError> {
        let dummy = Arc::clone(&self.dummy_hash);
        self.run(move |_, memory| verify_with(memory, &password, &dummy).map(|_| false))
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
    async fn hashing_memory_is_kept_through_a_burst_and_freed_after() {
        let hasher = cheap();
        // The answer is sent before the thread puts its memory back: wait for that.
        let held_soon = || async {
            for _ in 0..100 {
                if hasher.spare.blocks() >= 1024 {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            false
        };
        for _ in 0..3 {
            hasher.hash("violet staircase".into()).await.unwrap();
        }
        assert!(held_soon().await, "kept for the next hash");
        tokio::time::sleep(KEEP_MEMORY_IDLE * 3).await;
        assert_eq!(hasher.spare.blocks(), 0, "freed once idle");
        hasher.hash("violet staircase".into()).await.unwrap();
        assert!(held_soon().await, "allocated again when needed");
    }

    /// This thread's nice value, from `/proc` (Linux).
    fn current_nice() -> Result<i64, CryptoError> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").map_err(err)?;
        // The fields after the command name (which may hold spaces) in parentheses; nice is
        // the 19th field of the line, the 17th after the name.
        let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        after_name
            .split_whitespace()
            .nth(16)
            .ok_or_else(|| err("no nice field"))?
            .parse()
            .map_err(err)
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_yield_to_requests() {
        let hasher = cheap();
        let nice = hasher.run(|_, _| current_nice()).await.unwrap();
        assert_eq!(nice, i64::from(HASHING_NICE));
        assert_eq!(
            current_nice().unwrap(),
            0,
            "the caller's thread is left alone"
        );
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
    async fn verifies_hashes_made_elsewhere_and_with_other_parameters() {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(2048, 1, 1, None).unwrap(),
        );
        let hash = other
            .hash_password(b"violet staircase", &salt)
            .unwrap()
            .to_string();
        let hasher = cheap();
        assert!(hasher
            .verify("violet staircase".into(), hash.clone())
            .await
            .unwrap());
        assert!(!hasher
            .verify("violet staircases".into(), hash)
            .await
            .unwrap());
        // And what this hasher makes, the reference implementation accepts.
        use argon2::password_hash::PasswordVerifier as _;
        let ours = hasher.hash("indigo lighthouse".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"indigo lighthouse", &parsed)
            .is_ok());
    }

    #[tokio::test]
    async fn garbage_hash_is_an_error() {
        assert!(cheap()
            .verify("x".into(), "not a hash".into())
            .await
            .is_err());
    }
}
