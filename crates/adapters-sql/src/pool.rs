//! The connection pool and the migration runner, generic over the [`Backend`]: each
//! backend module builds the manager and opens migration connections its own way.

use crate::backend::Backend;
use crate::error::from_pool;
use castellan_ports::RepoError;
use deadpool::managed::{Object, Pool as Deadpool};
use diesel_async::pooled_connection::{ManagerConfig, RecyclingMethod};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

/// The pool could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PoolError(pub(crate) String);

/// Manager settings: a broken connection surfaces as an error on use and is then discarded;
/// a test query on every checkout would cost a round trip per request.
pub(crate) fn manager_config<B: Backend>() -> ManagerConfig<B::Connection> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config
}

/// A shared pool of one backend's connections with bounded waits, so that an unreachable
/// database answers quickly (503) instead of hanging requests.
/// A pool's connections by state (the `db_pool_connections` gauge).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUsage {
    /// Open and waiting to be used.
    pub idle: usize,
    /// Handed out to a request.
    pub busy: usize,
}

impl std::iter::Sum for PoolUsage {
    fn sum<I: Iterator<Item = Self>>(usages: I) -> Self {
        usages.fold(Self::default(), |all, one| PoolUsage {
            idle: all.idle + one.idle,
            busy: all.busy + one.busy,
        })
    }
}

pub(crate) struct Pool<B: Backend> {
    pool: Deadpool<B::Manager>,
    /// What [`Backend::on_checkout`] last prepared on each connection, so that it only
    /// talks to the database when the scope changes.
    prepared: B::Prepared,
}

impl<B: Backend> Clone for Pool<B> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            prepared: self.prepared.clone(),
        }
    }
}

impl<B: Backend> std::fmt::Debug for Pool<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl<B: Backend> Pool<B> {
    /// A pool of at most `max_connections` from `manager`; waiting for, opening or
    /// recycling a connection is bounded by `timeout`.
    pub(crate) fn from_manager(
        manager: B::Manager,
        max_connections: usize,
        timeout: Duration,
    ) -> Result<Self, PoolError> {
        let pool = Deadpool::builder(manager)
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

    /// How many of its connections are idle and how many are handed out.
    pub(crate) fn usage(&self) -> PoolUsage {
        let status = self.pool.status();
        PoolUsage {
            idle: status.available,
            busy: status.size.saturating_sub(status.available),
        }
    }

    /// A connection from the pool, prepared for the current data scope.
    pub(crate) async fn get(&self) -> Result<Object<B::Manager>, RepoError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        B::on_checkout(&mut conn, &self.prepared).await?;
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
    DB: diesel::backend::Backend,
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
