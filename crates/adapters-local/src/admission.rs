use crate::InProcessEpochs;
use async_trait::async_trait;
use castellan_ports::{Admission, Admitted, Check, RateLimiter, StoreError, TokenStore};
use std::sync::Arc;

/// [`Admission`] from a token store and a rate limiter that live apart (the embedded
/// default; PostgreSQL without Redis): the revocation, then the bucket. A failing limiter lets the
/// request through (limits fail open); a failing token store fails it (closed). Epochs
/// only when given some (one process: see [`InProcessEpochs`]).
#[derive(Debug, Clone)]
pub struct SplitAdmission {
    tokens: Arc<dyn TokenStore>,
    limiter: Arc<dyn RateLimiter>,
    epochs: Option<InProcessEpochs>,
}

impl SplitAdmission {
    /// Admission over `tokens` and `limiter`, without epochs.
    pub fn new(tokens: Arc<dyn TokenStore>, limiter: Arc<dyn RateLimiter>) -> Self {
        Self {
            tokens,
            limiter,
            epochs: None,
        }
    }

    /// The same admission answering `epochs` too.
    pub fn with_epochs(mut self, epochs: InProcessEpochs) -> Self {
        self.epochs = Some(epochs);
        self
    }
}

#[async_trait]
impl Admission for SplitAdmission {
    async fn admit(&self, check: Check<'_>) -> Result<Admitted, StoreError> {
        // The revocation first: a revoked token's requests take nothing from the bucket.
        if self.tokens.is_revoked(check.jti, check.sid).await? {
            return Ok(Admitted {
                revoked: true,
                decision: None,
                epoch: None,
            });
        }
        let decision = match check.bucket {
            Some((bucket, quota)) => match self.limiter.hit(bucket, quota).await {
                Ok(decision) => Some(decision),
                Err(err) => {
                    tracing::warn!(error = %err, "rate limiter unavailable: request let through");
                    None
                }
            },
            None => None,
        };
        Ok(Admitted {
            revoked: false,
            decision,
            epoch: self.epochs.as_ref().map(|e| e.current(check.user)),
        })
    }
}
