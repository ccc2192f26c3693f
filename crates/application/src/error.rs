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

/// Why access was refused: what the caller tried, for the client and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// For a human.
    pub message: String,
    /// The element key (`article`, `tenant`, ...).
    pub element: Option<String>,
    /// `read`, `create`, `update` or `delete`.
    pub action: Option<String>,
    /// The object, when there is one.
    pub target_id: Option<String>,
}

impl Denial {
    /// A refusal of `action` on `element`.
    pub fn new(element: &str, action: &str) -> Self {
        Self {
            message: format!("you may not {action} {element}"),
            element: Some(element.to_string()),
            action: Some(action.to_string()),
            target_id: None,
        }
    }

    /// A refusal explained by `message`.
    pub fn because(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Names the object concerned.
    pub fn on(mut self, target: impl ToString) -> Self {
        self.target_id = Some(target.to_string());
        self
    }
}

impl From<Denial> for AppError {
    fn from(denial: Denial) -> Self {
        AppError::Forbidden(denial)
    }
}

/// An input as the transport parsed it, not looked at yet: a use case opens it only after
/// its authorization checks, so that 401/403/404 come before 400 whatever is wrong with the
/// body, and no handler checks permissions itself.
pub type Deferred<T, E> = Result<T, E>;

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
    /// Not allowed (a 403); the audit trail records every one.
    #[error("{}", .0.message)]
    Forbidden(Denial),
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
    /// Too many failed logins: the email (from this address, or from everywhere) is locked.
    #[error("too many failed logins: try again in {retry_after_secs} s")]
    Locked {
        /// Whole seconds until the lock ends (`Retry-After`).
        retry_after_secs: u64,
    },
    /// Over a rate limit the use case was given to apply (a login's buckets).
    #[error("too many requests: try again in {retry_after_secs} s")]
    RateLimited {
        /// Whole seconds until the next request would be allowed (`Retry-After`).
        retry_after_secs: u64,
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
            RepoError::Referenced(subject) => {
                tracing::debug!(constraint = %subject, "write blocked by a reference");
                AppError::Conflict {
                    message: "other objects still refer to it".into(),
                    field: None,
                }
            }
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
