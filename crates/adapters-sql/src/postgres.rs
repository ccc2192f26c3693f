//! The PostgreSQL backend: pooled diesel-async connections switched to a role under
//! row-level security, each readied for the request's tenant; migrations.

use crate::backend::{Backend, Db, PgConn};
use crate::error::from_diesel;
use crate::pool::{apply_migrations, manager_config, MigrationError, Pool, PoolError};
use castellan_ports::scope::{self, DataScope};
use castellan_ports::RepoError;
use deadpool::managed::ObjectId;
use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::rls::{rls_status, RlsTable};

type Conn = PgConn;

/// The PostgreSQL [`Backend`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Postgres;

impl Backend for Postgres {
    type Connection = PgConn;
    type Manager = AsyncDieselConnectionManager<PgConn>;
    type Prepared = Prepared;

    async fn on_checkout(conn: &mut Object<PgConn>, prepared: &Prepared) -> Result<(), RepoError> {
        on_checkout(conn, prepared).await
    }
}

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// How to reach PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// `postgres://user@host:port/db`.
    pub url: String,
    /// Connections in all, over every lane.
    pub max_connections: usize,
    /// Lanes ([`castellan_ports::lanes`]): one per HTTP worker thread plus lane 0 for every
    /// other thread, each with its own pool of an equal share of `max_connections`
    /// (fewer connections than lanes: one pool that every thread shares).
    pub lanes: usize,
    /// Bound on waiting for or opening a connection.
    pub timeout: Duration,
    /// A role without `BYPASSRLS` that every connection switches to (`SET ROLE`), so that
    /// row-level security applies even when the login role owns the tables.
    pub app_role: Option<String>,
}

/// Settings of every pooled connection. `random_page_cost` 1.1 rather than 4 (a disk
/// that seeks): the common setting for data on SSDs or in memory. With 4, a page of a
/// small tenant among many (whose rows row-level security makes PostgreSQL underestimate)
/// was read by sorting all the tenant's rows rather than along the index in order.
const SESSION_SETTINGS: &str = "SET random_page_cost = 1.1;";

/// The role the migrations create for the application (no `BYPASSRLS`).
pub const APP_ROLE: &str = "castellan_app";

impl Db {
    /// PostgreSQL pools, one per lane (connections are opened on demand).
    pub fn postgres(config: &PgConfig) -> Result<Self, PoolError> {
        let mut statement = String::from(SESSION_SETTINGS);
        if let Some(role) = config.app_role.as_deref() {
            if !role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(PoolError(
                    "database.app_role: letters, digits and _ only".into(),
                ));
            }
            statement.push_str(&format!(" SET ROLE {role};"));
        }
        let (lanes, per_lane) = castellan_ports::lanes::split(config.lanes, config.max_connections);
        (0..lanes)
            .map(|_| Pool::from_manager(manager(config, &statement), per_lane, config.timeout))
            .collect::<Result<Vec<_>, _>>()
            .map(Db::from_postgres)
    }
}

/// A manager of connections to `config.url` that run `statement` when opened, then prove
/// that the database seals audit entries as Castellan does (which also prepares the
/// append on the connection: see `audit::prove_sealing`).
fn manager(config: &PgConfig, statement: &str) -> AsyncDieselConnectionManager<Conn> {
    let mut setup = manager_config::<Postgres>();
    let statement = statement.to_string();
    setup.custom_setup = Box::new(move |url| {
        let statement = statement.clone();
        let url = url.to_string();
        Box::pin(async move {
            let mut conn = Conn::establish(&url).await?;
            conn.batch_execute(&statement)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            crate::audit::prove_sealing(&mut conn)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    AsyncDieselConnectionManager::<Conn>::new_with_config(&config.url, setup)
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
async fn on_checkout(conn: &mut Object<Conn>, prepared: &Prepared) -> Result<(), RepoError> {
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
