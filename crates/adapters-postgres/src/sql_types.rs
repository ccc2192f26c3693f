//! PostgreSQL's native types for the shared schema.

pub use diesel::sql_types::{Bytea, Timestamptz as Moment, Uuid};

/// How a UUID is held in rows: natively.
pub type DbUuid = uuid::Uuid;

/// A UUID as a bind value.
pub fn uid(id: uuid::Uuid) -> DbUuid {
    id
}

/// A stored UUID as a domain UUID.
pub fn from_db(id: DbUuid) -> uuid::Uuid {
    id
}
