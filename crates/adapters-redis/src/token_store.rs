use crate::lane::{breaks_connection, Lane};
use async_trait::async_trait;
use castellan_domain::SessionId;
use castellan_ports::{StoreError, TokenStore};
use deadpool_redis::redis::aio::MultiplexedConnection;
use deadpool_redis::redis::{self, AsyncCommands};
use deadpool_redis::Runtime;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How to reach Redis.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://host:port/db`.
    pub url: String,
    /// Prefix of every key (isolates deployments or tests sharing one Redis).
    pub key_prefix: String,
    /// Connections in all, over every lane. A lane's calls share one multiplexed
    /// connection; the others are drawn only while two calls reconnect at once.
    pub max_connections: usize,
    /// Lanes ([`castellan_ports::lanes`]): one per HTTP worker thread plus lane 0 for every
    /// other thread, each with its own pool of an equal share of `max_connections`
    /// (fewer connections than lanes: one pool that every thread shares).
    pub lanes: usize,
    /// Bound on waiting for a connection and on each command.
    pub timeout: Duration,
}

/// The pool could not be built (a malformed URL).
#[derive(Debug, thiserror::Error)]
#[error("redis.url: {0}")]
pub struct RedisError(String);

/// The token store on Redis.
#[derive(Clone)]
pub struct RedisTokenStore {
    /// One pool and shared connection per lane: a connection's I/O stays on the thread
    /// that uses it.
    lanes: Arc<[Lane]>,
    prefix: String,
    timeout: Duration,
}

impl std::fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisTokenStore {
    /// Builds the pools, one per lane (no connection is made until first use).
    pub fn new(config: &RedisConfig) -> Result<Self, RedisError> {
        let (lanes, per_lane) = castellan_ports::lanes::split(config.lanes, config.max_connections);
        let pool = || {
            deadpool_redis::Config::from_url(&config.url)
                .builder()
                .map_err(|e| RedisError(e.to_string()))?
                .max_size(per_lane)
                .wait_timeout(Some(config.timeout))
                .create_timeout(Some(config.timeout))
                .recycle_timeout(Some(config.timeout))
                .runtime(Runtime::Tokio1)
                .build()
                .map(Lane::new)
                .map_err(|e| RedisError(e.to_string()))
        };
        Ok(Self {
            lanes: (0..lanes).map(|_| pool()).collect::<Result<_, _>>()?,
            prefix: config.key_prefix.clone(),
            timeout: config.timeout,
        })
    }

    pub(crate) fn access_key(&self, jti: Uuid) -> String {
        format!("{}revoked:access:{jti}", self.prefix)
    }

    pub(crate) fn session_key(&self, sid: SessionId) -> String {
        format!("{}revoked:session:{sid}", self.prefix)
    }

    /// The pool's connections: `(idle, busy)`.
    pub fn usage(&self) -> (usize, usize) {
        self.lanes
            .iter()
            .map(Lane::usage)
            .fold((0, 0), |sum, lane| (sum.0 + lane.0, sum.1 + lane.1))
    }

    /// `name` under this store's key prefix.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Runs `op` on the lane's shared connection within the timeout; any failure is
    /// `Unavailable`, and one that may have broken the connection (I/O, timeout) puts the
    /// connection aside. When that connection was held from an earlier call (it may have
    /// died since: Redis restarted), `op` runs once more on a freshly drawn one. A command
    /// whose answer was lost may so run twice; every command here is idempotent or a
    /// counter for which one extra count is harmless (a rate-limit token, a failed login).
    pub(crate) async fn with_conn<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let lane = &self.lanes[castellan_ports::lanes::pick(self.lanes.len())];
        let mut used = None;
        let work = async {
            let mut handle = lane.connection().await.map_err(unavailable)?;
            loop {
                used = Some(handle.drawn);
                match op(handle.connection).await {
                    Ok(value) => return Ok(value),
                    Err(e) if breaks_connection(&e) => {
                        lane.discard(handle.drawn);
                        if handle.fresh {
                            return Err(unavailable(e));
                        }
                        tracing::debug!(error = %e, "redis connection lost; drawing another");
                        handle = lane.connection().await.map_err(unavailable)?;
                        // Fresh from the pool: this is the last try.
                        handle.fresh = true;
                    }
                    Err(e) => return Err(unavailable(e)),
                }
            }
        };
        let outcome = tokio::time::timeout(self.timeout, work).await;
        outcome.unwrap_or_else(|_| {
            // A connection that stops answering may be half-open: draw a fresh one.
            if let Some(drawn) = used {
                lane.discard(drawn);
            }
            Err(StoreError::Unavailable("redis timed out".into()))
        })
    }
}

/// Any Redis or pool failure: the store is unavailable (callers fail closed).
fn unavailable(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

#[async_trait]
impl TokenStore for RedisTokenStore {
    async fn revoke_access(&self, jti: Uuid, ttl_secs: u64) -> Result<(), StoreError> {
        let key = &self.access_key(jti);
        self.with_conn(|mut conn| async move {
            conn.set_ex::<_, _, ()>(key, 1u8, ttl_secs.max(1)).await
        })
        .await
    }

    async fn revoke_sessions(
        &self,
        sessions: &[SessionId],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        if sessions.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for sid in sessions {
            pipe.set_ex(self.session_key(*sid), 1u8, ttl_secs.max(1))
                .ignore();
        }
        let pipe = &pipe;
        self.with_conn(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
            .await
    }

    async fn is_revoked(&self, jti: Uuid, sid: SessionId) -> Result<bool, StoreError> {
        let keys = &[self.access_key(jti), self.session_key(sid)];
        let found: u32 = self
            .with_conn(|mut conn| async move { conn.exists(keys).await })
            .await?;
        Ok(found > 0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with_conn(|mut conn| async move {
            redis::cmd("PING").query_async::<String>(&mut conn).await
        })
        .await
        .map(|_| ())
    }
}
