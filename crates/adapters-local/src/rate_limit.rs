use async_trait::async_trait;
use castellan_ports::rate_limit::{take, Quota, RateDecision, RateLimiter};
use castellan_ports::StoreError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

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

#[async_trait]
impl RateLimiter for InProcessRateLimiter {
    async fn hit(&self, key: &str, quota: Quota) -> Result<RateDecision, StoreError> {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut buckets = self
            .buckets
            .lock()
            .map_err(|_| StoreError::Unavailable("rate limiter poisoned".into()))?;
        let current = buckets.map.get(key).map(|(tokens, at, _)| (*tokens, *at));
        let (left, decision) = take(current, now, quota);
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
