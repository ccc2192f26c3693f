//! A lane's connection: the requests of one HTTP worker share one multiplexed connection,
//! drawn from the lane's pool and put aside when it fails.
//!
//! A redis-rs `MultiplexedConnection` pipelines concurrent commands over one socket, so a
//! lane needs no more than one at a time. Checking one out of deadpool-redis per call
//! costs a round trip of its own (the pool's recycle check sends `UNWATCH` + `PING`), i.e.
//! every command was two round trips; holding the lane's connection between calls makes it
//! one, and the pool's check runs only when a connection is (re)drawn. A held connection
//! can die between calls (Redis restarted): the caller then retries once on a fresh one
//! ([`Handle::fresh`]), so that a restart costs no failed request.

use deadpool_redis::redis::aio::MultiplexedConnection;
use deadpool_redis::redis::RedisError;
use deadpool_redis::{Connection, Pool, PoolError};
use std::sync::{Mutex, PoisonError};

/// Which shared connection a handle came from: the lane's count of connections drawn.
pub(crate) type Drawn = u64;

/// A connection to use for one call.
pub(crate) struct Handle {
    /// Which one it is (for [`Lane::discard`]).
    pub(crate) drawn: Drawn,
    /// Drawn from the pool for this call, so just checked by it (not held since earlier).
    pub(crate) fresh: bool,
    /// The connection.
    pub(crate) connection: MultiplexedConnection,
}

/// One lane: its pool and the connection its calls currently share.
pub(crate) struct Lane {
    pool: Pool,
    shared: Mutex<Shared>,
}

/// The shared connection, if any, and how many the lane has drawn (its name).
#[derive(Default)]
struct Shared {
    current: Option<Connection>,
    drawn: Drawn,
}

impl Lane {
    /// A lane drawing from `pool`.
    pub(crate) fn new(pool: Pool) -> Self {
        Self {
            pool,
            shared: Mutex::default(),
        }
    }

    /// A handle on the shared connection, drawn from the pool first if there is none.
    pub(crate) async fn connection(&self) -> Result<Handle, PoolError> {
        if let Some(held) = self.held() {
            return Ok(held);
        }
        let drawn = self.pool.get().await?;
        let connection = (*drawn).clone();
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        // Two calls may draw at once: the first one shares its connection, the other's
        // goes back to the pool when it is dropped here (the handle lives on for one call).
        if shared.current.is_some() {
            return Ok(Handle {
                drawn: Drawn::MAX,
                fresh: true,
                connection,
            });
        }
        shared.drawn += 1;
        shared.current = Some(drawn);
        Ok(Handle {
            drawn: shared.drawn,
            fresh: true,
            connection,
        })
    }

    /// Puts the shared connection aside if it is still the one `drawn` names: it failed, so
    /// it leaves the pool for good and the next call draws another.
    pub(crate) fn discard(&self, drawn: Drawn) {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if shared.drawn == drawn {
            if let Some(failed) = shared.current.take() {
                drop(Connection::take(failed));
            }
        }
    }

    /// The pool's `(idle, busy)` connections (the shared one counts as busy).
    pub(crate) fn usage(&self) -> (usize, usize) {
        let status = self.pool.status();
        (
            status.available,
            status.size.saturating_sub(status.available),
        )
    }

    fn held(&self) -> Option<Handle> {
        let shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        let connection: &MultiplexedConnection = shared.current.as_ref()?;
        Some(Handle {
            drawn: shared.drawn,
            fresh: false,
            connection: connection.clone(),
        })
    }
}

/// Whether `error` leaves the connection unusable (as opposed to an error reply, after
/// which the connection is fine).
pub(crate) fn breaks_connection(error: &RedisError) -> bool {
    error.is_unrecoverable_error() || error.is_io_error() || error.is_timeout()
}
