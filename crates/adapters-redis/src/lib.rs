//! # castellan-adapters-redis
//!
//! [`RedisTokenStore`]: blocklisted access tokens and revoked sessions in Redis, shared by
//! every replica. Every call is bounded by a timeout and fails closed.

mod rate_limit;
mod token_store;

pub use rate_limit::RedisRateLimiter;
pub use token_store::{RedisConfig, RedisError, RedisTokenStore};
