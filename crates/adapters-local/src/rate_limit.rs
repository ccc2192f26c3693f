use async_trait::async_trait;
use castellan_ports::rate_limit::{
    level, take, Debt, Quota, RateDecision, RateLimiter, SharedBuckets,
};
use castellan_ports::StoreError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Buckets kept this many at most before full (idle) ones are dropped.
const SWEEP_AT: usize = 10_000;

/// A bucket: tokens left, when they were counted (ms since start), and its quota.
type Bucket = (f64, u64, Quota);

/// Token buckets in process memory: the embedded default's rate limiter (one process).
#[derive(Debug, Clone)]
pub struct InProcessRateLimiter {
    started: Instant,
    buckets: Arc<Mutex<Buckets>>,
}

/// The buckets, and the size at which idle ones are next swept out.
#[derive(Debug, Default)]
struct Buckets {
    map: HashMap<String, Bucket>,
    sweep_at: usize,
}

impl Default for InProcessRateLimiter {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            buckets: Arc::default(),
        }
    }
}

impl InProcessRateLimiter {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn buckets(&self) -> Result<std::sync::MutexGuard<'_, Buckets>, StoreError> {
        self.buckets
            .lock()
            .map_err(|_| StoreError::Unavailable("rate limiter poisoned".into()))
    }

    /// Takes a token of the bucket `key` if it is held (a full bucket may have been swept
    /// out); `None`, and nothing taken, if not.
    fn hit_held(&self, key: &str, quota: Quota) -> Result<Option<RateDecision>, StoreError> {
        let now = self.now_ms();
        let mut buckets = self.buckets()?;
        Ok(buckets
            .map
            .get_mut(key)
            .map(|bucket| take_from(bucket, now, quota)))
    }

    /// Brings the bucket `key` down to `tokens` now, if it has more (what another view of
    /// the same bucket, a shared one, says is left).
    fn lower_to(&self, key: &str, quota: Quota, tokens: f64) -> Result<(), StoreError> {
        let now = self.now_ms();
        let mut buckets = self.buckets()?;
        let current = buckets.map.get(key).map(|(tokens, at, _)| (*tokens, *at));
        let level = level(current, now, quota).min(tokens);
        buckets.map.insert(key.to_string(), (level, now, quota));
        Ok(())
    }
}

/// Takes a token of `bucket` now: its new level, and the decision.
fn take_from(bucket: &mut Bucket, now: u64, quota: Quota) -> RateDecision {
    let (left, decision) = take(Some((bucket.0, bucket.1)), now, quota);
    *bucket = (left, now, quota);
    decision
}

#[async_trait]
impl RateLimiter for InProcessRateLimiter {
    async fn hit(&self, key: &str, quota: Quota) -> Result<RateDecision, StoreError> {
        let now = self.now_ms();
        let mut buckets = self.buckets()?;
        // One lookup, and a key allocated only for a new bucket.
        if let Some(bucket) = buckets.map.get_mut(key) {
            return Ok(take_from(bucket, now, quota));
        }
        let (left, decision) = take(None, now, quota);
        buckets.map.insert(key.to_string(), (left, now, quota));
        if buckets.map.len() > buckets.sweep_at.max(SWEEP_AT) {
            // A bucket that has refilled completely holds no information. The next sweep
            // waits until the map has doubled: many live buckets cost a sweep now and then,
            // never one per request.
            buckets.map.retain(|_, (tokens, at, q)| {
                take(Some((*tokens, *at)), now, *q).1.remaining + 1 < q.limit
            });
            buckets.sweep_at = buckets.map.len() * 2;
        }
        Ok(decision)
    }
}

/// A shared limit decided in process and settled with the shared buckets every so often:
/// each replica answers from its own copy of a bucket (no round trip per request) and pays
/// what it let through at the next settlement, in one round trip for all its buckets,
/// learning there what the others took. A bucket this replica does not hold yet is first
/// read from the shared store (one round trip).
///
/// Exact on one replica; across replicas, one client can get beyond its limit what the
/// other replicas let it through within one settlement period.
#[derive(Debug, Clone)]
pub struct SettledRateLimiter {
    inner: Arc<Settled>,
}

/// Tokens let through by bucket, with the bucket's quota.
type Owed = HashMap<String, (Quota, u32)>;

#[derive(Debug)]
struct Settled {
    local: InProcessRateLimiter,
    shared: Arc<dyn SharedBuckets>,
    /// Tokens taken locally since the last settlement, by bucket.
    owed: Mutex<Owed>,
    /// Whether the last settlement reached the shared store (a failure is logged once).
    reachable: AtomicBool,
}

impl SettledRateLimiter {
    /// A limiter over `shared` that settles every `period`, from a task on the current
    /// Tokio runtime that ends when the limiter is dropped (none outside a runtime: then
    /// only [`settle`](Self::settle) settles).
    pub fn start(shared: Arc<dyn SharedBuckets>, period: Duration) -> Self {
        let limiter = Self {
            inner: Arc::new(Settled {
                local: InProcessRateLimiter::default(),
                shared,
                owed: Mutex::default(),
                reachable: AtomicBool::new(true),
            }),
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(settle_every(Arc::downgrade(&limiter.inner), period));
        }
        limiter
    }

    /// Pays what was let through since the last settlement and lowers each bucket to what
    /// the shared one has left (minus what was let through meanwhile).
    pub async fn settle(&self) -> Result<(), StoreError> {
        self.inner.settle().await
    }
}

async fn settle_every(limiter: Weak<Settled>, period: Duration) {
    // The first settlement one period from now: at start nothing is owed, and an
    // immediate tick would land at an arbitrary point of the first requests.
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(limiter) = limiter.upgrade() else {
            return;
        };
        // Failures are logged in `settle`; the debts wait for the next round.
        let _ = limiter.settle().await;
    }
}

impl Settled {
    fn owed(&self) -> Result<std::sync::MutexGuard<'_, Owed>, StoreError> {
        self.owed
            .lock()
            .map_err(|_| StoreError::Unavailable("rate limiter poisoned".into()))
    }

    async fn settle(&self) -> Result<(), StoreError> {
        let debts: Vec<Debt> = std::mem::take(&mut *self.owed()?)
            .into_iter()
            .map(|(key, (quota, taken))| Debt { key, quota, taken })
            .collect();
        if debts.is_empty() {
            return Ok(());
        }
        let Err(err) = self.pay(&debts).await else {
            return Ok(());
        };
        // Owed still: paid at the next settlement that reaches the store.
        let mut owed = self.owed()?;
        for debt in debts {
            let entry = owed.entry(debt.key).or_insert((debt.quota, 0));
            entry.1 = entry.1.saturating_add(debt.taken).min(debt.quota.limit);
        }
        Err(err)
    }

    /// Settles `debts` with the shared store and lowers each local bucket to what its
    /// shared one has left; an unreachable store is noted (and logged once).
    async fn pay(&self, debts: &[Debt]) -> Result<(), StoreError> {
        match self.shared.settle(debts).await {
            Ok(left) => {
                self.reachable.store(true, Ordering::Relaxed);
                self.lower(debts, &left)
            }
            Err(err) => {
                self.unreachable(&err);
                Err(err)
            }
        }
    }

    /// Each bucket down to what its shared bucket has left, less what this replica let
    /// through since the settlement began.
    fn lower(&self, debts: &[Debt], left: &[f64]) -> Result<(), StoreError> {
        let owed = self.owed()?;
        for (debt, left) in debts.iter().zip(left) {
            let meanwhile = owed.get(&debt.key).map_or(0, |(_, n)| *n);
            self.local
                .lower_to(&debt.key, debt.quota, left - f64::from(meanwhile))?;
        }
        Ok(())
    }

    /// A bucket seen for the first time starts from the shared one's level.
    async fn adopt(&self, key: &str, quota: Quota) {
        let ask = [Debt {
            key: key.to_string(),
            quota,
            taken: 0,
        }];
        // Unreachable: the bucket starts full here (the limit fails open).
        let _ = self.pay(&ask).await;
    }

    /// Logs the first failure to reach the shared store (not one per period).
    fn unreachable(&self, err: &StoreError) {
        if self.reachable.swap(false, Ordering::Relaxed) {
            tracing::warn!(error = %err, "shared rate limits unreachable: limiting in process until they answer");
        }
    }
}

#[async_trait]
impl RateLimiter for SettledRateLimiter {
    async fn hit(&self, key: &str, quota: Quota) -> Result<RateDecision, StoreError> {
        let settled = &self.inner;
        let decision = match settled.local.hit_held(key, quota)? {
            Some(decision) => decision,
            None => {
                settled.adopt(key, quota).await;
                settled.local.hit(key, quota).await?
            }
        };
        if decision.allowed {
            let mut owed = settled.owed()?;
            match owed.get_mut(key) {
                Some((_, tokens)) => *tokens = tokens.saturating_add(1),
                None => {
                    owed.insert(key.to_string(), (quota, 1));
                }
            }
        }
        Ok(decision)
    }
}
