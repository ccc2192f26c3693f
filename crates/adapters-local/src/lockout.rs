use async_trait::async_trait;
use castellan_domain::lockout::{Attempt, EmailCounters, LockKind, LockoutPolicy};
use castellan_ports::lockout::take_each;
use castellan_ports::{Attempted, Bucket, Gate, LoginLockout, RateLimiter, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Emails tracked at most before idle ones are dropped.
const SWEEP_AT: usize = 10_000;

/// Login lockout counters in process memory (the embedded default: one process). Each
/// step runs under one lock, so concurrent attempts are counted exactly. The buckets a
/// login takes first are those of the process's rate limiter.
#[derive(Debug, Clone)]
pub struct InProcessLockout {
    policy: LockoutPolicy,
    limiter: Arc<dyn RateLimiter>,
    started: Instant,
    emails: Arc<Mutex<HashMap<String, EmailCounters>>>,
    /// The size at which idle emails are next swept out (doubles with the live ones).
    sweep_at: Arc<std::sync::atomic::AtomicUsize>,
}

impl InProcessLockout {
    /// Counters under `policy`, taking a login's buckets from `limiter`.
    pub fn new(policy: LockoutPolicy, limiter: Arc<dyn RateLimiter>) -> Self {
        Self {
            policy,
            limiter,
            started: Instant::now(),
            emails: Arc::default(),
            sweep_at: Arc::new(std::sync::atomic::AtomicUsize::new(SWEEP_AT)),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The lockout's part of `begin`: refused while locked, else counted.
    fn count(&self, attempt: Attempted<'_>) -> Result<Attempt, StoreError> {
        let now = self.now_ms();
        let mut emails = self.emails()?;
        let sweep_at = &self.sweep_at;
        if emails.len() > sweep_at.load(std::sync::atomic::Ordering::Relaxed) {
            // Under the lock: the threshold moves with the map it guards.
            emails.retain(|_, counters| !self.policy.is_idle(counters, now));
            let next = (emails.len() * 2).max(SWEEP_AT);
            sweep_at.store(next, std::sync::atomic::Ordering::Relaxed);
        }
        let counters = emails.entry(attempt.email.to_owned()).or_default();
        Ok(self.policy.begin(counters, attempt.address, now))
    }

    fn emails(&self) -> Result<MutexGuard<'_, HashMap<String, EmailCounters>>, StoreError> {
        self.emails
            .lock()
            .map_err(|_| StoreError::Unavailable("lockout counters poisoned".into()))
    }
}

#[async_trait]
impl LoginLockout for InProcessLockout {
    async fn begin(
        &self,
        buckets: &[Bucket],
        attempt: Option<Attempted<'_>>,
    ) -> Result<Gate, StoreError> {
        let limits = take_each(self.limiter.as_ref(), buckets).await?;
        let attempt = match attempt {
            Some(attempt) if limits.iter().all(|d| d.allowed) => Some(self.count(attempt)?),
            _ => None,
        };
        Ok(Gate { limits, attempt })
    }

    async fn failed(&self, email: &str, address: &str) -> Result<Option<LockKind>, StoreError> {
        let now = self.now_ms();
        let mut emails = self.emails()?;
        let counters = emails.entry(email.to_owned()).or_default();
        Ok(self.policy.fail(counters, address, now))
    }

    async fn succeeded(&self, email: &str, address: &str) -> Result<(), StoreError> {
        if let Some(counters) = self.emails()?.get_mut(email) {
            self.policy.succeed(counters, address);
        }
        Ok(())
    }

    async fn clear(&self, email: &str) -> Result<(), StoreError> {
        self.emails()?.remove(email);
        Ok(())
    }
}
