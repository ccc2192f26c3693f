//! The SQLite backend (the embedded default): every connection gets WAL, foreign keys and a
//! busy timeout; migrations.

use crate::backend::{Backend, Db, SqliteConn};
use crate::pool::{apply_migrations, manager_config, MigrationError, Pool, PoolError};
use castellan_ports::RepoError;
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::sync_connection_wrapper::SpawnBlocking;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use futures::future::BoxFuture;
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::runtime::Handle;

type Conn = SqliteConn;

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

thread_local! {
    /// Set while a blocking thread runs a whole transaction ([`on_blocking_thread`]).
    static IN_PLACE: Cell<bool> = const { Cell::new(false) };
}

/// How SQLite connections run their work: each statement handed to the blocking pool of the
/// runtime that runs it (the async runtime never blocks on the database), or, on a blocking
/// thread that runs a whole transaction ([`on_blocking_thread`]), or outside any runtime,
/// in place. Not the pool of the runtime that opened the connection: a pooled connection
/// outlives that runtime (an HTTP worker's, stopped at shutdown or restarted), and its
/// statements would then be cancelled before they start.
#[derive(Debug)]
pub struct Blocking;

impl SpawnBlocking for Blocking {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, Result<R, Box<dyn std::error::Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        match Handle::try_current() {
            Ok(runtime) if !IN_PLACE.with(Cell::get) => {
                // Dropped early, the statement still finishes: the connection waits for it.
                let statement = runtime.spawn_blocking(task);
                Box::pin(async move { statement.await.map_err(Into::into) })
            }
            _ => Box::pin(std::future::ready(Ok(task()))),
        }
    }

    fn get_runtime() -> Self {
        Blocking
    }
}

/// Runs `work` on tokio's blocking pool with SQLite statements run in place: a transaction
/// is one hand-off to the pool instead of one per statement (its statements run back to
/// back, so the database's single writer is held for their work alone). Runs to its end
/// even if the caller stops waiting.
pub(crate) async fn on_blocking_thread<T, F>(work: F) -> Result<T, RepoError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        IN_PLACE.with(|on| on.set(true));
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        IN_PLACE.with(|on| on.set(false));
        out
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(|| RepoError::Other("a SQLite transaction panicked".into()))
}

/// The SQLite [`Backend`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sqlite;

impl Backend for Sqlite {
    type Connection = SqliteConn;
    type Manager = AsyncDieselConnectionManager<SqliteConn>;
    type Prepared = ();

    /// Nothing to prepare: SQLite has no row-level security (one process, one tenant
    /// check).
    async fn on_checkout(_: &mut Object<Conn>, _: &()) -> Result<(), castellan_ports::RepoError> {
        Ok(())
    }
}

fn create_parent_dir(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir),
        None => Ok(()),
    }
}

impl Db {
    /// A SQLite pool; creates the database's directory when missing.
    pub fn sqlite(config: &SqliteConfig) -> Result<Self, PoolError> {
        let path = config.path();
        create_parent_dir(&path).map_err(|e| {
            PoolError(format!(
                "database.url: cannot create the directory of {}: {e}",
                path.display()
            ))
        })?;
        let busy_ms = config.timeout.as_millis();
        let mut manager_config = manager_config::<Sqlite>();
        manager_config.custom_setup = Box::new(move |url| {
            let url = url.to_string();
            Box::pin(async move {
                let mut conn = Conn::establish(&url).await?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {busy_ms}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -{PAGE_CACHE_KIB};"
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
        Pool::from_manager(manager, config.max_connections, config.timeout).map(Db::from_sqlite)
    }
}

/// Each connection's page cache, in KiB (SQLite's default is 2,000). Writes touch pages all
/// over the random-keyed indexes (token hashes, audit actors), so under a write load every
/// connection's cache fills to its limit and stays full: with the default, the writing
/// connections kept 2-3 MB more resident (measured after logins and refreshes). The pages
/// themselves stay in the operating system's file cache, a `pread` away.
const PAGE_CACHE_KIB: u32 = 512;

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
