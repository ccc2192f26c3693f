//! SQLite connections: every one gets WAL, foreign keys and a busy timeout; migrations.

use crate::pool::{apply_migrations, manager_config, Db, MigrationError, PoolError};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The connection type.
pub(crate) type Conn = SyncConnectionWrapper<SqliteConnection>;
/// Its backend.
pub(crate) type DbBackend = diesel::sqlite::Sqlite;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Where the database lives.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// `sqlite://<path>` (relative to the working directory) or a bare path.
    pub url: String,
    /// Pool size (SQLite has one writer at a time; a few readers help).
    pub max_connections: usize,
    /// Bound on waiting for a connection, and SQLite's busy timeout.
    pub timeout: Duration,
}

impl SqliteConfig {
    /// The database file's path.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(self.url.strip_prefix("sqlite://").unwrap_or(&self.url))
    }
}

/// Per-connection preparation state: none on SQLite.
pub(crate) type Prepared = ();

/// Nothing to prepare: SQLite has no row-level security (one process, one tenant check).
pub(crate) async fn on_checkout(
    _: &mut Object<Conn>,
    _: &Prepared,
) -> Result<(), castellan_ports::RepoError> {
    Ok(())
}

fn create_parent_dir(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir),
        None => Ok(()),
    }
}

impl Db {
    /// Builds the pool; creates the database's directory when missing.
    pub fn new(config: &SqliteConfig) -> Result<Self, PoolError> {
        let path = config.path();
        create_parent_dir(&path).map_err(|e| {
            PoolError(format!(
                "database.url: cannot create the directory of {}: {e}",
                path.display()
            ))
        })?;
        let busy_ms = config.timeout.as_millis();
        let mut manager_config = manager_config();
        manager_config.custom_setup = Box::new(move |url| {
            let url = url.to_string();
            Box::pin(async move {
                let mut conn = Conn::establish(&url).await?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {busy_ms}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                ))
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            })
        });
        let manager = AsyncDieselConnectionManager::<Conn>::new_with_config(
            path.to_string_lossy(),
            manager_config,
        );
        Db::from_manager(manager, config.max_connections, config.timeout)
    }
}

/// Applies every pending migration of `migrations/sqlite` (creating the file and its
/// directory when missing); returns how many ran.
pub async fn run_migrations(config: &SqliteConfig) -> Result<usize, MigrationError> {
    let path = config.path();
    let busy_ms = config.timeout.as_millis();
    apply_migrations(MIGRATIONS, move || {
        create_parent_dir(&path).map_err(MigrationError::new)?;
        let mut conn =
            SqliteConnection::establish(&path.to_string_lossy()).map_err(MigrationError::new)?;
        // Wait for other connections (a replica starting, a server stopping) like the pool does.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {busy_ms}; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
        ))
        .map_err(MigrationError::new)?;
        Ok(conn)
    })
    .await
}
