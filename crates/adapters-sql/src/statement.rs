//! Statements built at run time: SQL text with bind parameters, loaded into untyped rows.
//!
//! The generic resource store assembles its statements from declarations, so their
//! columns are only known at run time. A [`Statement`] renders its placeholders through
//! diesel (so each backend gets its own syntax) and binds values with the shared SQL types;
//! a [`DynRow`] reads each column by the one-letter alias the statement gave it (see
//! [`Alias`]). Identifiers come from declarations only, never from clients.

use crate::sql_types::{DbTime, DbUuid, Moment, Uuid as UuidType};
use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::row::{Field as _, Row};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, Date, HasSqlType, Text, Untyped};
use diesel::QueryResult;

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    /// SQL `NULL`.
    Null,
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A calendar date.
    Date(NaiveDate),
    /// A point in time.
    Time(DbTime),
    /// A UUID.
    Id(DbUuid),
    /// An integer (counts).
    Int(i64),
}

/// The SQL type of a selected column, written as its alias so that a [`DynRow`] knows how
/// to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alias {
    Text,
    Bool,
    Date,
    Time,
    Id,
    Int,
}

impl Alias {
    fn letter(self) -> &'static str {
        match self {
            Alias::Text => "s",
            Alias::Bool => "b",
            Alias::Date => "d",
            Alias::Time => "m",
            Alias::Id => "u",
            Alias::Int => "i",
        }
    }

    fn of(name: &str) -> Option<Self> {
        Some(match name {
            "s" => Alias::Text,
            "b" => Alias::Bool,
            "d" => Alias::Date,
            "m" => Alias::Time,
            "u" => Alias::Id,
            "i" => Alias::Int,
            // The columns of `EXPLAIN` (PostgreSQL) and `EXPLAIN QUERY PLAN` (SQLite),
            // which cannot be aliased.
            "QUERY PLAN" | "detail" => Alias::Text,
            "id" | "parent" | "notused" => Alias::Int,
            _ => return None,
        })
    }
}

enum Part {
    Sql(String),
    Bind(Cell),
}

/// SQL text and bind parameters, in order.
#[derive(Default)]
pub(crate) struct Statement {
    parts: Vec<Part>,
}

impl std::fmt::Debug for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sql: String = self
            .parts
            .iter()
            .map(|part| match part {
                Part::Sql(sql) => sql.as_str(),
                Part::Bind(_) => "?",
            })
            .collect();
        f.debug_struct("Statement").field("sql", &sql).finish()
    }
}

impl Statement {
    /// A statement starting with `sql`.
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Self {
            parts: vec![Part::Sql(sql.into())],
        }
    }

    /// Appends SQL text.
    pub(crate) fn sql(&mut self, sql: &str) -> &mut Self {
        match self.parts.last_mut() {
            Some(Part::Sql(text)) => text.push_str(sql),
            _ => self.parts.push(Part::Sql(sql.to_string())),
        }
        self
    }

    /// Appends a bind parameter holding `value` (`NULL` is written as a literal).
    pub(crate) fn bind(&mut self, value: Cell) -> &mut Self {
        match value {
            Cell::Null => self.sql("NULL"),
            value => {
                self.parts.push(Part::Bind(value));
                self
            }
        }
    }

    /// Appends `expression AS <alias>` to a select list.
    pub(crate) fn column(&mut self, expression: &str, alias: Alias) -> &mut Self {
        self.sql(expression).sql(" AS ").sql(alias.letter())
    }
}

impl QueryId for Statement {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement {
    type SqlType = Untyped;
}

/// A backend that can bind every kind of [`Cell`] (both of ours can).
pub(crate) trait Binds:
    Backend
    + HasSqlType<Text>
    + HasSqlType<Bool>
    + HasSqlType<Date>
    + HasSqlType<BigInt>
    + HasSqlType<UuidType>
    + HasSqlType<Moment>
{
    /// Pushes `cell` as a bind parameter (`NULL` as a literal).
    fn bind<'b>(out: &mut AstPass<'_, 'b, Self>, cell: &'b Cell) -> QueryResult<()>;
}

impl<DB> Binds for DB
where
    DB: Backend
        + HasSqlType<Text>
        + HasSqlType<Bool>
        + HasSqlType<Date>
        + HasSqlType<BigInt>
        + HasSqlType<UuidType>
        + HasSqlType<Moment>,
    String: ToSql<Text, DB>,
    bool: ToSql<Bool, DB>,
    NaiveDate: ToSql<Date, DB>,
    i64: ToSql<BigInt, DB>,
    DbUuid: ToSql<UuidType, DB>,
    DbTime: ToSql<Moment, DB>,
{
    fn bind<'b>(out: &mut AstPass<'_, 'b, DB>, cell: &'b Cell) -> QueryResult<()> {
        match cell {
            Cell::Null => {
                out.push_sql("NULL");
                Ok(())
            }
            Cell::Text(text) => out.push_bind_param::<Text, String>(text),
            Cell::Bool(b) => out.push_bind_param::<Bool, bool>(b),
            Cell::Date(date) => out.push_bind_param::<Date, NaiveDate>(date),
            Cell::Int(n) => out.push_bind_param::<BigInt, i64>(n),
            Cell::Time(time) => out.push_bind_param::<Moment, DbTime>(time),
            Cell::Id(id) => out.push_bind_param::<UuidType, DbUuid>(id),
        }
    }
}

impl<DB: Binds> QueryFragment<DB> for Statement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for part in &self.parts {
            match part {
                Part::Sql(sql) => out.push_sql(sql),
                Part::Bind(cell) => DB::bind(&mut out, cell)?,
            }
        }
        Ok(())
    }
}

/// A row of a [`Statement`]'s result: each column read as its alias says.
#[derive(Debug)]
pub(crate) struct DynRow(pub(crate) Vec<Cell>);

impl DynRow {
    fn build<'a, DB, R>(row: &R) -> deserialize::Result<Self>
    where
        DB: Backend,
        R: Row<'a, DB>,
        String: FromSql<Text, DB>,
        bool: FromSql<Bool, DB>,
        NaiveDate: FromSql<Date, DB>,
        i64: FromSql<BigInt, DB>,
        DbUuid: FromSql<UuidType, DB>,
        DbTime: FromSql<Moment, DB>,
    {
        let mut cells = Vec::with_capacity(row.field_count());
        for i in 0..row.field_count() {
            let field = row.get(i).ok_or("a column went missing")?;
            let alias = field
                .field_name()
                .and_then(Alias::of)
                .ok_or("a column without a type alias")?;
            let Some(raw) = field.value() else {
                cells.push(Cell::Null);
                continue;
            };
            cells.push(match alias {
                Alias::Text => Cell::Text(<String as FromSql<Text, DB>>::from_sql(raw)?),
                Alias::Bool => Cell::Bool(<bool as FromSql<Bool, DB>>::from_sql(raw)?),
                Alias::Date => Cell::Date(<NaiveDate as FromSql<Date, DB>>::from_sql(raw)?),
                Alias::Int => Cell::Int(<i64 as FromSql<BigInt, DB>>::from_sql(raw)?),
                Alias::Id => Cell::Id(<DbUuid as FromSql<UuidType, DB>>::from_sql(raw)?),
                Alias::Time => Cell::Time(<DbTime as FromSql<Moment, DB>>::from_sql(raw)?),
            });
        }
        Ok(DynRow(cells))
    }
}

// One impl per backend (a generic one would collide with diesel's blanket impl for
// `QueryableByName` types, which a downstream backend could add).
impl FromSqlRow<Untyped, diesel::pg::Pg> for DynRow {
    fn build_from_row<'a>(row: &impl Row<'a, diesel::pg::Pg>) -> deserialize::Result<Self> {
        DynRow::build(row)
    }
}

impl FromSqlRow<Untyped, diesel::sqlite::Sqlite> for DynRow {
    fn build_from_row<'a>(row: &impl Row<'a, diesel::sqlite::Sqlite>) -> deserialize::Result<Self> {
        DynRow::build(row)
    }
}
