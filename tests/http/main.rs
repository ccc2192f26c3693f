//! Black-box HTTP tests: the real server on port 0 against real PostgreSQL and Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod conventions;
mod faults;
mod sessions;
mod tokens;
