//! PostgreSQL connections: the manager of the shared pool, and migrations.

use crate::error::from_diesel;
use crate::pool::{apply_migrations, manager_config, Db, MigrationError, PoolError};
use castellan_ports::scope::{self, DataScope};
use castellan_ports::RepoError;
use deadpool::managed::ObjectId;
use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
    /// A role without `BYPASSRLS` that every connection switches to (`SET ROLE`), so that
    /// row-level security applies even when the login role owns the tables.
    pub app_role: Option<String>,
}

/// The role the migrations create for the application (no `BYPASSRLS`).
pub const APP_ROLE: &str = "castellan_app";

impl Db {
    /// Builds the pool (connections are opened on demand).
    pub fn new(config: &PgConfig) -> Result<Self, PoolError> {
        let mut setup = manager_config();
        if let Some(role) = config.app_role.clone() {
            if !role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(PoolError(
                    "database.app_role: letters, digits and _ only".into(),
                ));
            }
            setup.custom_setup = Box::new(move |url| {
                let statement = format!("SET ROLE {role}");
                let url = url.to_string();
                Box::pin(async move {
                    let mut conn = Conn::establish(&url).await?;
                    conn.batch_execute(&statement)
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                    Ok(conn)
                })
            });
        }
        let manager = AsyncDieselConnectionManager::<Conn>::new_with_config(&config.url, setup);
        Db::from_manager(manager, config.max_connections, config.timeout)
    }
}

/// The `app.tenant_id` each pooled connection carries (by pool object id).
pub(crate) type Prepared = Arc<Mutex<HashMap<ObjectId, DataScope>>>;

/// Connections remembered before the memo starts afresh (ids of closed connections are
/// never reused, so their entries would otherwise pile up).
const PREPARED_MAX: usize = 1024;

/// Tells PostgreSQL which tenant's rows this connection may touch now (`app.tenant_id`,
/// read by the row-level-security policies): `*` for system work, else the tenant. Only
/// when the connection does not carry that scope already: a request's connections mostly
/// do, so the usual checkout costs no round trip.
pub(crate) async fn on_checkout(
    conn: &mut Object<Conn>,
    prepared: &Prepared,
) -> Result<(), RepoError> {
    let wanted = scope::current();
    let id = Object::id(conn);
    let carried = prepared.lock().ok().and_then(|memo| memo.get(&id).copied());
    if carried == Some(wanted) {
        return Ok(());
    }
    let tenant = match wanted {
        DataScope::System => "*".to_string(),
        DataScope::Tenant(id) => id.to_string(),
    };
    diesel::sql_query("SELECT set_config('app.tenant_id', $1, false)")
        .bind::<diesel::sql_types::Text, _>(tenant)
        .execute(&mut **conn)
        .await
        .map_err(from_diesel)?;
    if let Ok(mut memo) = prepared.lock() {
        if memo.len() >= PREPARED_MAX {
            memo.clear();
        }
        memo.insert(id, wanted);
    }
    Ok(())
}

/// Applies every pending migration of `migrations/postgres`; returns how many ran.
pub async fn run_migrations(url: &str) -> Result<usize, MigrationError> {
    let url = url.to_string();
    apply_migrations(MIGRATIONS, move || {
        <AsyncConnectionWrapper<Conn> as Connection>::establish(&url).map_err(MigrationError::new)
    })
    .await
}
