use async_trait::async_trait;
use castellan_domain::SessionId;
use castellan_ports::{Admission, Quota, RateDecision, RateLimiter, StoreError, TokenStore};
use std::sync::Arc;
use uuid::Uuid;

/// [`Admission`] from a token store and a rate limiter that live apart (the embedded
/// default; PostgreSQL without Redis): both asked at once. A failing limiter lets the
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
        let (revoked, decision) = futures::join!(
            self.tokens.is_revoked(jti, sid),
            self.limiter.hit(bucket, quota)
        );
        let decision = match decision {
            Ok(decision) => Some(decision),
            Err(err) => {
                tracing::warn!(error = %err, "rate limiter unavailable: request let through");
                None
            }
        };
        Ok((revoked?, decision))
    }
}
