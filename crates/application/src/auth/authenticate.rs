//! Turning a bearer token or an API key into a [`Principal`]: the credential, the revocation
//! state, the user and their rules as they are now, and the caller's rate limit.

use super::principal::Credential;
use super::principal_cache::Owner;
use super::{AuthService, Principal};
use crate::error::AppError;
use castellan_domain::api_key::ApiKeyToken;
use castellan_domain::rbac::Subject;
use castellan_domain::{AccessClaims, TokenType, UserId};
use castellan_ports::scope::{scoped, DataScope};
use castellan_ports::{Admitted, Check, Quota, RateDecision, StoreError};
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
    /// The buckets of API keys (a user's bucket is taken by the admission check).
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
        // The user and their rules live in the token's tenant: look there (which also
        // lets the connections keep the scope the rest of a non-superuser's request uses).
        let checked = scoped(DataScope::Tenant(claims.tid.0), self.admit(&claims)).await?;
        let (admitted, owner) = checked;
        match owner {
            Some(owner) if owner.user.accepts_token_version(claims.ver) => {
                let limit = self.limits.as_ref().and_then(|limits| {
                    admitted.decision.map(|decision| Limited {
                        quota: limits.quota,
                        decision,
                    })
                });
                let Owner {
                    user,
                    roles,
                    subject,
                } = Arc::unwrap_or_clone(owner);
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

    /// The token's revocation state with its user's bucket, and its user's principal
    /// parts (`None`: revoked, gone or inactive). With a principal cache: the admission
    /// first (one round trip, with the epoch), then the database only when the cached
    /// principal is missing or stale. Without: both at once.
    async fn admit(
        &self,
        claims: &AccessClaims,
    ) -> Result<(Admitted, Option<Arc<Owner>>), AppError> {
        let bucket = self
            .limits
            .as_ref()
            .map(|limits| (format!("user:{}", claims.sub), limits.quota));
        let check = Check {
            jti: claims.jti,
            sid: claims.sid,
            user: claims.sub.0,
            bucket: bucket.as_ref().map(|(name, quota)| (name.as_str(), *quota)),
        };
        let Some(cache) = &self.cache else {
            let (admitted, owner) =
                futures::join!(self.ports.admission.admit(check), self.owner(claims.sub));
            let admitted = admitted?;
            let owner = if admitted.revoked { None } else { owner? };
            return Ok((admitted, owner));
        };
        let admitted = self.ports.admission.admit(check).await?;
        if admitted.revoked {
            return Ok((admitted, None));
        }
        let Some(epoch) = &admitted.epoch else {
            let owner = self.owner(claims.sub).await?;
            return Ok((admitted, owner));
        };
        if let Some(owner) = cache.get(claims.sub, epoch) {
            return Ok((admitted, Some(owner)));
        }
        let owner = self.owner(claims.sub).await?;
        if let Some(owner) = &owner {
            cache.put(epoch.clone(), owner.clone());
        }
        Ok((admitted, owner))
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
        let Some(owner) = owner? else {
            return Err(INVALID);
        };
        let Owner {
            user,
            roles,
            subject,
        } = Arc::unwrap_or_clone(owner);
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
    async fn owner(&self, id: UserId) -> Result<Option<Arc<Owner>>, AppError> {
        Ok(match self.ports.users.with_access(id).await? {
            Some(found) if found.user.is_active => {
                let user = found.user;
                let subject = Subject::new(user.id.0, user.is_superuser, found.rules);
                Some(Arc::new(Owner {
                    user,
                    roles: found.roles,
                    subject,
                }))
            }
            _ => None,
        })
    }
}
