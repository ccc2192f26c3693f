//! The embedded migrations of `migrations/postgres`.

use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Migrations could not be applied.
#[derive(Debug, thiserror::Error)]
#[error("migrations failed: {0}")]
pub struct MigrationError(String);

/// Applies every pending migration; returns how many ran.
pub async fn run_migrations(url: &str) -> Result<usize, MigrationError> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| MigrationError(e.to_string()))?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| MigrationError(e.to_string()))?;
        Ok(applied.len())
    })
    .await
    .map_err(|e| MigrationError(e.to_string()))?
}
