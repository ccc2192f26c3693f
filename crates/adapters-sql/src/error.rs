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
        "credentials_name_key" | "credentials.tenant_id, credentials.name" => "name".into(),
        "user_roles_user_role_key" | "user_roles.user_id, user_roles.role_id" => "role".into(),
        "access_rules_role_element_key" | "access_rules.role_id, access_rules.element_id" => {
            "element".into()
        }
        "" => "resource".into(),
        other => resource_field(other),
    }
}

/// A business resource's unique field: PostgreSQL constraints are named
/// `<table>_<field>_key` (see `docs/resources.md`), SQLite names the columns, the field
/// last (`sites.tenant_id, sites.code`). Anything else is returned as it is.
fn resource_field(subject: &str) -> String {
    let sqlite = subject.rsplit(", ").next().and_then(|c| c.split_once('.'));
    castellan_domain::resources::ALL
        .iter()
        .find_map(|def| {
            let field = match sqlite {
                Some((table, column)) => (table == def.plural).then_some(column)?,
                None => subject
                    .strip_prefix(def.plural)?
                    .strip_prefix('_')?
                    .strip_suffix("_key")?,
            };
            def.field(field).map(|f| f.name)
        })
        .unwrap_or(subject)
        .to_string()
}

/// A foreign key refused the write.
fn referenced(info: &dyn DatabaseErrorInformation) -> RepoError {
    RepoError::Referenced(info.constraint_name().unwrap_or(info.message()).to_string())
}

/// PostgreSQL's messages for a server shutting down, starting up or gone.
fn server_going_away(message: &str) -> bool {
    [
        "terminating connection",
        "the database system is shutting down",
        "the database system is starting up",
        "server closed the connection",
        // tokio-postgres, when the socket goes before the server's goodbye is read.
        "connection closed",
        "error communicating with the server",
        "Connection reset",
        "Broken pipe",
    ]
    .iter()
    .any(|sign| message.contains(sign))
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
        // A server going down tells its idle connections so (SQLSTATE 57P01–57P03) before
        // closing them; whether a client reads that message or the closed socket first is
        // a race, and both mean the same: the database is unavailable (503), not a bug.
        DieselError::DatabaseError(_, info) if server_going_away(info.message()) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_string()))
    }

    #[test]
    fn a_server_going_down_is_unavailable_not_a_fault() {
        for message in [
            "terminating connection due to administrator command",
            "connection closed",
            "error communicating with the server: Connection reset by peer (os error 104)",
            "FATAL: the database system is shutting down",
            "the database system is starting up",
        ] {
            assert!(
                matches!(
                    from_diesel(database_error(DatabaseErrorKind::Unknown, message)),
                    RepoError::Unavailable(_)
                ),
                "{message}"
            );
        }
        assert!(matches!(
            from_diesel(database_error(DatabaseErrorKind::Unknown, "syntax error")),
            RepoError::Other(_)
        ));
    }
}
