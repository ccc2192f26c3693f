//! The audit trail over SQL, shared by the PostgreSQL and SQLite adapters: [`AuditStore`]
//! (the [`AuditLog`] port) and [`audited`], which every audited write of the other stores
//! goes through so that a change and its entry commit together or not at all.
//!
//! Appending serializes per chain on the chain's row in `audit_chains` (locked on
//! PostgreSQL by the append's upsert of that row; on SQLite its upsert takes the write
//! lock), so concurrent writers queue instead of forking the chain; the unique (chain, seq)
//! index is the backstop.
//! The head row is always the last row a transaction locks, so it cannot deadlock. On
//! PostgreSQL the entry and the transaction's `COMMIT` go out together, so the head is
//! held for no round trip at all.

use crate::backend::{on, AnyConn, Change, Db, PgConn, Pooled, SqliteConn};
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
use diesel::connection::{TransactionDepthChange, TransactionManagerStatus};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{
    AnsiTransactionManager, AsyncConnection, RunQueryDsl, SimpleAsyncConnection, TransactionManager,
};
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
    match db.for_transaction().await? {
        Pooled::Postgres(mut c) => committed_with_entry(&mut c, change, record).await,
        Pooled::Sqlite { conn, _turn } => {
            on_blocking_thread(move || {
                // The turn to write is given back after the connection (in reverse order).
                let _turn = _turn;
                let mut conn = conn;
                futures::executor::block_on(committed_here(&mut conn, change, record))
            })
            .await?
        }
    }
    .map_err(from_diesel)
}

/// SQLite: `change` and its entry (if any) in one transaction, run in process.
async fn committed_here<T, R>(c: &mut SqliteConn, change: Change<T>, record: R) -> QueryResult<T>
where
    T: Send + 'static,
    R: FnOnce(&T) -> Option<Event> + Send,
{
    c.transaction(async move |tx| {
        let out = change(AnyConn::from(&mut *tx)).await?;
        if let Some(event) = record(&out) {
            append_sealed_here(tx, event).await?;
        }
        Ok::<_, diesel::result::Error>(out)
    })
    .await
}

/// PostgreSQL: `change` in a transaction that costs no round trip of its own. Its `BEGIN`
/// goes out with the change's first statement, and its entry (if any) with the `COMMIT`,
/// so the chain's head, locked by the entry's statement, is released without waiting for
/// a round trip to Castellan in between. The entry's statement is prepared on every
/// connection when it opens ([`prove_sealing`]), so it goes out at once, ahead of the
/// `COMMIT`. Should it fail, PostgreSQL answers that `COMMIT` by rolling back.
async fn committed_with_entry<T, R>(c: &mut PgConn, change: Change<T>, record: R) -> QueryResult<T>
where
    T: Send + 'static,
    R: FnOnce(&T) -> Option<Event> + Send,
{
    let (begun, changed) = {
        let shared: &PgConn = c;
        let mut begin_lane = shared;
        // Polled first, the `BEGIN` is sent first: the change's statements queue behind it.
        futures::join!(
            begin_lane.batch_execute("BEGIN"),
            change(AnyConn::Postgres(shared))
        )
    };
    // `BEGIN` fails only with its connection, and then so did every statement behind it.
    begun?;
    // Top level only (a nested one would be a savepoint, which a `COMMIT` would not end).
    transaction_depth(c, TransactionDepthChange::IncreaseDepth);
    let out = match changed {
        Ok(out) => out,
        Err(err) => {
            return match AnsiTransactionManager::rollback_transaction(c).await {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(err),
                Err(rollback) => Err(rollback),
            };
        }
    };
    let Some(event) = record(&out) else {
        AnsiTransactionManager::commit_transaction(c).await?;
        return Ok(out);
    };
    let (sealed, committed) = {
        let shared: &PgConn = c;
        let (mut entry_lane, mut commit_lane) = (shared, shared);
        futures::join!(
            append_sealed_by_postgres(&mut entry_lane, event),
            commit_lane.batch_execute("COMMIT")
        )
    };
    // Committed, or rolled back after a failed statement: over either way.
    transaction_depth(c, TransactionDepthChange::DecreaseDepth);
    sealed?;
    committed?;
    Ok(out)
}

/// Records in diesel's transaction manager a `BEGIN` or `COMMIT` sent around it (pipelined).
fn transaction_depth(c: &mut PgConn, change: TransactionDepthChange) {
    if let TransactionManagerStatus::Valid(status) =
        AnsiTransactionManager::transaction_manager_status_mut(c)
    {
        // Fails only on a decrease with no transaction open, which is what it would record.
        status.change_transaction_depth(change).ok();
    }
}

/// The `audit_chains` key of a tenant's chain (the nil UUID for entries without a tenant).
fn chain_key(tenant: Option<Uuid>) -> DbUuid {
    uid(tenant.unwrap_or(Uuid::nil()))
}

/// The entry's insert, its `seq`, `prev_hash` and `hash` from the upsert of its chain's
/// head, which locks the head (creating it, after `$18`, the genesis hash, for a chain's
/// first entry), numbers and hashes the entry and moves the head. The application renders
/// the entry's canonical JSON around its seq (`$16`, `$17`: `Event::open_canonical`), so
/// the hash is the one it computes: SHA-256(prev_hash || before_seq || seq || after_seq),
/// lowercase hex. The head keeps the hash it replaced, which `RETURNING` can then give.
/// A chain's first hash is the database's too (not bound from here), so the probe of
/// [`prove_sealing`] tests the database's hashing even when its chain has no head yet.
const APPEND_SEALED: &str = "\
    WITH head AS ( \
        INSERT INTO audit_chains AS c (chain, tenant_id, last_seq, prev_hash, last_hash) \
        VALUES ($15, $2, 1, $18, \
            encode(sha256(convert_to($18 || $16 || '1' || $17, 'UTF8')), 'hex')) \
        ON CONFLICT (chain) DO UPDATE SET \
            last_seq = c.last_seq + 1, \
            prev_hash = c.last_hash, \
            last_hash = encode(sha256(convert_to( \
                c.last_hash || $16 || (c.last_seq + 1)::text || $17, 'UTF8')), 'hex') \
        RETURNING last_seq, prev_hash, last_hash) \
    INSERT INTO audit_logs (id, tenant_id, occurred_at, actor_type, actor_id, action, \
        target_type, target_id, outcome, request_id, ip, user_agent, changes, metadata, \
        seq, prev_hash, hash) \
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
        head.last_seq, head.prev_hash, head.last_hash \
    FROM head \
    RETURNING seq, prev_hash, hash";

/// PostgreSQL seals the entry in the statement that appends it ([`APPEND_SEALED`]): one
/// statement under the chain's lock, where sealing here takes a round trip more. The
/// returned hash is checked against the one computed here: every connection proves, as it
/// opens, that the two agree ([`prove_sealing`]), so a difference is logged as an error
/// (the entry may be committed by then; `castellan audit verify` reports it too).
async fn append_sealed_by_postgres(c: &mut &PgConn, event: Event) -> QueryResult<Entry> {
    let (entry, agreed) = seal_by_postgres(c, event).await?;
    if !agreed {
        tracing::error!(
            seq = entry.seq,
            tenant_id = ?entry.event.tenant_id,
            "the database sealed an audit entry differently from Castellan"
        );
    }
    Ok(entry)
}

/// Appends `event` with [`APPEND_SEALED`]: the entry as the database sealed it and whether
/// Castellan computes the same hash.
async fn seal_by_postgres(c: &mut &PgConn, event: Event) -> QueryResult<(Entry, bool)> {
    use diesel::sql_types::{Nullable, Text};
    let open = event.open_canonical();
    let row = EventColumns::from(&event);
    let sealed: Sealed = Cached(
        diesel::sql_query(APPEND_SEALED)
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
            .bind::<Text, _>(open.after_seq.as_str())
            .bind::<Text, _>(GENESIS_HASH),
    )
    .get_result(c)
    .await?;
    let agreed = open.hash(sealed.seq, &sealed.prev_hash) == sealed.hash;
    let entry = Entry {
        event,
        seq: sealed.seq,
        prev_hash: sealed.prev_hash,
        hash: sealed.hash,
    };
    Ok((entry, agreed))
}

/// Run on every PostgreSQL connection as it opens: appends a probe entry (its text not all
/// ASCII) to the system chain in a transaction that is rolled back, and fails unless the
/// database sealed it as Castellan does. This also prepares [`APPEND_SEALED`] on the
/// connection, which [`committed_with_entry`] relies on.
pub(crate) async fn prove_sealing(c: &mut PgConn) -> QueryResult<()> {
    let probe = Event::new(
        "castellan.sealing_probe",
        Actor::anonymous(),
        None,
        chrono::Utc::now(),
    )
    .meta("probe", "Prüfung · проверка · 検証");
    c.batch_execute("BEGIN; SELECT set_config('app.tenant_id', '*', true)")
        .await?;
    let sealed = {
        let mut shared: &PgConn = c;
        seal_by_postgres(&mut shared, probe).await
    };
    c.batch_execute("ROLLBACK").await?;
    match sealed? {
        (_, true) => Ok(()),
        (_, false) => Err(diesel::result::Error::DeserializationError(
            "the database seals audit entries differently from Castellan".into(),
        )),
    }
}

/// What [`seal_by_postgres`] gets back.
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
        let event = event.clone();
        match db.conn() {
            // One statement: its own transaction.
            AnyConn::Postgres(mut c) => append_sealed_by_postgres(&mut c, event).await,
            AnyConn::Sqlite(c) => {
                c.transaction(async move |tx| append_sealed_here(tx, event).await)
                    .await
            }
        }
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
