//! SQLite's types for the shared schema: UUIDs as hyphenated TEXT (readable in the
//! `sqlite3` shell, and time-ordered for v7), timestamps as TEXT, hashes as BLOB.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::{Sqlite, SqliteValue};

pub use diesel::sql_types::{Binary as Bytea, Text as Uuid, TimestamptzSqlite as Moment};

/// A UUID stored as TEXT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct DbUuid(pub uuid::Uuid);

/// A stored UUID as a domain UUID.
pub fn from_db(id: DbUuid) -> uuid::Uuid {
    id.0
}

/// A UUID as a bind value.
pub fn uid(id: uuid::Uuid) -> DbUuid {
    DbUuid(id)
}

impl ToSql<Text, Sqlite> for DbUuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.hyphenated().to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Sqlite> for DbUuid {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Ok(DbUuid(uuid::Uuid::parse_str(&text)?))
    }
}
