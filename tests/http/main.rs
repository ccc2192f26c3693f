//! Black-box HTTP tests: the real server on port 0 against real PostgreSQL and Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Expands each named `async fn(Backend)` into one test per storage configuration:
/// `<name>::embedded` (SQLite + in-process store), `<name>::production` (PostgreSQL +
/// Redis), `<name>::postgres_without_redis` and `<name>::sqlite_with_redis`.
macro_rules! every_config {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                every_config!(@one $name, embedded, Embedded);
                every_config!(@one $name, production, Production);
                every_config!(@one $name, postgres_without_redis, PostgresWithoutRedis);
                every_config!(@one $name, sqlite_with_redis, SqliteWithRedis);
            }
        )*
    };
    (@one $name:ident, $test:ident, $backend:ident) => {
        #[tokio::test]
        async fn $test() {
            super::$name(castellan_tests::Backend::$backend).await
        }
    };
}

mod access;
mod api_keys;
mod articles;
mod audit;
mod auth;
mod conventions;
mod credentials;
mod dashboard;
mod embedded;
mod faults;
mod flowtrack;
mod invitations;
mod jobs;
mod limits;
mod lockout;
mod metrics;
mod pharma;
mod principals;
mod replicas;
mod reset;
mod resources;
mod sessions;
mod tenants;
mod tokens;
