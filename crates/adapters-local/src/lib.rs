//! # castellan-adapters-local
//!
//! [`InProcessTokenStore`]: the embedded default's token store. Every revocation is written
//! through to a persistent log (the database, so that a logout survives a restart) and kept
//! in memory; checks — one per authenticated request — are answered from memory alone.
//! [`InProcessRateLimiter`]: token buckets in memory. [`InProcessLockout`]: login lockout
//! counters in memory. [`SettledRateLimiter`]: a shared limit decided in process and
//! settled with the shared buckets periodically. [`SplitAdmission`]: the hot path's revocation check and rate limit
//! where they live apart, with [`InProcessEpochs`] when one process owns the database.

mod admission;
mod epochs;
mod lockout;
mod rate_limit;
mod token_store;

pub use admission::SplitAdmission;
pub use epochs::InProcessEpochs;
pub use lockout::InProcessLockout;
pub use rate_limit::{InProcessRateLimiter, SettledRateLimiter};
pub use token_store::InProcessTokenStore;
