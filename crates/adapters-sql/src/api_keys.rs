//! [`ApiKeyRepository`] over SQL, shared by the PostgreSQL and SQLite adapters.

use crate::audit::audited;
use crate::backend::{change_on, on, Change, Db};
use crate::error::from_diesel;
use crate::listing::count_and_page;
use crate::schema::api_keys;
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid};
use async_trait::async_trait;
use castellan_domain::api_key::{ApiKey, KeyScopes};
use castellan_domain::audit::Event;
use castellan_ports::{ApiKeyRepository, ListQuery, Page, RepoError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

type KeyColumns = (
    DbUuid,
    DbUuid,
    DbUuid,
    String,
    String,
    String,
    DbTime,
    Option<DbTime>,
    Option<DbTime>,
);

/// The columns of a key (never its secret's hash), in [`KeyColumns`] order.
macro_rules! key_columns {
    () => {
        (
            api_keys::id,
            api_keys::tenant_id,
            api_keys::owner_id,
            api_keys::name,
            api_keys::prefix,
            api_keys::scopes,
            api_keys::created_at,
            api_keys::expires_at,
            api_keys::last_used_at,
        )
    };
}

/// The narrowing of a list query: the tenant and the owner, when given.
macro_rules! listed {
    ($query:expr) => {{
        let mut rows = api_keys::table.into_boxed();
        if let Some(tenant) = $query.tenant_id {
            rows = rows.filter(api_keys::tenant_id.eq(uid(tenant)));
        }
        if let Some(owner) = $query.owner_id {
            rows = rows.filter(api_keys::owner_id.eq(uid(owner)));
        }
        rows
    }};
}

fn api_key(
    (id, tenant_id, owner_id, name, prefix, scopes, created_at, expires_at, last_used_at): KeyColumns,
) -> ApiKey {
    ApiKey {
        id: from_db(id),
        tenant_id: from_db(tenant_id),
        owner_id: from_db(owner_id),
        name,
        prefix,
        // Scopes were valid when stored; a row that no longer parses grants nothing.
        scopes: KeyScopes::parse(scopes.split_whitespace()).unwrap_or_default(),
        created_at: created_at.0,
        expires_at: expires_at.map(DateTime::from),
        last_used_at: last_used_at.map(DateTime::from),
    }
}

/// API keys in the `api_keys` table.
#[derive(Debug, Clone)]
pub struct ApiKeyStore {
    db: Db,
}

impl ApiKeyStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ApiKeyRepository for ApiKeyStore {
    async fn insert(
        &self,
        key: &ApiKey,
        secret_hash: &[u8],
        audit: &Event,
    ) -> Result<(), RepoError> {
        let (k, secret_hash) = (key.clone(), secret_hash.to_vec());
        let change: Change<()> = change_on!(|conn| {
            diesel::insert_into(api_keys::table)
                .values((
                    api_keys::id.eq(uid(k.id)),
                    api_keys::tenant_id.eq(uid(k.tenant_id)),
                    api_keys::owner_id.eq(uid(k.owner_id)),
                    api_keys::name.eq(k.name),
                    api_keys::prefix.eq(k.prefix),
                    api_keys::secret_hash.eq(secret_hash),
                    api_keys::scopes.eq(k.scopes.as_strings().join(" ")),
                    api_keys::created_at.eq(at(k.created_at)),
                    api_keys::expires_at.eq(k.expires_at.map(at)),
                ))
                .execute(conn)
                .await
                .map(|_| ())
        });
        audited(&self.db, audit, change).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page<ApiKey>, RepoError> {
        let mut db = self.db.get().await?;
        let (items, total): (Vec<KeyColumns>, u64) = on!(db.conn(), |c| {
            let rows = listed!(query)
                .order((api_keys::created_at.desc(), api_keys::id.desc()))
                .select(key_columns!());
            count_and_page!(c, query, listed!(query), rows)
        });
        Ok(Page {
            items: items.into_iter().map(api_key).collect(),
            total,
        })
    }

    async fn get(&self, id: Uuid) -> Result<Option<ApiKey>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| api_keys::table
            .select(key_columns!())
            .filter(api_keys::id.eq(uid(id)))
            .first::<KeyColumns>(c)
            .await)
        .optional()
        .map(|row| row.map(api_key))
        .map_err(from_diesel)
    }

    async fn by_prefix(&self, prefix: &str) -> Result<Option<(ApiKey, Vec<u8>)>, RepoError> {
        let mut db = self.db.get().await?;
        let row: Option<(KeyColumns, Vec<u8>)> = on!(db.conn(), |c| api_keys::table
            .filter(api_keys::prefix.eq(prefix))
            .select((key_columns!(), api_keys::secret_hash))
            .first(c)
            .await)
        .optional()
        .map_err(from_diesel)?;
        Ok(row.map(|(columns, hash)| (api_key(columns), hash)))
    }

    async fn delete(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError> {
        let change: Change<bool> = change_on!(|conn| {
            diesel::delete(api_keys::table.find(uid(id)))
                .execute(conn)
                .await
                .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }

    async fn touch(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| diesel::update(api_keys::table.find(uid(id)))
            .set(api_keys::last_used_at.eq(at(now)))
            .execute(c)
            .await)
        .map(|_| ())
        .map_err(from_diesel)
    }
}
