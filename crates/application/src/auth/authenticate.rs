//! Turning a bearer token or an API key into a [`Principal`]: the credential, the revocation
//! state, the user and their rules as they are now, and the caller's rate limit.

use super::principal::Credential;
use super::{AuthService, Principal};
use crate::error::AppError;
use castellan_domain::api_key::ApiKeyToken;
use castellan_domain::rbac::Subject;
use castellan_domain::{TokenType, User, UserId};
use castellan_ports::scope::{scoped, DataScope};
use castellan_ports::{Quota, RateDecision, StoreError};
use std::sync::Arc;

/// The rate limit an authenticated request was held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// The caller's quota.
    pub quota: Quota,
    /// What taking one token decided (refused: answer 429).
    pub decision: RateDecision,
}

/// An authenticated caller, and their rate limit when limits are on and could be checked.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who is calling.
    pub principal: Principal,
    /// The per-user or per-key limit.
    pub limit: Option<Limited>,
}

/// Limits on authenticated requests: one bucket per user, or per API key.
#[derive(Debug, Clone)]
pub struct CallerLimits {
    /// The revocation check and a user's bucket together (one Redis round trip).
    pub admission: Arc<dyn castellan_ports::Admission>,
    /// The buckets of API keys.
    pub limiter: Arc<dyn castellan_ports::RateLimiter>,
    /// Requests per user or key.
    pub quota: Quota,
}

/// A limiter that could not answer lets the request through: only the revocation state
/// fails closed.
fn open_on_failure(decision: Result<RateDecision, StoreError>) -> Option<RateDecision> {
    match decision {
        Ok(decision) => Some(decision),
        Err(err) => {
            tracing::warn!(error = %err, "rate limiter unavailable: request let through unlimited");
            None
        }
    }
}

impl AuthService {
    /// Verifies a bearer token and loads its user: signature and claims, then the
    /// revocation state (fail closed) with the user's rate limit, then the user as stored
    /// now and their rules.
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated, AppError> {
        let claims = self
            .ports
            .codec
            .verify(token)
            .map_err(|_| AppError::Unauthenticated("invalid or expired token"))?;
        if claims.token_type != TokenType::Access {
            return Err(AppError::Unauthenticated("not an access token"));
        }
        let (jti, sid) = (claims.jti, claims.sid);
        let admission = async {
            match &self.limits {
                Some(limits) => {
                    let bucket = format!("user:{}", claims.sub);
                    let (revoked, decision) = limits
                        .admission
                        .admit(jti, sid, &bucket, limits.quota)
                        .await?;
                    let limit = decision.map(|decision| Limited {
                        quota: limits.quota,
                        decision,
                    });
                    Ok::<_, StoreError>((revoked, limit))
                }
                None => Ok((self.ports.token_store.is_revoked(jti, sid).await?, None)),
            }
        };
        // One round trip each, concurrently. The user and their rules live in the token's
        // tenant: look there (which also lets the connections keep the scope the rest of a
        // non-superuser's request uses).
        let lookups = async { futures::join!(admission, self.owner(claims.sub)) };
        let (admitted, owner) = scoped(DataScope::Tenant(claims.tid.0), lookups).await;
        let (revoked, limit) = admitted?;
        if revoked {
            return Err(AppError::Unauthenticated("token has been revoked"));
        }
        match owner? {
            Some((user, roles, subject)) if user.accepts_token_version(claims.ver) => {
                Ok(Authenticated {
                    principal: Principal {
                        user,
                        roles,
                        credential: Credential::Token(claims),
                        subject,
                    },
                    limit,
                })
            }
            _ => Err(AppError::Unauthenticated("token has been revoked")),
        }
    }

    /// Verifies an API key (`cst_<prefix>_<secret>`): found by its prefix, its secret
    /// compared in constant time, not expired, its owner active; the owner's current rules
    /// within the key's scopes. Records the use at most once a minute.
    pub async fn authenticate_key(&self, presented: &str) -> Result<Authenticated, AppError> {
        const INVALID: AppError = AppError::Unauthenticated("invalid, expired or deleted API key");
        let token = ApiKeyToken::parse(presented).ok_or(INVALID)?;
        let Some((key, stored)) = self.ports.api_keys.by_prefix(token.prefix()).await? else {
            return Err(INVALID);
        };
        let now = self.ports.clock.now();
        if !self.ports.key_hasher.matches(token.secret(), &stored) || !key.is_usable(now) {
            return Err(INVALID);
        }
        let limit = async {
            let limits = self.limits.as_ref()?;
            let decision = limits
                .limiter
                .hit(&format!("key:{}", key.id), limits.quota)
                .await;
            open_on_failure(decision).map(|decision| Limited {
                quota: limits.quota,
                decision,
            })
        };
        let owner = scoped(
            DataScope::Tenant(key.tenant_id),
            self.owner(UserId(key.owner_id)),
        );
        let (limit, owner) = futures::join!(limit, owner);
        let Some((user, roles, subject)) = owner? else {
            return Err(INVALID);
        };
        if key.use_is_news(now) {
            // Bookkeeping: a failed write must not fail the request.
            if let Err(err) = self.ports.api_keys.touch(key.id, now).await {
                tracing::warn!(error = %err, key_id = %key.id, "could not record an API key's use");
            }
        }
        let subject = subject.limited_to(&key.scopes);
        Ok(Authenticated {
            principal: Principal {
                user,
                roles,
                credential: Credential::Key(key),
                subject,
            },
            limit,
        })
    }

    /// The active user `id` with their roles and what those allow now; `None` when gone or
    /// inactive.
    async fn owner(&self, id: UserId) -> Result<Option<(User, Vec<String>, Subject)>, AppError> {
        Ok(match self.ports.users.with_access(id).await? {
            Some(found) if found.user.is_active => {
                let user = found.user;
                let subject = Subject::new(user.id.0, user.is_superuser, found.rules);
                Some((user, found.roles, subject))
            }
            _ => None,
        })
    }
}
