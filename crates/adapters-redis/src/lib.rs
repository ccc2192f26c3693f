//! # castellan-adapters-redis
//!
//! [`RedisTokenStore`]: blocklisted access tokens and revoked sessions in Redis, shared by
//! every replica. Every call is bounded by a timeout and fails closed. [`RedisRateLimiter`],
//! [`RedisAdmission`] and [`RedisLockout`]: rate limits and login lockout on the same pool,
//! each check one atomic script. [`RedisEpochs`]: the access epochs that script also
//! reads, so that replicas may cache principals and drop them on any change.

mod epochs;
mod lane;
mod lockout;
mod rate_limit;
mod token_store;

pub use epochs::{RedisEpochs, USER_EPOCH_KEEP_SECS};
pub use lockout::RedisLockout;
pub use rate_limit::{RedisAdmission, RedisRateLimiter};
pub use token_store::{RedisConfig, RedisError, RedisTokenStore};
