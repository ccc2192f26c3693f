//! The hot path's one round trip: whether an access token is revoked, one token of its
//! user's bucket, and the epoch of everything the user's principal is built from.

use crate::rate_limit::{Quota, RateDecision};
use crate::StoreError;
use async_trait::async_trait;
use castellan_domain::SessionId;
use uuid::Uuid;

/// What a request carrying an access token asks the store.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// The token's id.
    pub jti: Uuid,
    /// The token's session.
    pub sid: SessionId,
    /// The token's user (whose access epoch is read).
    pub user: Uuid,
    /// The caller's bucket and its quota, when rate limits are on.
    pub bucket: Option<(&'a str, Quota)>,
}

/// What the store answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The token or its session is revoked (nothing was taken from the bucket).
    pub revoked: bool,
    /// Taking one token of the bucket; `None` when no bucket was asked for, the token is
    /// revoked, or the limiter could not answer (limits fail open).
    pub decision: Option<RateDecision>,
    /// A value that changes whenever the user's account, or any role, rule or grant,
    /// changes (as told to [`AccessEpochs`]): a principal built while it held is still
    /// current. `None` when the store does not track epochs: build the principal afresh.
    pub epoch: Option<String>,
}

/// The checks every request with an access token makes, together. Where one store keeps
/// them all (Redis) they cost one round trip. The revocation state fails closed (`Err`).
#[async_trait]
pub trait Admission: Send + Sync + std::fmt::Debug {
    /// Checks `check` (see [`Admitted`]).
    async fn admit(&self, check: Check<'_>) -> Result<Admitted, StoreError>;
}

/// Tells cached principals they are stale: every write that changes what a principal is
/// built from (a user's account, roles, rules, grants) reports it here once it has
/// committed, and the epochs [`Admission`] reads change.
#[async_trait]
pub trait AccessEpochs: Send + Sync + std::fmt::Debug {
    /// The user's account changed (profile, activity, superuser flag, password, token
    /// version, removal, their grants).
    async fn user_changed(&self, user: Uuid) -> Result<(), StoreError>;
    /// A role, rule, grant or tenant changed: every principal is stale.
    async fn access_changed(&self) -> Result<(), StoreError>;
}
