//! Access epochs in memory: for one process over its own database (the embedded default).

use async_trait::async_trait;
use castellan_ports::{AccessEpochs, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use uuid::Uuid;

/// [`AccessEpochs`] kept in this process, read by [`crate::SplitAdmission`]. Only this
/// process's writes move them: a change another process makes to the same database (the
/// CLI) is seen once the cached principal expires.
#[derive(Debug, Clone, Default)]
pub struct InProcessEpochs {
    inner: Arc<Epochs>,
}

#[derive(Debug, Default)]
struct Epochs {
    shared: AtomicU64,
    users: Mutex<HashMap<Uuid, u64>>,
}

impl InProcessEpochs {
    /// The epoch of `user`'s principal now.
    pub fn current(&self, user: Uuid) -> String {
        let shared = self.inner.shared.load(Ordering::Acquire);
        let users = self
            .inner
            .users
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        format!("{shared}/{}", users.get(&user).copied().unwrap_or(0))
    }
}

#[async_trait]
impl AccessEpochs for InProcessEpochs {
    async fn user_changed(&self, user: Uuid) -> Result<(), StoreError> {
        let mut users = self
            .inner
            .users
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *users.entry(user).or_insert(0) += 1;
        Ok(())
    }

    async fn access_changed(&self) -> Result<(), StoreError> {
        self.inner.shared.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}
