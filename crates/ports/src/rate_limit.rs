//! Rate limiting: token buckets keyed by caller (IP, user, API key) and route.

use crate::StoreError;
use async_trait::async_trait;

/// A limit: `limit` requests per `period_secs`, as a token bucket whose burst is `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests per period (also the burst).
    pub limit: u32,
    /// The period in seconds.
    pub period_secs: u64,
}

/// The outcome of taking one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request may proceed (refused requests take no token).
    pub allowed: bool,
    /// Tokens left after this request.
    pub remaining: u32,
    /// Whole seconds until the bucket is full again (`RateLimit-Reset`).
    pub reset_secs: u64,
    /// Whole seconds until the next request would be allowed (`Retry-After`; 0 if now).
    pub retry_after_secs: u64,
}

/// Token buckets shared by every replica (Redis) or kept in process (embedded).
#[async_trait]
pub trait RateLimiter: Send + Sync + std::fmt::Debug {
    /// Takes one token from the bucket `key` under `quota`, if there is one.
    async fn hit(&self, key: &str, quota: Quota) -> Result<RateDecision, StoreError>;
}

/// What one replica let through from a shared bucket since it last settled with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debt {
    /// The bucket.
    pub key: String,
    /// Its quota.
    pub quota: Quota,
    /// Tokens taken locally and not yet taken from the shared bucket (0: only asks).
    pub taken: u32,
}

/// Buckets shared by replicas that each decide from their own copy and settle with the
/// shared one now and then, for limits where one round trip per request costs more than
/// the exactness across replicas is worth (the anonymous per-IP limit).
#[async_trait]
pub trait SharedBuckets: Send + Sync + std::fmt::Debug {
    /// Takes each debt's tokens from its bucket, all in one round trip, and returns the
    /// tokens each bucket has left, in order. A bucket may go below zero (what replicas
    /// let through together beyond the limit), down to minus its capacity: it then refills
    /// from there.
    async fn settle(&self, debts: &[Debt]) -> Result<Vec<f64>, StoreError>;
}

/// The tokens of a bucket counted as `(tokens, at_ms)`, refilled up to `now_ms`.
///
/// ```
/// use castellan_ports::rate_limit::{level, Quota};
/// let quota = Quota { limit: 60, period_secs: 60 }; // one token a second
/// assert_eq!(level(None, 5_000, quota), 60.0);
/// assert_eq!(level(Some((-2.0, 1_000)), 5_000, quota), 2.0);
/// assert_eq!(level(Some((59.0, 0)), 5_000, quota), 60.0);
/// ```
pub fn level(bucket: Option<(f64, u64)>, now_ms: u64, quota: Quota) -> f64 {
    let capacity = f64::from(quota.limit.max(1));
    let per_ms = capacity / (quota.period_secs.max(1) as f64 * 1000.0);
    match bucket {
        Some((tokens, at)) => (tokens + now_ms.saturating_sub(at) as f64 * per_ms).min(capacity),
        None => capacity,
    }
}

/// The token-bucket arithmetic both adapters share: the bucket as it stands at `now_ms`
/// (`tokens` and the time they were counted), and what taking one token decides.
///
/// ```
/// use castellan_ports::rate_limit::{take, Quota};
/// let quota = Quota { limit: 2, period_secs: 60 };
/// let (tokens, d) = take(None, 0, quota);
/// assert!(d.allowed && d.remaining == 1);
/// let (tokens, d) = take(Some((tokens, 0)), 0, quota);
/// assert!(d.allowed && d.remaining == 0);
/// let (_, d) = take(Some((tokens, 0)), 1_000, quota);
/// assert!(!d.allowed);
/// assert_eq!(d.retry_after_secs, 29); // one token every 30 s
/// let hourly = Quota { limit: 2, period_secs: 3600 };
/// assert_eq!(take(None, 0, hourly).1.reset_secs, 1800);
/// assert_eq!(take(Some((1.0, 0)), 0, hourly).1.reset_secs, 3600);
/// ```
pub fn take(bucket: Option<(f64, u64)>, now_ms: u64, quota: Quota) -> (f64, RateDecision) {
    let tokens = level(bucket, now_ms, quota);
    let allowed = tokens >= 1.0;
    let left = if allowed { tokens - 1.0 } else { tokens };
    (left, decision(allowed, left, quota))
}

/// What a bucket left with `left` tokens after a request (`allowed` or not) tells the client.
pub fn decision(allowed: bool, left: f64, quota: Quota) -> RateDecision {
    let capacity = f64::from(quota.limit.max(1));
    let per_ms = capacity / (quota.period_secs.max(1) as f64 * 1000.0);
    // Whole milliseconds first: float noise must not turn 3600 s into 3601.
    let secs = |ms: f64| (ms.round() / 1000.0).ceil().max(0.0) as u64;
    RateDecision {
        allowed,
        remaining: left.max(0.0).floor() as u32,
        reset_secs: secs((capacity - left) / per_ms).min(quota.period_secs),
        retry_after_secs: if allowed {
            0
        } else {
            secs((1.0 - left) / per_ms)
        },
    }
}
