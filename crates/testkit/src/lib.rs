//! # castellan-testkit
//!
//! One conformance suite per port: plain async functions that take any implementation and
//! panic when it breaks the port's contract. Each adapter crate's tests call every function
//! of its port's suite.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

pub mod access;
pub mod audit;
pub mod credentials;
pub mod lanes;
pub mod lockout;
pub mod rate_limit;
pub mod repos;
pub mod resources;
mod throwaway;
pub mod token_store;

pub use throwaway::ThrowawayRedis;

/// A TCP port on 127.0.0.1 that nothing listens on right now (for dead-service tests).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
