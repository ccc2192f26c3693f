//! Black-box HTTP tests: the real server on port 0 against real PostgreSQL and Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Expands each named `async fn(Backend)` into one test per configuration:
/// `<name>::embedded` (SQLite + in-process store) and `<name>::production`
/// (PostgreSQL + Redis).
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn embedded() {
                    super::$name(castellan_tests::Backend::Embedded).await
                }

                #[tokio::test]
                async fn production() {
                    super::$name(castellan_tests::Backend::Production).await
                }
            }
        )*
    };
}

mod access;
mod articles;
mod audit;
mod auth;
mod conventions;
mod embedded;
mod faults;
mod invitations;
mod limits;
mod sessions;
mod tenants;
mod tokens;
