//! Recent callers' principals (their user, role names and rules), each kept with the
//! access epoch it was built under: an entry is used only while the epoch the store
//! answers now is the same, so a change to the user, a role, a rule or a grant is seen on
//! the very next request on every replica. The age bound covers what epochs cannot see
//! (a change written straight into the database, or an epoch that failed to move).

use castellan_domain::rbac::Subject;
use castellan_domain::{User, UserId};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A user's principal parts, as the store held them.
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    /// The user, active.
    pub user: User,
    /// Their role names, sorted.
    pub roles: Vec<String>,
    /// What those roles allow.
    pub subject: Subject,
}

#[derive(Debug)]
struct Entry {
    epoch: String,
    built: Instant,
    owner: Arc<Owner>,
}

/// Principals by user, with the epoch they were built under.
#[derive(Clone)]
pub struct PrincipalCache {
    entries: Arc<quick_cache::sync::Cache<UserId, Arc<Entry>>>,
    max_age: Duration,
}

impl std::fmt::Debug for PrincipalCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalCache")
            .field("entries", &self.entries.len())
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl PrincipalCache {
    /// A cache of at most `capacity` principals, none used past `max_age`.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        Self {
            entries: Arc::new(quick_cache::sync::Cache::new(capacity.max(1))),
            max_age,
        }
    }

    /// `user`'s principal if it was built under `epoch` and is young enough.
    pub(crate) fn get(&self, user: UserId, epoch: &str) -> Option<Arc<Owner>> {
        let entry = self.entries.get(&user)?;
        (entry.epoch == epoch && entry.built.elapsed() < self.max_age).then(|| entry.owner.clone())
    }

    /// Keeps `owner`, built under `epoch`.
    pub(crate) fn put(&self, epoch: String, owner: Arc<Owner>) {
        let entry = Entry {
            epoch,
            built: Instant::now(),
            owner: owner.clone(),
        };
        self.entries.insert(owner.user.id, Arc::new(entry));
    }
}
