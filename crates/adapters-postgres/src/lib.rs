//! # castellan-adapters-postgres
//!
//! The repositories of `castellan-ports` on PostgreSQL with diesel-async and a deadpool
//! pool, plus the embedded migrations.

mod error;
mod migrate;
mod pool;
mod schema;
mod sessions;
mod users;

pub use migrate::{run_migrations, MigrationError};
pub use pool::{PgConfig, PgPool, PoolError};
pub use sessions::PgSessionRepository;
pub use users::PgUserRepository;
