//! Mapping diesel and pool errors onto [`RepoError`], for both backends.

use castellan_ports::RepoError;
use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};

/// Which API field a unique constraint protects. PostgreSQL names the constraint; SQLite
/// only says `UNIQUE constraint failed: <table>.<column>[, ...]`.
fn conflict_subject(info: &dyn DatabaseErrorInformation) -> String {
    let subject = match info.constraint_name() {
        Some(name) => name.to_string(),
        None => info
            .message()
            .rsplit(": ")
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    match subject.as_str() {
        "users_email_key" | "users.email" => "email".into(),
        "roles_tenant_name_key" | "roles.tenant_id, roles.name" => "name".into(),
        "tenants_slug_key" | "tenants.slug" => "slug".into(),
        "user_roles_user_role_key" | "user_roles.user_id, user_roles.role_id" => "role".into(),
        "access_rules_role_element_key" | "access_rules.role_id, access_rules.element_id" => {
            "element".into()
        }
        "" => "resource".into(),
        other => other.into(),
    }
}

/// A foreign key refused the write.
fn referenced(info: &dyn DatabaseErrorInformation) -> RepoError {
    RepoError::Referenced(info.constraint_name().unwrap_or(info.message()).to_string())
}

/// A diesel error as the ports see it.
pub(crate) fn from_diesel(err: DieselError) -> RepoError {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            match conflict_subject(info.as_ref()) {
                // The audit trail's own keys never collide unless chaining is broken: that
                // is a fault to report (500), not a conflict for the client to resolve.
                subject if subject.starts_with("audit_") => RepoError::Other(subject),
                subject => RepoError::Conflict(subject),
            }
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
            referenced(info.as_ref())
        }
        // SQLite reports a RESTRICT refusal without the foreign-key kind; its message is
        // the one thing it always says.
        DieselError::DatabaseError(_, info)
            if info.message().starts_with("FOREIGN KEY constraint failed") =>
        {
            referenced(info.as_ref())
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
