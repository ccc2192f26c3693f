//! The backend contract: how the shared query code reaches PostgreSQL or SQLite.
//!
//! Every query in this crate is written once, against the shared [`schema`](crate::schema) and
//! [`sql_types`](crate::sql_types), and run through [`on!`] (or [`change_on!`] for a
//! transaction's statements): the macro expands the query once per backend, so each expansion
//! is type-checked against that backend's connection, and dispatches at run time on the
//! [`AnyConn`] at hand. A backend supplies the [`Backend`] trait (its connection type and how a
//! pooled connection is readied for the request's data scope) and one variant of [`Db`],
//! [`Pooled`] and [`AnyConn`]; its module ([`crate::postgres`], [`crate::sqlite`]) builds the
//! pool and runs its migrations.

use crate::pool::Pool;
use castellan_ports::RepoError;
use diesel::result::QueryResult;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::pooled_connection::PoolableConnection;
use diesel_async::AsyncConnection;
use futures::future::BoxFuture;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// What a backend supplies to the shared code.
pub(crate) trait Backend: Send + Sync + 'static {
    /// Its async connection.
    type Connection: PoolableConnection + AsyncConnection + Send + 'static;
    /// The pool's manager of such connections.
    type Manager: deadpool::managed::Manager<
            Type = Self::Connection,
            Error = diesel_async::pooled_connection::PoolError,
        > + Send
        + Sync
        + 'static;
    /// What the pool remembers about each connection between checkouts.
    type Prepared: Default + Clone + Send + Sync + 'static;

    /// Readies a pooled connection for the current data scope (PostgreSQL: the tenant of
    /// row-level security; SQLite: nothing).
    fn on_checkout(
        conn: &mut deadpool::managed::Object<Self::Manager>,
        prepared: &Self::Prepared,
    ) -> impl Future<Output = Result<(), RepoError>> + Send;
}

/// The PostgreSQL connection.
pub(crate) type PgConn = diesel_async::AsyncPgConnection;
/// The SQLite connection: a synchronous one run on the blocking pool
/// ([`crate::sqlite::Blocking`]).
pub(crate) type SqliteConn = diesel_async::sync_connection_wrapper::SyncConnectionWrapper<
    diesel::SqliteConnection,
    crate::sqlite::Blocking,
>;

/// A connection pool on either backend: what every store holds.
#[derive(Debug, Clone)]
pub struct Db(Inner);

#[derive(Debug, Clone)]
enum Inner {
    /// One pool per lane ([`castellan_ports::lanes`]): a connection's I/O stays on the
    /// thread that uses it.
    Postgres(Arc<[Pool<crate::postgres::Postgres>]>),
    /// With the process's turn to write: see [`Db::for_transaction`].
    Sqlite(Pool<crate::sqlite::Sqlite>, Arc<Mutex<()>>),
}

impl Db {
    pub(crate) fn from_postgres(lanes: Vec<Pool<crate::postgres::Postgres>>) -> Self {
        Db(Inner::Postgres(lanes.into()))
    }

    pub(crate) fn from_sqlite(pool: Pool<crate::sqlite::Sqlite>) -> Self {
        Db(Inner::Sqlite(pool, Arc::default()))
    }

    /// Whether this is the PostgreSQL backend.
    pub fn is_postgres(&self) -> bool {
        matches!(self.0, Inner::Postgres(_))
    }

    /// The pool's connections by state.
    pub fn usage(&self) -> crate::pool::PoolUsage {
        match &self.0 {
            Inner::Postgres(lanes) => lanes.iter().map(Pool::usage).sum(),
            Inner::Sqlite(pool, _) => pool.usage(),
        }
    }

    /// A connection, readied for the current data scope.
    pub(crate) async fn get(&self) -> Result<Pooled, RepoError> {
        Ok(match &self.0 {
            Inner::Postgres(lanes) => Pooled::Postgres(lane(lanes).get().await?),
            Inner::Sqlite(pool, _) => Pooled::Sqlite {
                conn: pool.get().await?,
                _turn: None,
            },
        })
    }

    /// A connection for a transaction that writes. On SQLite it also holds the process's
    /// turn to write until dropped: SQLite has one writer at a time, and a transaction
    /// that finds another one writing waits in SQLite's busy handler, which sleeps
    /// (milliseconds, growing), while waiting here resumes as soon as the other commits.
    pub(crate) async fn for_transaction(&self) -> Result<Pooled, RepoError> {
        Ok(match &self.0 {
            Inner::Postgres(lanes) => Pooled::Postgres(lane(lanes).get().await?),
            Inner::Sqlite(pool, writer) => {
                let turn = writer.clone().lock_owned().await;
                Pooled::Sqlite {
                    conn: pool.get().await?,
                    _turn: Some(turn),
                }
            }
        })
    }
}

/// The current thread's pool of `lanes`.
fn lane<P>(lanes: &[P]) -> &P {
    &lanes[castellan_ports::lanes::pick(lanes.len())]
}

/// A pooled connection of either backend.
// Held on the stack for one query; boxing the larger variant would allocate per checkout.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Pooled {
    Postgres(Object<PgConn>),
    Sqlite {
        conn: Object<SqliteConn>,
        /// Released after the connection is back in the pool (fields drop in order).
        _turn: Option<OwnedMutexGuard<()>>,
    },
}

impl Pooled {
    /// The connection, for [`on!`].
    pub(crate) fn conn(&mut self) -> AnyConn<'_> {
        match self {
            Pooled::Postgres(conn) => AnyConn::Postgres(conn),
            Pooled::Sqlite { conn, .. } => AnyConn::Sqlite(conn),
        }
    }
}

/// A borrowed connection of either backend: what [`on!`] dispatches on.
pub(crate) enum AnyConn<'c> {
    /// Shared: a PostgreSQL connection interleaves the requests of everything that borrows
    /// it on one socket, so a transaction's `BEGIN` can go out with its first statement
    /// (see [`crate::audit`]) and independent statements together ([`crate::pipeline`]).
    Postgres(&'c PgConn),
    Sqlite(&'c mut SqliteConn),
}

impl<'c> From<&'c mut SqliteConn> for AnyConn<'c> {
    fn from(conn: &'c mut SqliteConn) -> Self {
        AnyConn::Sqlite(conn)
    }
}

/// Work on a connection (a query, or the statements of a transaction), owning what it
/// needs: build one with [`change`].
pub(crate) type Change<T> =
    Box<dyn for<'c> FnOnce(AnyConn<'c>) -> BoxFuture<'c, QueryResult<T>> + Send>;

/// Boxes `work` as a [`Change`] (fixing the closure's signature for the compiler).
pub(crate) fn change<T, F>(work: F) -> Change<T>
where
    F: for<'c> FnOnce(AnyConn<'c>) -> BoxFuture<'c, QueryResult<T>> + Send + 'static,
{
    Box::new(work)
}

/// Runs `$body` with `$c` bound to the concrete connection inside `$conn` (an
/// [`AnyConn`]: `&mut &PgConn` or `&mut SqliteConn`): the body is written once, expanded
/// and type-checked once per backend.
///
/// ```text
/// let mut db = self.db.get().await?;
/// let email: String = on!(db.conn(), |c| users::table.select(users::email).first(c).await)?;
/// ```
macro_rules! on {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            crate::backend::AnyConn::Postgres(shared) => {
                let mut lane = shared;
                let $c = &mut lane;
                $body
            }
            crate::backend::AnyConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on;

/// A [`Change`] whose body is written once and run on either backend: `$c` is the
/// concrete connection inside the body, which is an async block's contents.
///
/// ```text
/// let insert = change_on!(|c| diesel::insert_into(users::table).values(row).execute(c).await);
/// ```
macro_rules! change_on {
    (|$c:ident| $body:expr) => {
        crate::backend::change(move |conn| match conn {
            crate::backend::AnyConn::Postgres(shared) => Box::pin(async move {
                let mut lane = shared;
                let $c = &mut lane;
                $body
            }),
            crate::backend::AnyConn::Sqlite($c) => Box::pin(async move { $body }),
        })
    };
}
pub(crate) use change_on;
