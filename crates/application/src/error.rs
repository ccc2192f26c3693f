//! The application layer's error: what went wrong in terms a client can act on. The `api`
//! crate maps each variant to one HTTP status in one place.

use castellan_ports::{CryptoError, RepoError, StoreError};

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field (dotted for nested ones).
    pub field: String,
    /// What is wrong, for a human.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A use case's failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// One or more inputs are invalid.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Login failed (wrong password, unknown or inactive user: deliberately the same).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// No valid authentication (missing, invalid, expired or revoked token; user gone).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such object (or not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// A uniqueness or state conflict.
    #[error("{message}")]
    Conflict {
        /// What conflicts.
        message: String,
        /// The input field concerned, when there is one.
        field: Option<String>,
    },
    /// A one-time token (invitation, password reset) is unknown, used, revoked or expired.
    #[error("{message}")]
    InvalidToken {
        /// The stable error code, e.g. `invalid_invitation`.
        code: &'static str,
        /// The field that carried the token.
        field: &'static str,
        /// What is wrong.
        message: &'static str,
    },
    /// A backing service (database, token store) is unreachable.
    #[error("{0} unavailable")]
    Unavailable(&'static str),
    /// A bug or unexpected failure; the message is for logs only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A validation error on one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<RepoError> for AppError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::Conflict(subject) => AppError::Conflict {
                message: format!("{subject} already exists"),
                field: Some(subject),
            },
            RepoError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                AppError::Unavailable("database")
            }
            RepoError::Other(detail) => AppError::Internal(detail),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        tracing::warn!(error = %err, "token store unavailable");
        AppError::Unavailable("token store")
    }
}

impl From<CryptoError> for AppError {
    fn from(err: CryptoError) -> Self {
        AppError::Internal(err.to_string())
    }
}
