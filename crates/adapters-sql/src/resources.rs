//! [`ResourceRepository`] over SQL: one implementation serves every declared business
//! resource, on both backends. Its statements are built from the declaration: the table is
//! the resource's plural, the columns are [`COMMON_COLUMNS`] and the declared fields, and a
//! page is one round trip (`count(*) OVER ()` carries the total).

use crate::audit::audited;
use crate::backend::{change_on, on, Change, Db};
use crate::error::from_diesel;
use crate::listing::{like_pattern, page_bounds};
use crate::sql_types::{at, uid};
use crate::statement::{Alias, Cell, DynRow, Statement};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::resource::{Field, Kind, Record, ResourceDef, Value, COMMON_COLUMNS};
use castellan_ports::{ListQuery, Page, RepoError, ResourceRepository};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// Business resources in the tables their declarations name.
#[derive(Debug, Clone)]
pub struct ResourceStore {
    db: Db,
}

impl ResourceStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// How a declared field's column is read back.
fn alias(field: &Field) -> Alias {
    match field.kind {
        Kind::Text { .. } | Kind::Enum(_) => Alias::Text,
        Kind::Bool => Alias::Bool,
        Kind::Date => Alias::Date,
        Kind::Timestamp => Alias::Time,
        Kind::Parent(_) | Kind::User => Alias::Id,
    }
}

/// A field's value as a bind parameter.
fn cell(value: &Value) -> Cell {
    match value {
        Value::Null => Cell::Null,
        Value::Text(text) => Cell::Text(text.clone()),
        Value::Bool(b) => Cell::Bool(*b),
        Value::Date(date) => Cell::Date(*date),
        Value::Time(time) => Cell::Time(at(*time)),
        Value::Id(id) => Cell::Id(uid(*id)),
    }
}

/// A column's value as a field's value.
fn value(cell: Cell) -> Value {
    match cell {
        Cell::Null | Cell::Int(_) => Value::Null,
        Cell::Text(text) => Value::Text(text),
        Cell::Bool(b) => Value::Bool(b),
        Cell::Date(date) => Value::Date(date),
        Cell::Time(time) => Value::Time(time.0),
        Cell::Id(id) => Value::Id(id.0),
    }
}

/// `"name"`: identifiers come from declarations, quoted for both dialects.
fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

/// How each of [`COMMON_COLUMNS`] is read back.
const COMMON_ALIASES: [Alias; 5] = [Alias::Id, Alias::Id, Alias::Id, Alias::Time, Alias::Time];

/// The select list of a whole object, in [`Record`] order.
fn select_list(def: &ResourceDef, statement: &mut Statement) {
    let columns = COMMON_COLUMNS
        .iter()
        .map(|name| name.to_string())
        .zip(COMMON_ALIASES)
        .chain(def.fields.iter().map(|f| (quoted(f.name), alias(f))));
    for (i, (column, alias)) in columns.enumerate() {
        if i > 0 {
            statement.sql(", ");
        }
        statement.column(&column, alias);
    }
}

/// A row of [`select_list`] (and maybe more columns after it) as a record.
fn to_record(row: DynRow, def: &ResourceDef) -> Result<Record, RepoError> {
    let mut cells = row.0.into_iter();
    let mut next = || cells.next().unwrap_or(Cell::Null);
    let id = |cell: Cell| match cell {
        Cell::Id(id) => Ok(id.0),
        other => Err(RepoError::Other(format!("expected an id, read {other:?}"))),
    };
    let time = |cell: Cell| match cell {
        Cell::Time(time) => Ok(time.0),
        other => Err(RepoError::Other(format!("expected a time, read {other:?}"))),
    };
    Ok(Record {
        id: id(next())?,
        tenant_id: id(next())?,
        owner_id: id(next())?,
        created_at: time(next())?,
        updated_at: time(next())?,
        values: def.fields.iter().map(|_| value(next())).collect(),
    })
}

/// `WHERE ...` of a list: tenant, owner, exact filters and search.
fn conditions(def: &ResourceDef, query: &ListQuery, statement: &mut Statement) {
    statement.sql(" WHERE 1 = 1");
    if let Some(tenant) = query.tenant_id {
        statement
            .sql(" AND tenant_id = ")
            .bind(Cell::Id(uid(tenant)));
    }
    if let Some(owner) = query.owner_id {
        statement.sql(" AND owner_id = ").bind(Cell::Id(uid(owner)));
    }
    for (field, value) in &query.filters {
        statement.sql(" AND ").sql(&quoted(field));
        match value {
            Value::Null => statement.sql(" IS NULL"),
            value => statement.sql(" = ").bind(cell(value)),
        };
    }
    if let Some(search) = query.search.as_deref() {
        let pattern = like_pattern(search);
        for (i, field) in def.searchable().enumerate() {
            statement.sql(if i == 0 { " AND (" } else { " OR " });
            statement
                .sql("lower(")
                .sql(&quoted(field.name))
                .sql(") LIKE ")
                .bind(Cell::Text(pattern.clone()))
                .sql(" ESCAPE '\\'");
        }
        if def.searchable().next().is_some() {
            statement.sql(")");
        }
    }
}

/// `ORDER BY ...`: the requested orderings (already checked against the declaration), ties
/// broken by id, newest first. Empty values of optional fields come last ascending and
/// first descending on both backends (PostgreSQL's way; SQLite's default differs).
fn ordering(def: &ResourceDef, query: &ListQuery, statement: &mut Statement) {
    statement.sql(" ORDER BY ");
    for order in &query.ordering {
        let column = match order.field.as_str() {
            common @ ("created_at" | "updated_at") => common.to_string(),
            field => quoted(field),
        };
        let nullable = def.field(&order.field).is_some_and(|f| f.is_nullable());
        statement
            .sql(&column)
            .sql(match (order.descending, nullable) {
                (false, false) => " ASC, ",
                (true, false) => " DESC, ",
                (false, true) => " ASC NULLS LAST, ",
                (true, true) => " DESC NULLS FIRST, ",
            });
    }
    statement.sql("id DESC");
}

fn by_id(statement: &mut Statement, id: Uuid) {
    statement.sql(" WHERE id = ").bind(Cell::Id(uid(id)));
}

#[async_trait]
impl ResourceRepository for ResourceStore {
    async fn list(
        &self,
        def: &'static ResourceDef,
        query: &ListQuery,
    ) -> Result<Page<Record>, RepoError> {
        let (limit, offset) = page_bounds(query);
        let mut page = Statement::new("SELECT ");
        select_list(def, &mut page);
        page.sql(", ").column("count(*) OVER ()", Alias::Int);
        page.sql(" FROM ").sql(&quoted(def.plural));
        conditions(def, query, &mut page);
        ordering(def, query, &mut page);
        page.sql(" LIMIT ")
            .bind(Cell::Int(limit))
            .sql(" OFFSET ")
            .bind(Cell::Int(offset));
        let mut db = self.db.get().await?;
        let rows: Vec<DynRow> = on!(db.conn(), |c| page.load(c).await).map_err(from_diesel)?;
        let total = match rows.as_slice().first().and_then(|row| row.0.last()) {
            Some(Cell::Int(total)) => *total,
            // Past the last page the window has no row to ride on: count separately.
            _ if offset > 0 => {
                let mut count = Statement::new("SELECT ");
                count.column("count(*)", Alias::Int);
                count.sql(" FROM ").sql(&quoted(def.plural));
                conditions(def, query, &mut count);
                let counted: Vec<DynRow> =
                    on!(db.conn(), |c| count.load(c).await).map_err(from_diesel)?;
                match counted
                    .into_iter()
                    .next()
                    .and_then(|row| row.0.into_iter().next())
                {
                    Some(Cell::Int(total)) => total,
                    _ => 0,
                }
            }
            _ => 0,
        };
        Ok(Page {
            items: rows
                .into_iter()
                .map(|row| to_record(row, def))
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn get(&self, def: &'static ResourceDef, id: Uuid) -> Result<Option<Record>, RepoError> {
        let mut statement = Statement::new("SELECT ");
        select_list(def, &mut statement);
        statement.sql(" FROM ").sql(&quoted(def.plural));
        by_id(&mut statement, id);
        let mut db = self.db.get().await?;
        let rows: Vec<DynRow> = on!(db.conn(), |c| statement.load(c).await).map_err(from_diesel)?;
        rows.into_iter()
            .next()
            .map(|row| to_record(row, def))
            .transpose()
    }

    async fn insert(
        &self,
        def: &'static ResourceDef,
        record: &Record,
        audit: &Event,
    ) -> Result<(), RepoError> {
        let mut statement = Statement::new("INSERT INTO ");
        statement.sql(&quoted(def.plural)).sql(" (");
        statement.sql(&COMMON_COLUMNS.join(", "));
        for field in def.fields {
            statement.sql(", ").sql(&quoted(field.name));
        }
        statement.sql(") VALUES (");
        statement
            .bind(Cell::Id(uid(record.id)))
            .sql(", ")
            .bind(Cell::Id(uid(record.tenant_id)))
            .sql(", ")
            .bind(Cell::Id(uid(record.owner_id)))
            .sql(", ")
            .bind(Cell::Time(at(record.created_at)))
            .sql(", ")
            .bind(Cell::Time(at(record.updated_at)));
        for value in &record.values {
            statement.sql(", ").bind(cell(value));
        }
        statement.sql(")");
        let change: Change<()> = change_on!(|conn| statement.execute(conn).await.map(|_| ()));
        audited(&self.db, audit, change).await
    }

    async fn update(
        &self,
        def: &'static ResourceDef,
        record: &Record,
        audit: &Event,
    ) -> Result<Option<Record>, RepoError> {
        let mut statement = Statement::new("UPDATE ");
        statement.sql(&quoted(def.plural)).sql(" SET ");
        for (field, value) in def.fields.iter().zip(&record.values) {
            statement
                .sql(&quoted(field.name))
                .sql(" = ")
                .bind(cell(value))
                .sql(", ");
        }
        statement
            .sql("updated_at = ")
            .bind(Cell::Time(at(record.updated_at)));
        by_id(&mut statement, record.id);
        statement.sql(" RETURNING ");
        select_list(def, &mut statement);
        let change: Change<Option<DynRow>> = change_on!(|conn| {
            let rows: Vec<DynRow> = statement.load(conn).await?;
            Ok(rows.into_iter().next())
        });
        audited(&self.db, audit, change)
            .await?
            .map(|row| to_record(row, def))
            .transpose()
    }

    async fn delete(
        &self,
        def: &'static ResourceDef,
        id: Uuid,
        audit: &Event,
    ) -> Result<bool, RepoError> {
        let mut statement = Statement::new("DELETE FROM ");
        statement.sql(&quoted(def.plural));
        by_id(&mut statement, id);
        let change: Change<bool> = change_on!(|conn| statement.execute(conn).await.map(|n| n > 0));
        audited(&self.db, audit, change).await
    }
}
