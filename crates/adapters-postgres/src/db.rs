//! PostgreSQL connections: the manager of the shared pool, and migrations.

use crate::pool::{apply_migrations, manager_config, Db, MigrationError, PoolError};
use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use std::time::Duration;

/// The connection type.
pub(crate) type Conn = AsyncPgConnection;
/// Its backend.
pub(crate) type DbBackend = diesel::pg::Pg;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// How to reach PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// `postgres://user@host:port/db`.
    pub url: String,
    /// Pool size.
    pub max_connections: usize,
    /// Bound on waiting for or opening a connection.
    pub timeout: Duration,
}

impl Db {
    /// Builds the pool (connections are opened on demand).
    pub fn new(config: &PgConfig) -> Result<Self, PoolError> {
        let manager =
            AsyncDieselConnectionManager::<Conn>::new_with_config(&config.url, manager_config());
        Db::from_manager(manager, config.max_connections, config.timeout)
    }
}

/// Applies every pending migration of `migrations/postgres`; returns how many ran.
pub async fn run_migrations(url: &str) -> Result<usize, MigrationError> {
    let url = url.to_string();
    apply_migrations(MIGRATIONS, move || {
        AsyncConnectionWrapper::<Conn>::establish(&url).map_err(MigrationError::new)
    })
    .await
}
