use async_trait::async_trait;
use castellan_domain::SessionId;
use castellan_ports::{StoreError, TokenStore};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// Sweep expired entries from memory once this many revocations have been added since the
/// last sweep (keeps memory proportional to live revocations, at no per-request cost).
const SWEEP_EVERY: usize = 1024;

#[derive(Debug, Default)]
struct Entries {
    /// Revoked ids (access-token `jti`s and session ids) → expiry (seconds since the epoch).
    expiry: HashMap<Uuid, i64>,
    added_since_sweep: usize,
}

impl Entries {
    fn insert(&mut self, ids: impl IntoIterator<Item = Uuid>, expires_at: i64, now: i64) {
        for id in ids {
            let at = self.expiry.entry(id).or_insert(expires_at);
            *at = (*at).max(expires_at);
            self.added_since_sweep += 1;
        }
        if self.added_since_sweep >= SWEEP_EVERY {
            self.expiry.retain(|_, at| *at > now);
            self.added_since_sweep = 0;
        }
    }

    fn is_live(&self, id: &Uuid, now: i64) -> bool {
        self.expiry.get(id).is_some_and(|at| *at > now)
    }
}

/// A token store answering from memory, writing through to `log`.
///
/// Memory is authoritative only when this process is the log's sole writer — true of the
/// embedded default (one process, one SQLite file). Several replicas must share Redis or
/// the PostgreSQL token store instead.
#[derive(Debug, Clone)]
pub struct InProcessTokenStore {
    log: Arc<dyn TokenStore>,
    entries: Arc<RwLock<Entries>>,
}

impl InProcessTokenStore {
    /// A store over `log`, warmed with the revocations still in force (`(id, expiry)`).
    pub fn new(log: Arc<dyn TokenStore>, active: Vec<(Uuid, DateTime<Utc>)>) -> Self {
        let mut entries = Entries::default();
        let now = Utc::now().timestamp();
        for (id, at) in active {
            entries.insert([id], at.timestamp(), now);
        }
        entries.added_since_sweep = 0;
        Self {
            log,
            entries: Arc::new(RwLock::new(entries)),
        }
    }

    fn remember(
        &self,
        ids: impl IntoIterator<Item = Uuid>,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let now = Utc::now().timestamp();
        let expires_at = now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 2));
        let mut entries = self
            .entries
            .write()
            .map_err(|_| StoreError::Unavailable("token cache poisoned".into()))?;
        entries.insert(ids, expires_at, now);
        Ok(())
    }
}

#[async_trait]
impl TokenStore for InProcessTokenStore {
    async fn revoke_access(&self, jti: Uuid, ttl_secs: u64) -> Result<(), StoreError> {
        self.log.revoke_access(jti, ttl_secs).await?;
        self.remember([jti], ttl_secs)
    }

    async fn revoke_sessions(
        &self,
        sessions: &[SessionId],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        self.log.revoke_sessions(sessions, ttl_secs).await?;
        self.remember(sessions.iter().map(|s| s.0), ttl_secs)
    }

    async fn is_revoked(&self, jti: Uuid, sid: SessionId) -> Result<bool, StoreError> {
        let now = Utc::now().timestamp();
        let entries = self
            .entries
            .read()
            .map_err(|_| StoreError::Unavailable("token cache poisoned".into()))?;
        Ok(entries.is_live(&jti, now) || entries.is_live(&sid.0, now))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.log.ping().await
    }
}
