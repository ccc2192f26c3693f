//! Access epochs in Redis, shared by every replica: the shared part changes on any change
//! of roles, rules or grants, a user's part on any change of their account.

use crate::RedisTokenStore;
use async_trait::async_trait;
use castellan_ports::{AccessEpochs, StoreError};
use deadpool_redis::redis::AsyncCommands;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use uuid::Uuid;

/// How long a user's epoch is kept after their last change: longer than any cached
/// principal lives (`auth.principal_cache_ttl_secs` is at most an hour), so that an epoch
/// expiring can never make a stale entry look current again.
pub const USER_EPOCH_KEEP_SECS: u64 = 86_400;

/// This process's part of every epoch it makes up (random once), and a counter: epochs
/// are never reused, not even after Redis restarts empty.
static ORIGIN: LazyLock<String> = LazyLock::new(|| Uuid::new_v4().simple().to_string());
static MADE: AtomicU64 = AtomicU64::new(0);

impl RedisTokenStore {
    /// The key of the shared epoch.
    pub(crate) fn shared_epoch_key(&self) -> String {
        self.key("epoch:access")
    }

    /// The key of `user`'s epoch.
    pub(crate) fn user_epoch_key(&self, user: Uuid) -> String {
        self.key(&format!("epoch:user:{user}"))
    }

    /// An epoch value no one has used.
    pub(crate) fn fresh_epoch(&self) -> String {
        format!("{}-{}", *ORIGIN, MADE.fetch_add(1, Ordering::Relaxed))
    }
}

/// [`AccessEpochs`] in Redis (read by [`crate::RedisAdmission`] in its script).
#[derive(Debug, Clone)]
pub struct RedisEpochs {
    store: RedisTokenStore,
}

impl RedisEpochs {
    /// Epochs on the token store's pool and key prefix.
    pub fn new(store: RedisTokenStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl AccessEpochs for RedisEpochs {
    async fn user_changed(&self, user: Uuid) -> Result<(), StoreError> {
        let (key, epoch) = (&self.store.user_epoch_key(user), &self.store.fresh_epoch());
        self.store
            .with_conn(|mut conn| async move {
                conn.set_ex::<_, _, ()>(key, epoch, USER_EPOCH_KEEP_SECS)
                    .await
            })
            .await
    }

    async fn access_changed(&self) -> Result<(), StoreError> {
        let (key, epoch) = (&self.store.shared_epoch_key(), &self.store.fresh_epoch());
        self.store
            .with_conn(|mut conn| async move { conn.set::<_, _, ()>(key, epoch).await })
            .await
    }
}
