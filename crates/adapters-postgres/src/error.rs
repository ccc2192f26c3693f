//! Mapping diesel and pool errors onto [`RepoError`].

use castellan_ports::RepoError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Which API field a unique constraint protects.
fn conflict_subject(constraint: Option<&str>) -> String {
    match constraint {
        Some("users_email_key") => "email".into(),
        Some("roles_tenant_name_key") => "name".into(),
        Some("tenants_slug_key") => "slug".into(),
        Some("user_roles_user_role_key") => "role".into(),
        Some(other) => other.into(),
        None => "resource".into(),
    }
}

/// A diesel error as the ports see it.
pub(crate) fn from_diesel(err: DieselError) -> RepoError {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            RepoError::Conflict(conflict_subject(info.constraint_name()))
        }
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            RepoError::Unavailable(info.message().to_string())
        }
        DieselError::BrokenTransactionManager => RepoError::Unavailable(err.to_string()),
        other => RepoError::Other(other.to_string()),
    }
}

/// A pool checkout failure: the database is unreachable or saturated.
pub(crate) fn from_pool<E: std::fmt::Display>(err: E) -> RepoError {
    RepoError::Unavailable(err.to_string())
}
