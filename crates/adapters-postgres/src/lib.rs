//! # castellan-adapters-postgres
//!
//! The repositories and the (Redis-less) token store of `castellan-ports` on PostgreSQL with
//! diesel-async and a deadpool pool, plus the embedded migrations.

mod error;
mod migrate;
mod pool;
mod schema;
mod sessions;
mod token_store;
mod users;

pub use migrate::{run_migrations, MigrationError};
pub use pool::{PgConfig, PgPool, PoolError};
pub use sessions::PgSessionRepository;
pub use token_store::PgTokenStore;
pub use users::PgUserRepository;
