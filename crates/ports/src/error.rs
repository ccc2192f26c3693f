//! Errors that adapters report through the ports.

/// A repository failure.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness constraint was violated; carries the constraint's subject (e.g. `email`).
    #[error("conflict on {0}")]
    Conflict(String),
    /// A reference forbids the write: the row still has dependents (a delete), or it names
    /// one that is gone (an insert); carries the constraint's subject.
    #[error("blocked by a reference: {0}")]
    Referenced(String),
    /// The database could not be reached (pool timeout, connection refused ...).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database error (a bug or a schema mismatch).
    #[error("database error: {0}")]
    Other(String),
}

/// A token-store failure: the store could not answer, so callers must fail closed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store is unreachable or timed out.
    #[error("token store unavailable: {0}")]
    Unavailable(String),
}
