//! [`CredentialRepository`] over SQL, shared by the PostgreSQL and SQLite adapters. The
//! secret columns (`wrapped_key`, `nonce`, `ciphertext`) are read only by
//! [`CredentialRepository::sealed`] and the rotation's queries.

use crate::audit::audited;
use crate::backend::{change_on, on, Change, Db};
use crate::error::from_diesel;
use crate::listing::{count_and_page, like_pattern, lower};
use crate::schema::credentials;
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::credential::Credential;
use castellan_ports::{
    CredentialRepository, ListQuery, Page, RepoError, SealedSecret, StaleKey, WrappedKey,
};
use chrono::DateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

type CredentialColumns = (
    DbUuid,
    DbUuid,
    DbUuid,
    String,
    String,
    String,
    i32,
    DbTime,
    DbTime,
    Option<DbTime>,
);

/// The columns of a credential (never its secret), in [`CredentialColumns`] order.
macro_rules! credential_columns {
    () => {
        (
            credentials::id,
            credentials::tenant_id,
            credentials::owner_id,
            credentials::name,
            credentials::provider,
            credentials::metadata,
            credentials::key_version,
            credentials::created_at,
            credentials::updated_at,
            credentials::rotated_at,
        )
    };
}

/// The narrowing of a list query: tenant, owner and search, when given.
macro_rules! listed {
    ($query:expr) => {{
        let query: &ListQuery = $query;
        let mut rows = credentials::table.into_boxed();
        if let Some(tenant) = query.tenant_id {
            rows = rows.filter(credentials::tenant_id.eq(uid(tenant)));
        }
        if let Some(owner) = query.owner_id {
            rows = rows.filter(credentials::owner_id.eq(uid(owner)));
        }
        if let Some(search) = query.search.as_deref() {
            let pattern = like_pattern(search);
            rows = rows.filter(
                lower(credentials::name)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(credentials::provider).like(pattern).escape('\\')),
            );
        }
        rows
    }};
}

fn credential(
    (
        id,
        tenant_id,
        owner_id,
        name,
        provider,
        metadata,
        key_version,
        created_at,
        updated_at,
        rotated_at,
    ): CredentialColumns,
) -> Credential {
    Credential {
        id: from_db(id),
        tenant_id: from_db(tenant_id),
        owner_id: from_db(owner_id),
        name,
        provider,
        // Stored from a validated object; anything else reads as empty rather than failing.
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        key_version: u32::try_from(key_version).unwrap_or_default(),
        created_at: created_at.0,
        updated_at: updated_at.0,
        rotated_at: rotated_at.map(DateTime::from),
    }
}

fn version(v: u32) -> Result<i32, RepoError> {
    i32::try_from(v).map_err(|_| RepoError::Other(format!("KEK version {v} out of range")))
}

fn metadata_text(c: &Credential) -> String {
    serde_json::Value::Object(c.metadata.clone()).to_string()
}

/// Credentials in the `credentials` table.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    db: Db,
}

impl CredentialStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CredentialRepository for CredentialStore {
    async fn insert(
        &self,
        credential: &Credential,
        secret: &SealedSecret,
        audit: &Event,
    ) -> Result<(), RepoError> {
        let (c, s) = (credential.clone(), secret.clone());
        let key_version = version(s.key.kek_version)?;
        let metadata = metadata_text(&c);
        let change: Change<()> = change_on!(|conn| {
            diesel::insert_into(credentials::table)
                .values((
                    credentials::id.eq(uid(c.id)),
                    credentials::tenant_id.eq(uid(c.tenant_id)),
                    credentials::owner_id.eq(uid(c.owner_id)),
                    credentials::name.eq(c.name),
                    credentials::provider.eq(c.provider),
                    credentials::metadata.eq(metadata),
                    credentials::key_version.eq(key_version),
                    credentials::wrapped_key.eq(s.key.wrapped),
                    credentials::nonce.eq(s.nonce),
                    credentials::ciphertext.eq(s.ciphertext),
                    credentials::created_at.eq(at(c.created_at)),
                    credentials::updated_at.eq(at(c.updated_at)),
                    credentials::rotated_at.eq(c.rotated_at.map(at)),
                ))
                .execute(conn)
                .await
                .map(|_| ())
        });
        audited(&self.db, audit, change).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page<Credential>, RepoError> {
        let mut db = self.db.get().await?;
        let (items, total): (Vec<CredentialColumns>, u64) = on!(db.conn(), |c| {
            let rows = listed!(query)
                .order((credentials::created_at.desc(), credentials::id.desc()))
                .select(credential_columns!());
            count_and_page!(c, query, listed!(query), rows)
        });
        Ok(Page {
            items: items.into_iter().map(credential).collect(),
            total,
        })
    }

    async fn get(&self, id: Uuid) -> Result<Option<Credential>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| credentials::table
            .select(credential_columns!())
            .filter(credentials::id.eq(uid(id)))
            .first::<CredentialColumns>(c)
            .await)
        .optional()
        .map(|row| row.map(credential))
        .map_err(from_diesel)
    }

    async fn sealed(&self, id: Uuid) -> Result<Option<(Credential, SealedSecret)>, RepoError> {
        let mut db = self.db.get().await?;
        type Secret = (Vec<u8>, Vec<u8>, Vec<u8>);
        let row: Option<(CredentialColumns, Secret)> = on!(db.conn(), |c| credentials::table
            .filter(credentials::id.eq(uid(id)))
            .select((
                credential_columns!(),
                (
                    credentials::wrapped_key,
                    credentials::nonce,
                    credentials::ciphertext,
                ),
            ))
            .first(c)
            .await)
        .optional()
        .map_err(from_diesel)?;
        Ok(row.map(|(columns, (wrapped, nonce, ciphertext))| {
            let credential = credential(columns);
            let key = WrappedKey {
                kek_version: credential.key_version,
                wrapped,
            };
            (
                credential,
                SealedSecret {
                    key,
                    nonce,
                    ciphertext,
                },
            )
        }))
    }

    async fn update(&self, credential: &Credential, audit: &Event) -> Result<bool, RepoError> {
        let c = credential.clone();
        let metadata = metadata_text(&c);
        let change: Change<bool> = change_on!(|conn| {
            diesel::update(credentials::table.find(uid(c.id)))
                .set((
                    credentials::name.eq(c.name),
                    credentials::provider.eq(c.provider),
                    credentials::metadata.eq(metadata),
                    credentials::updated_at.eq(at(c.updated_at)),
                ))
                .execute(conn)
                .await
                .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }

    async fn replace_secret(
        &self,
        credential: &Credential,
        secret: &SealedSecret,
        audit: &Event,
    ) -> Result<bool, RepoError> {
        let (c, s) = (credential.clone(), secret.clone());
        let key_version = version(s.key.kek_version)?;
        let change: Change<bool> = change_on!(|conn| {
            diesel::update(credentials::table.find(uid(c.id)))
                .set((
                    credentials::key_version.eq(key_version),
                    credentials::wrapped_key.eq(s.key.wrapped),
                    credentials::nonce.eq(s.nonce),
                    credentials::ciphertext.eq(s.ciphertext),
                    credentials::updated_at.eq(at(c.updated_at)),
                    credentials::rotated_at.eq(c.rotated_at.map(at)),
                ))
                .execute(conn)
                .await
                .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }

    async fn delete(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError> {
        let change: Change<bool> = change_on!(|conn| {
            diesel::delete(credentials::table.find(uid(id)))
                .execute(conn)
                .await
                .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }

    async fn stale_keys(
        &self,
        below: u32,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<StaleKey>, RepoError> {
        let below = version(below)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut db = self.db.get().await?;
        let rows: Vec<(DbUuid, i32, Vec<u8>)> = on!(db.conn(), |c| {
            let mut rows = credentials::table
                .filter(credentials::key_version.lt(below))
                .into_boxed();
            if let Some(after) = after {
                rows = rows.filter(credentials::id.gt(uid(after)));
            }
            rows.order(credentials::id)
                .limit(limit)
                .select((
                    credentials::id,
                    credentials::key_version,
                    credentials::wrapped_key,
                ))
                .load(c)
                .await
        })
        .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|(id, v, wrapped)| StaleKey {
                id: from_db(id),
                key: WrappedKey {
                    kek_version: u32::try_from(v).unwrap_or_default(),
                    wrapped,
                },
            })
            .collect())
    }

    async fn rewrap(&self, stale: &StaleKey, key: &WrappedKey) -> Result<bool, RepoError> {
        let (from, to) = (version(stale.key.kek_version)?, version(key.kek_version)?);
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| diesel::update(
            credentials::table
                .find(uid(stale.id))
                .filter(credentials::key_version.eq(from))
                .filter(credentials::wrapped_key.eq(&stale.key.wrapped))
        )
        .set((
            credentials::key_version.eq(to),
            credentials::wrapped_key.eq(&key.wrapped),
        ))
        .execute(c)
        .await)
        .map(|n| n > 0)
        .map_err(from_diesel)
    }

    async fn count_stale(&self, below: u32) -> Result<u64, RepoError> {
        let below = version(below)?;
        let mut db = self.db.get().await?;
        let n: i64 = on!(db.conn(), |c| credentials::table
            .filter(credentials::key_version.lt(below))
            .count()
            .get_result(c)
            .await)
        .map_err(from_diesel)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
