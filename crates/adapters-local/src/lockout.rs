use async_trait::async_trait;
use castellan_domain::lockout::{Attempt, EmailCounters, LockKind, LockoutPolicy};
use castellan_ports::{LoginLockout, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Emails tracked at most before idle ones are dropped.
const SWEEP_AT: usize = 10_000;

/// Login lockout counters in process memory (the embedded default: one process). Each
/// step runs under one lock, so concurrent attempts are counted exactly.
#[derive(Debug, Clone)]
pub struct InProcessLockout {
    policy: LockoutPolicy,
    started: Instant,
    emails: Arc<Mutex<HashMap<String, EmailCounters>>>,
    /// The size at which idle emails are next swept out (doubles with the live ones).
    sweep_at: Arc<std::sync::atomic::AtomicUsize>,
}

impl InProcessLockout {
    /// Counters under `policy`.
    pub fn new(policy: LockoutPolicy) -> Self {
        Self {
            policy,
            started: Instant::now(),
            emails: Arc::default(),
            sweep_at: Arc::new(std::sync::atomic::AtomicUsize::new(SWEEP_AT)),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn emails(&self) -> Result<MutexGuard<'_, HashMap<String, EmailCounters>>, StoreError> {
        self.emails
            .lock()
            .map_err(|_| StoreError::Unavailable("lockout counters poisoned".into()))
    }
}

#[async_trait]
impl LoginLockout for InProcessLockout {
    async fn begin(&self, email: &str, address: &str) -> Result<Attempt, StoreError> {
        let now = self.now_ms();
        let mut emails = self.emails()?;
        let sweep_at = &self.sweep_at;
        if emails.len() > sweep_at.load(std::sync::atomic::Ordering::Relaxed) {
            // Under the lock: the threshold moves with the map it guards.
            emails.retain(|_, counters| !self.policy.is_idle(counters, now));
            let next = (emails.len() * 2).max(SWEEP_AT);
            sweep_at.store(next, std::sync::atomic::Ordering::Relaxed);
        }
        let counters = emails.entry(email.to_owned()).or_default();
        Ok(self.policy.begin(counters, address, now))
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
