//! The connection pool: bounded waits so that an unreachable database answers quickly.

use crate::error::from_pool;
use castellan_ports::RepoError;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::AsyncPgConnection;
use std::time::Duration;

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

/// The pool could not be built.
#[derive(Debug, thiserror::Error)]
#[error("database.url: {0}")]
pub struct PoolError(String);

/// A shared pool of PostgreSQL connections.
#[derive(Clone)]
pub struct PgPool {
    pool: Pool<AsyncPgConnection>,
    url: String,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl PgPool {
    /// Builds the pool (connections are opened on demand).
    pub fn new(config: &PgConfig) -> Result<Self, PoolError> {
        let mut manager_config = ManagerConfig::default();
        // A broken connection surfaces as an error on use and is then discarded; a test
        // query on every checkout would cost a round trip per request.
        manager_config.recycling_method = RecyclingMethod::Fast;
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            &config.url,
            manager_config,
        );
        let pool = Pool::builder(manager)
            .max_size(config.max_connections.max(1))
            .wait_timeout(Some(config.timeout))
            .create_timeout(Some(config.timeout))
            .recycle_timeout(Some(config.timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| PoolError(e.to_string()))?;
        Ok(Self {
            pool,
            url: config.url.clone(),
        })
    }

    /// A connection from the pool.
    pub(crate) async fn get(&self) -> Result<Object<AsyncPgConnection>, RepoError> {
        self.pool.get().await.map_err(from_pool)
    }

    /// The URL the pool connects to.
    pub fn url(&self) -> &str {
        &self.url
    }
}
