use async_trait::async_trait;
use castellan_domain::SessionId;
use castellan_ports::{Admission, Quota, RateDecision, RateLimiter, StoreError, TokenStore};
use std::sync::Arc;
use uuid::Uuid;

/// [`Admission`] from a token store and a rate limiter that live apart (the embedded
/// default; PostgreSQL without Redis): the revocation, then the bucket. A failing limiter lets the
/// request through (limits fail open); a failing token store fails it (closed).
#[derive(Debug, Clone)]
pub struct SplitAdmission {
    tokens: Arc<dyn TokenStore>,
    limiter: Arc<dyn RateLimiter>,
}

impl SplitAdmission {
    /// Admission over `tokens` and `limiter`.
    pub fn new(tokens: Arc<dyn TokenStore>, limiter: Arc<dyn RateLimiter>) -> Self {
        Self { tokens, limiter }
    }
}

#[async_trait]
impl Admission for SplitAdmission {
    async fn admit(
        &self,
        jti: Uuid,
        sid: SessionId,
        bucket: &str,
        quota: Quota,
    ) -> Result<(bool, Option<RateDecision>), StoreError> {
        // The revocation first: a revoked token's requests take nothing from the bucket.
        if self.tokens.is_revoked(jti, sid).await? {
            return Ok((true, None));
        }
        let decision = match self.limiter.hit(bucket, quota).await {
            Ok(decision) => Some(decision),
            Err(err) => {
                tracing::warn!(error = %err, "rate limiter unavailable: request let through");
                None
            }
        };
        Ok((false, decision))
    }
}
