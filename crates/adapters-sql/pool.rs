//! The connection pool and migration runner, shared by both backends: each crate supplies
//! its connection type (`crate::db::Conn`), builds the manager and opens migration
//! connections its own way.

use crate::db::Conn;
use crate::error::from_pool;
use castellan_ports::RepoError;
use diesel::backend::Backend;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

/// The pool could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PoolError(pub(crate) String);

/// Manager settings: a broken connection surfaces as an error on use and is then discarded;
/// a test query on every checkout would cost a round trip per request.
pub(crate) fn manager_config() -> ManagerConfig<Conn> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config
}

/// A shared pool of connections with bounded waits, so that an unreachable database
/// answers quickly (503) instead of hanging requests.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Conn>,
    /// What `crate::db::on_checkout` last prepared on each connection, so that it only
    /// talks to the database when the scope changes.
    prepared: crate::db::Prepared,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl Db {
    /// A pool of at most `max_connections` from `manager`; waiting for, opening or
    /// recycling a connection is bounded by `timeout`.
    pub(crate) fn from_manager(
        manager: AsyncDieselConnectionManager<Conn>,
        max_connections: usize,
        timeout: Duration,
    ) -> Result<Self, PoolError> {
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| PoolError(format!("database.url: {e}")))?;
        Ok(Self {
            pool,
            prepared: Default::default(),
        })
    }

    /// A connection from the pool, prepared for the current data scope (PostgreSQL:
    /// the row-level-security tenant; SQLite: nothing).
    pub(crate) async fn get(&self) -> Result<Object<Conn>, RepoError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        crate::db::on_checkout(&mut conn, &self.prepared).await?;
        Ok(conn)
    }
}

/// Migrations could not be applied.
#[derive(Debug, thiserror::Error)]
#[error("migrations failed: {0}")]
pub struct MigrationError(String);

impl MigrationError {
    pub(crate) fn new(err: impl std::fmt::Display) -> Self {
        Self(err.to_string())
    }
}

/// Opens a synchronous migration connection with `open` on the blocking pool and applies
/// every pending migration; returns how many ran.
pub(crate) async fn apply_migrations<DB, C, F>(
    migrations: EmbeddedMigrations,
    open: F,
) -> Result<usize, MigrationError>
where
    DB: Backend,
    C: MigrationHarness<DB>,
    F: FnOnce() -> Result<C, MigrationError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut conn = open()?;
        let applied = conn
            .run_pending_migrations(migrations)
            .map_err(MigrationError::new)?;
        Ok(applied.len())
    })
    .await
    .map_err(MigrationError::new)?
}
