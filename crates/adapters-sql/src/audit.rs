//! The audit trail over SQL, shared by the PostgreSQL and SQLite adapters: [`AuditStore`]
//! (the [`AuditLog`] port) and [`audited`], which every audited write of the other stores
//! goes through so that a change and its entry commit together or not at all.
//!
//! Appending serializes per chain on the chain's row in `audit_chains` (locked on
//! PostgreSQL by `castellan_audit_seal`; on SQLite its upsert takes the write lock), so
//! concurrent writers queue instead of forking the chain; the unique (chain, seq) index is
//! the backstop.
//! The head row is always the last row a transaction locks, so it cannot deadlock.

use crate::backend::{on, AnyConn, Change, Db, PgConn, SqliteConn};
use crate::cached::Cached;
use crate::error::from_diesel;
use crate::schema::{audit_chains, audit_logs};
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid, Moment, Uuid as SqlUuid};
use crate::sqlite::on_blocking_thread;
use async_trait::async_trait;
use castellan_domain::audit::{
    canonical_json, changes_from_json, changes_to_json, Actor, ActorType, Entry, Event, Outcome,
    GENESIS_HASH,
};
use castellan_ports::{AuditLog, AuditPage, AuditQuery, ChainHead, RepoError};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

/// Whether a write changed anything, so that an entry is due.
pub(crate) trait Applied {
    /// True when the write took effect.
    fn applied(&self) -> bool;
}

impl Applied for () {
    fn applied(&self) -> bool {
        true
    }
}

impl Applied for bool {
    fn applied(&self) -> bool {
        *self
    }
}

impl Applied for i32 {
    fn applied(&self) -> bool {
        true
    }
}

impl<T> Applied for Option<T> {
    fn applied(&self) -> bool {
        self.is_some()
    }
}

/// Runs `change` in a transaction and, when it [`Applied`], appends `event` in the same
/// transaction.
pub(crate) async fn audited<T>(db: &Db, event: &Event, change: Change<T>) -> Result<T, RepoError>
where
    T: Applied + Send + 'static,
{
    let event = event.clone();
    audited_with(db, change, move |out: &T| out.applied().then_some(event)).await
}

/// Runs `change` in a transaction and appends the event `record` makes of its result, if
/// any, in the same transaction.
pub(crate) async fn audited_with<T, R>(
    db: &Db,
    change: Change<T>,
    record: R,
) -> Result<T, RepoError>
where
    T: Send + 'static,
    R: FnOnce(&T) -> Option<Event> + Send + 'static,
{
    let mut pooled = db.for_transaction().await?;
    if !pooled.is_sqlite() {
        return in_transaction(pooled.conn(), change, record)
            .await
            .map_err(from_diesel);
    }
    on_blocking_thread(move || {
        let mut pooled = pooled;
        futures::executor::block_on(in_transaction(pooled.conn(), change, record))
    })
    .await?
    .map_err(from_diesel)
}

async fn in_transaction<T, R>(conn: AnyConn<'_>, change: Change<T>, record: R) -> QueryResult<T>
where
    T: Send + 'static,
    R: FnOnce(&T) -> Option<Event> + Send,
{
    on!(conn, |c| c
        .transaction(async move |tx| {
            let mut conn = AnyConn::from(tx);
            let out = change(conn.reborrow()).await?;
            if let Some(event) = record(&out) {
                append_in(conn, event).await?;
            }
            Ok::<_, diesel::result::Error>(out)
        })
        .await)
}

/// The `audit_chains` key of a tenant's chain (the nil UUID for entries without a tenant).
fn chain_key(tenant: Option<Uuid>) -> DbUuid {
    uid(tenant.unwrap_or(Uuid::nil()))
}

/// Appends `event` to its chain on `conn` (inside the caller's transaction).
async fn append_in(conn: AnyConn<'_>, event: Event) -> QueryResult<Entry> {
    match conn {
        AnyConn::Postgres(c) => append_sealed_by_postgres(c, event).await,
        AnyConn::Sqlite(c) => append_sealed_here(c, event).await,
    }
}

/// The entry's insert, its `seq`, `prev_hash` and `hash` from `castellan_audit_seal`
/// (migration `audit_seal`), given the entry's canonical form around its seq.
const APPEND_SEALED_BY_POSTGRES: &str = "\
    INSERT INTO audit_logs (id, tenant_id, occurred_at, actor_type, actor_id, action, \
        target_type, target_id, outcome, request_id, ip, user_agent, changes, metadata, \
        seq, prev_hash, hash) \
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
        s.seq, s.prev_hash, s.hash \
    FROM castellan_audit_seal($15, $2, $16, $17) AS s \
    RETURNING seq, prev_hash, hash";

/// PostgreSQL seals the entry in the statement that appends it (`castellan_audit_seal`
/// locks the chain's head, numbers and hashes the entry and moves the head): one round
/// trip under the chain's lock, where sealing here takes two, so the chain's next writer
/// waits less. The returned hash is checked against the one computed here.
async fn append_sealed_by_postgres(c: &mut PgConn, event: Event) -> QueryResult<Entry> {
    use diesel::sql_types::{Nullable, Text};
    let open = event.open_canonical();
    let row = EventColumns::from(&event);
    let sealed: Sealed = Cached(
        diesel::sql_query(APPEND_SEALED_BY_POSTGRES)
            .bind::<SqlUuid, _>(row.id)
            .bind::<Nullable<SqlUuid>, _>(row.tenant_id)
            .bind::<Moment, _>(row.occurred_at)
            .bind::<Text, _>(row.actor_type)
            .bind::<Nullable<SqlUuid>, _>(row.actor_id)
            .bind::<Text, _>(row.action)
            .bind::<Nullable<Text>, _>(row.target_type)
            .bind::<Nullable<Text>, _>(row.target_id)
            .bind::<Text, _>(row.outcome)
            .bind::<Nullable<Text>, _>(row.request_id)
            .bind::<Nullable<Text>, _>(row.ip)
            .bind::<Nullable<Text>, _>(row.user_agent)
            .bind::<Text, _>(row.changes)
            .bind::<Text, _>(row.metadata)
            .bind::<SqlUuid, _>(chain_key(event.tenant_id))
            .bind::<Text, _>(open.before_seq.as_str())
            .bind::<Text, _>(open.after_seq.as_str()),
    )
    .get_result(c)
    .await?;
    if open.hash(sealed.seq, &sealed.prev_hash) != sealed.hash {
        // Never commit an entry that would not verify.
        return Err(diesel::result::Error::DeserializationError(
            "the database sealed an audit entry differently from Castellan".into(),
        ));
    }
    Ok(Entry {
        event,
        seq: sealed.seq,
        prev_hash: sealed.prev_hash,
        hash: sealed.hash,
    })
}

/// What [`append_sealed_by_postgres`] gets back.
#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    prev_hash: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    hash: String,
}

/// SQLite seals here: the upsert takes the database's write lock, which serializes
/// appenders anyway.
async fn append_sealed_here(c: &mut SqliteConn, event: Event) -> QueryResult<Entry> {
    let chain = chain_key(event.tenant_id);
    let (last_seq, last_hash): (i64, String) = Cached(
        diesel::insert_into(audit_chains::table)
            .values((
                audit_chains::chain.eq(chain),
                audit_chains::tenant_id.eq(event.tenant_id.map(uid)),
                audit_chains::last_seq.eq(0_i64),
                audit_chains::last_hash.eq(GENESIS_HASH),
            ))
            .on_conflict(audit_chains::chain)
            .do_update()
            .set(audit_chains::last_seq.eq(audit_chains::last_seq))
            .returning((audit_chains::last_seq, audit_chains::last_hash)),
    )
    .get_result(c)
    .await?;
    let entry = event.seal(last_seq + 1, &last_hash);
    let row = NewAuditRow::from(&entry);
    Cached(diesel::insert_into(audit_logs::table).values(row))
        .execute(c)
        .await?;
    Cached(diesel::update(audit_chains::table.find(chain)).set((
        audit_chains::last_seq.eq(entry.seq),
        audit_chains::last_hash.eq(entry.hash.clone()),
    )))
    .execute(c)
    .await?;
    Ok(entry)
}

/// An entry's row: its event's columns and its place in the chain.
#[derive(Insertable)]
#[diesel(table_name = audit_logs)]
struct NewAuditRow {
    #[diesel(embed)]
    event: EventColumns,
    seq: i64,
    prev_hash: String,
    hash: String,
}

impl From<&Entry> for NewAuditRow {
    fn from(entry: &Entry) -> Self {
        NewAuditRow {
            event: EventColumns::from(&entry.event),
            seq: entry.seq,
            prev_hash: entry.prev_hash.clone(),
            hash: entry.hash.clone(),
        }
    }
}

/// The columns of an entry's row that its event fills.
#[derive(Insertable)]
#[diesel(table_name = audit_logs)]
struct EventColumns {
    id: DbUuid,
    tenant_id: Option<DbUuid>,
    occurred_at: DbTime,
    actor_type: String,
    actor_id: Option<DbUuid>,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    outcome: String,
    request_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    changes: String,
    metadata: String,
}

impl From<&Event> for EventColumns {
    fn from(e: &Event) -> Self {
        EventColumns {
            id: uid(e.id),
            tenant_id: e.tenant_id.map(uid),
            occurred_at: at(e.occurred_at),
            actor_type: e.actor.kind.as_str().to_string(),
            actor_id: e.actor.id.map(uid),
            action: e.action.clone(),
            target_type: e.target_type.clone(),
            target_id: e.target_id.clone(),
            outcome: e.outcome.as_str().to_string(),
            request_id: e.request_id.clone(),
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            changes: canonical_json(&changes_to_json(&e.changes)),
            metadata: canonical_json(&Value::Object(e.metadata.clone())),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_logs)]
struct AuditRow {
    position: i64,
    id: DbUuid,
    tenant_id: Option<DbUuid>,
    seq: i64,
    occurred_at: DbTime,
    actor_type: String,
    actor_id: Option<DbUuid>,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    outcome: String,
    request_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    changes: String,
    metadata: String,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    /// The stored entry as written. Values the domain cannot name (only possible by
    /// tampering) become ones that make the entry's hash fail to verify.
    fn into_entry(self) -> Entry {
        let changes = serde_json::from_str::<Value>(&self.changes).unwrap_or(Value::Null);
        let metadata = match serde_json::from_str::<Value>(&self.metadata) {
            Ok(Value::Object(fields)) => fields,
            _ => serde_json::Map::from_iter([("unreadable".to_string(), Value::Bool(true))]),
        };
        Entry {
            event: Event {
                id: from_db(self.id),
                occurred_at: self.occurred_at.0,
                tenant_id: self.tenant_id.map(from_db),
                actor: Actor {
                    kind: ActorType::parse(&self.actor_type).unwrap_or(ActorType::Anonymous),
                    id: self.actor_id.map(from_db),
                },
                action: self.action,
                target_type: self.target_type,
                target_id: self.target_id,
                outcome: Outcome::parse(&self.outcome).unwrap_or(Outcome::Failure),
                request_id: self.request_id,
                ip: self.ip,
                user_agent: self.user_agent,
                changes: changes_from_json(&changes),
                metadata,
            },
            seq: self.seq,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

/// The rows `$query` (an [`AuditQuery`]) selects, before ordering and paging (a macro: the
/// boxed query is per backend).
macro_rules! filtered {
    ($query:expr) => {{
        let query: &AuditQuery = $query;
        let mut rows = audit_logs::table.into_boxed();
        if let Some(tenant) = query.tenant_id {
            rows = rows.filter(audit_logs::tenant_id.eq(uid(tenant)));
        }
        if let Some(actor) = query.actor_id {
            rows = rows.filter(audit_logs::actor_id.eq(uid(actor)));
        }
        if let Some(action) = query.action.clone() {
            rows = rows.filter(audit_logs::action.eq(action));
        }
        if let Some(kind) = query.target_type.clone() {
            rows = rows.filter(audit_logs::target_type.eq(kind));
        }
        if let Some(target) = query.target_id.clone() {
            rows = rows.filter(audit_logs::target_id.eq(target));
        }
        if let Some(outcome) = query.outcome {
            rows = rows.filter(audit_logs::outcome.eq(outcome.as_str()));
        }
        if let Some(since) = query.since {
            rows = rows.filter(audit_logs::occurred_at.ge(at(since)));
        }
        if let Some(until) = query.until {
            rows = rows.filter(audit_logs::occurred_at.lt(at(until)));
        }
        if let Some(before) = query.before {
            rows = rows.filter(audit_logs::position.lt(before));
        }
        rows
    }};
}

/// The audit log in `audit_logs` and `audit_chains`.
#[derive(Debug, Clone)]
pub struct AuditStore {
    db: Db,
}

impl AuditStore {
    /// A log over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AuditLog for AuditStore {
    async fn append(&self, event: &Event) -> Result<Entry, RepoError> {
        let mut db = self.db.for_transaction().await?;
        on!(db.conn(), |c| c
            .transaction(async move |tx| append_in(AnyConn::from(tx), event.clone()).await)
            .await)
        .map_err(from_diesel)
    }

    async fn list(&self, query: &AuditQuery) -> Result<AuditPage, RepoError> {
        let mut db = self.db.get().await?;
        let limit = i64::from(query.limit.max(1));
        let mut rows: Vec<AuditRow> = on!(db.conn(), |c| filtered!(query)
            .order_by(audit_logs::position.desc())
            .limit(limit + 1)
            .select(AuditRow::as_select())
            .load(c)
            .await)
        .map_err(from_diesel)?;
        let more = rows.len() as i64 > limit;
        rows.truncate(query.limit.max(1) as usize);
        let next = match more {
            true => rows.last().map(|row| row.position),
            false => None,
        };
        Ok(AuditPage {
            entries: rows.into_iter().map(AuditRow::into_entry).collect(),
            next,
        })
    }

    async fn heads(&self, tenant: Option<Option<Uuid>>) -> Result<Vec<ChainHead>, RepoError> {
        let mut db = self.db.get().await?;
        let rows: Vec<(Option<DbUuid>, i64, String)> = on!(db.conn(), |c| {
            let mut heads = audit_chains::table.into_boxed();
            if let Some(tenant) = tenant {
                heads = heads.filter(audit_chains::chain.eq(chain_key(tenant)));
            }
            heads
                .order_by(audit_chains::chain.asc())
                .select((
                    audit_chains::tenant_id,
                    audit_chains::last_seq,
                    audit_chains::last_hash,
                ))
                .load(c)
                .await
        })
        .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|(tenant_id, last_seq, last_hash)| ChainHead {
                tenant_id: tenant_id.map(from_db),
                last_seq,
                last_hash,
            })
            .collect())
    }

    async fn chain(
        &self,
        tenant: Option<Uuid>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Entry>, RepoError> {
        let mut db = self.db.get().await?;
        let rows: Vec<AuditRow> = on!(db.conn(), |c| {
            let rows = audit_logs::table.into_boxed();
            let rows = match tenant {
                Some(tenant) => rows.filter(audit_logs::tenant_id.eq(uid(tenant))),
                None => rows.filter(audit_logs::tenant_id.is_null()),
            };
            rows.filter(audit_logs::seq.gt(after))
                .order_by(audit_logs::seq.asc())
                .limit(i64::from(limit.max(1)))
                .select(AuditRow::as_select())
                .load(c)
                .await
        })
        .map_err(from_diesel)?;
        Ok(rows.into_iter().map(AuditRow::into_entry).collect())
    }
}
