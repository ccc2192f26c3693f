//! Login lockout counters (see `castellan_domain::lockout`): in Redis when replicas share
//! them, else in process. Every method fails with [`StoreError::Unavailable`] rather than
//! guessing: logins fail closed.

use crate::rate_limit::{Quota, RateDecision};
use crate::StoreError;
use async_trait::async_trait;
use castellan_domain::lockout::{Attempt, LockKind};

/// A rate-limit bucket a login takes a token from before anything else: the bucket `key`
/// of the [`RateLimiter`](crate::RateLimiter) the lockout shares its store with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The bucket's key, as `RateLimiter::hit` names it.
    pub key: String,
    /// Its quota.
    pub quota: Quota,
}

/// The attempt whose password is about to be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempted<'a> {
    /// The email as typed (normalized), known or not.
    pub email: &'a str,
    /// The client's address.
    pub address: &'a str,
}

/// What [`LoginLockout::begin`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    /// One decision per bucket, in order, up to and including the first refusal (the
    /// buckets after it are not asked).
    pub limits: Vec<RateDecision>,
    /// The lockout's word on the attempt: `None` when a bucket refused it or when no
    /// attempt was named (then nothing was counted).
    pub attempt: Option<Attempt>,
}

impl Gate {
    /// Whether every bucket asked let the request through.
    pub fn within_limits(&self) -> bool {
        self.limits.iter().all(|d| d.allowed)
    }
}

/// Takes one token from each of `buckets` of `limiter` in order, stopping at the first
/// refusal: the bucket part of [`LoginLockout::begin`] for a lockout that keeps its
/// buckets in a [`RateLimiter`](crate::RateLimiter) of its own process (one call each).
pub async fn take_each(
    limiter: &dyn crate::RateLimiter,
    buckets: &[Bucket],
) -> Result<Vec<RateDecision>, StoreError> {
    let mut limits = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        let decision = limiter.hit(&bucket.key, bucket.quota).await?;
        limits.push(decision);
        if !decision.allowed {
            break;
        }
    }
    Ok(limits)
}

/// The lockout counters of every email.
#[async_trait]
pub trait LoginLockout: Send + Sync + std::fmt::Debug {
    /// Before checking a password: takes one token from each of `buckets` in order,
    /// stopping at the first refusal; then, if every bucket allowed and `attempt` is
    /// named, refuses it while its email or pair is locked, or else counts it. One step
    /// (one round trip to a shared store): the rate limits and the lockout of a login
    /// cost one check, and a refused request takes and counts nothing more.
    async fn begin(
        &self,
        buckets: &[Bucket],
        attempt: Option<Attempted<'_>>,
    ) -> Result<Gate, StoreError>;
    /// The attempt failed; `Some` when it set a lock (once per lock).
    async fn failed(&self, email: &str, address: &str) -> Result<Option<LockKind>, StoreError>;
    /// The attempt succeeded: the counts start again.
    async fn succeeded(&self, email: &str, address: &str) -> Result<(), StoreError>;
    /// Forgets every count and lock of `email` (after a password reset).
    async fn clear(&self, email: &str) -> Result<(), StoreError>;
}
