//! [`ResourceRepository`] over SQL: one implementation serves every declared business
//! resource, on both backends. Its statements are built from the declaration: the table is
//! the resource's plural, the columns are [`COMMON_COLUMNS`] and the declared fields. A page
//! reads only its rows (`LIMIT`/`OFFSET` along an index); the total takes a second
//! statement unless the page itself tells it (a partial page): one row of the totals the
//! database keeps per tenant for a whole tenant's list, else an index-only `count(*)`.

use crate::audit::audited;
use crate::backend::{change_on, on, AnyConn, Change, Db};
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

/// The statement of one page of objects.
fn page_statement(def: &ResourceDef, query: &ListQuery, page: &mut Statement) {
    let (limit, offset) = page_bounds(query);
    page.sql("SELECT ");
    select_list(def, page);
    page.sql(" FROM ").sql(&quoted(def.plural));
    conditions(def, query, page);
    ordering(def, query, page);
    page.sql(" LIMIT ")
        .bind(Cell::Int(limit))
        .sql(" OFFSET ")
        .bind(Cell::Int(offset));
}

/// The statement counting the objects a list matches, over all pages.
fn count_statement(def: &ResourceDef, query: &ListQuery, count: &mut Statement) {
    count.sql("SELECT ").column("count(*)", Alias::Int);
    count.sql(" FROM ").sql(&quoted(def.plural));
    conditions(def, query, count);
}

/// The tenant `query` lists whole (no owner, filter or search narrows it), if it does.
fn whole_tenant(query: &ListQuery) -> Option<Uuid> {
    let narrowed = query.owner_id.is_some() || !query.filters.is_empty() || query.search.is_some();
    query.tenant_id.filter(|_| !narrowed)
}

/// The statement reading a list's total over all pages: a whole tenant's is kept in
/// `resource_totals` (by triggers, see the `resource_totals` migrations), one row whatever
/// the tenant holds; any narrower list counts its rows. No row: the tenant never had one.
fn total_statement(def: &ResourceDef, query: &ListQuery, total: &mut Statement) {
    let Some(tenant) = whole_tenant(query) else {
        return count_statement(def, query, total);
    };
    total
        .sql("SELECT ")
        .column("total", Alias::Int)
        .sql(" FROM resource_totals WHERE tenant_id = ")
        .bind(Cell::Id(uid(tenant)))
        .sql(" AND resource = ")
        .bind(Cell::Text(def.plural.to_string()));
}

/// `INSERT INTO <table> (<every column>)`.
fn insert_head(def: &ResourceDef) -> Statement {
    let mut statement = Statement::new("INSERT INTO ");
    statement.sql(&quoted(def.plural)).sql(" (");
    statement.sql(&COMMON_COLUMNS.join(", "));
    for field in def.fields {
        statement.sql(", ").sql(&quoted(field.name));
    }
    statement.sql(")");
    statement
}

/// `(<every value>)` of one object.
fn insert_row(statement: &mut Statement, record: &Record) {
    statement
        .sql("(")
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
}

fn by_id(statement: &mut Statement, id: Uuid) {
    statement.sql(" WHERE id = ").bind(Cell::Id(uid(id)));
}

/// Rows per statement of [`ResourceStore::bulk_insert`] (well within SQLite's limit of
/// bind parameters).
const BULK_ROWS: usize = 400;

impl ResourceStore {
    /// Stores `records` of `def` without audit entries, several hundred per statement: for
    /// synthetic data sets (benchmarks, query-plan checks), never for clients' writes.
    /// Returns how many rows were written.
    pub async fn bulk_insert(
        &self,
        def: &'static ResourceDef,
        records: &[Record],
    ) -> Result<u64, RepoError> {
        let mut written = 0;
        let mut db = self.db.get().await?;
        for chunk in records.chunks(BULK_ROWS) {
            let mut statement = insert_head(def);
            for (i, record) in chunk.iter().enumerate() {
                statement.sql(if i == 0 { " VALUES " } else { ", " });
                insert_row(&mut statement, record);
            }
            let rows = on!(db.conn(), |c| statement.execute(c).await).map_err(from_diesel)?;
            written += rows as u64;
        }
        Ok(written)
    }

    /// PostgreSQL's plans (`EXPLAIN`, one line per row) of the statements [`list`] runs for
    /// `query` (the page, then its total), in the current data scope: for checking that
    /// lists stay index scans. SQLite answers with its `EXPLAIN QUERY PLAN` details.
    ///
    /// [`list`]: ResourceRepository::list
    pub async fn explain_list(
        &self,
        def: &'static ResourceDef,
        query: &ListQuery,
    ) -> Result<Vec<String>, RepoError> {
        let mut db = self.db.get().await?;
        let prefix = match db.conn() {
            AnyConn::Postgres(_) => "EXPLAIN ",
            AnyConn::Sqlite(_) => "EXPLAIN QUERY PLAN ",
        };
        let mut lines = Vec::new();
        let build: [fn(&ResourceDef, &ListQuery, &mut Statement); 2] =
            [page_statement, total_statement];
        for build in build {
            let mut statement = Statement::new(prefix);
            build(def, query, &mut statement);
            let rows: Vec<DynRow> =
                on!(db.conn(), |c| statement.load(c).await).map_err(from_diesel)?;
            lines.extend(
                rows.into_iter()
                    .flat_map(|row| row.0)
                    .filter_map(|cell| match cell {
                        Cell::Text(line) => Some(line),
                        _ => None,
                    }),
            );
        }
        Ok(lines)
    }
}

#[async_trait]
impl ResourceRepository for ResourceStore {
    async fn list(
        &self,
        def: &'static ResourceDef,
        query: &ListQuery,
    ) -> Result<Page<Record>, RepoError> {
        let (per_page, offset) = page_bounds(query);
        let mut page = Statement::new("");
        page_statement(def, query, &mut page);
        let mut db = self.db.get().await?;
        let rows: Vec<DynRow> = on!(db.conn(), |c| page.load(c).await).map_err(from_diesel)?;
        let shown = rows.len() as i64;
        let total = match shown {
            // A page that is not full, and not past the end, tells the total by itself.
            shown if shown > 0 && shown < per_page => offset + shown,
            0 if offset == 0 => 0,
            _ => {
                let mut count = Statement::new("");
                total_statement(def, query, &mut count);
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
        let mut statement = insert_head(def);
        statement.sql(" VALUES ");
        insert_row(&mut statement, record);
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

    async fn count_by(
        &self,
        def: &'static ResourceDef,
        tenant: Uuid,
        field: Option<&'static str>,
    ) -> Result<Vec<(Value, u64)>, RepoError> {
        let group = field.and_then(|name| def.field(name));
        let mut statement = Statement::new("SELECT ");
        if let Some(field) = group {
            statement
                .column(&quoted(field.name), alias(field))
                .sql(", ");
        }
        statement.column("count(*)", Alias::Int);
        statement
            .sql(" FROM ")
            .sql(&quoted(def.plural))
            .sql(" WHERE tenant_id = ")
            .bind(Cell::Id(uid(tenant)));
        if let Some(field) = group {
            statement.sql(" GROUP BY ").sql(&quoted(field.name));
        }
        let mut db = self.db.get().await?;
        let rows: Vec<DynRow> = on!(db.conn(), |c| statement.load(c).await).map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut cells = row.0.into_iter().rev();
                let total = match cells.next() {
                    Some(Cell::Int(total)) => u64::try_from(total).unwrap_or(0),
                    _ => 0,
                };
                (cells.next().map_or(Value::Null, value), total)
            })
            .collect())
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
