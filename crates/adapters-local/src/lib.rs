//! # castellan-adapters-local
//!
//! [`InProcessTokenStore`]: the embedded default's token store. Every revocation is written
//! through to a persistent log (the database, so that a logout survives a restart) and kept
//! in memory; checks — one per authenticated request — are answered from memory alone.
//! [`InProcessRateLimiter`]: token buckets in memory.

mod rate_limit;
mod token_store;

pub use rate_limit::InProcessRateLimiter;
pub use token_store::InProcessTokenStore;
