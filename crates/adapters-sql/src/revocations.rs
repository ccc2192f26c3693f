//! [`TokenStore`] over SQL, for deployments without Redis. Access-token ids and session ids
//! are both UUIDs (v7), so one table holds both kinds of revocation.

use crate::backend::{on, Db};
use crate::schema::revocations;
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid};
use async_trait::async_trait;
use castellan_domain::SessionId;
use castellan_ports::{RepoError, StoreError, TokenStore};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// Revocations in the `revocations` table.
#[derive(Debug, Clone)]
pub struct RevocationStore {
    db: Db,
}

fn unavailable(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

impl RevocationStore {
    /// A store over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn revoke(&self, ids: Vec<Uuid>, ttl_secs: u64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let ttl = i64::try_from(ttl_secs.max(1)).unwrap_or(i64::MAX / 2);
        let expires_at = now + Duration::seconds(ttl);
        let mut db = self.db.get().await.map_err(|e: RepoError| unavailable(e))?;
        on!(db.conn(), |c| {
            for id in ids {
                diesel::insert_into(revocations::table)
                    .values((
                        revocations::id.eq(uid(id)),
                        revocations::expires_at.eq(at(expires_at)),
                    ))
                    .on_conflict(revocations::id)
                    .do_update()
                    .set(revocations::expires_at.eq(excluded(revocations::expires_at)))
                    .execute(c)
                    .await
                    .map_err(unavailable)?;
            }
            // Expired entries are useless: sweep them as revocations come in (indexed).
            diesel::delete(revocations::table.filter(revocations::expires_at.le(at(now))))
                .execute(c)
                .await
                .map_err(unavailable)?;
        });
        Ok(())
    }

    /// Every revocation still in force at `now`, with its expiry (to warm a cache).
    pub async fn active(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
        let mut db = self.db.get().await.map_err(|e: RepoError| unavailable(e))?;
        let rows: Vec<(DbUuid, DbTime)> = on!(db.conn(), |c| revocations::table
            .filter(revocations::expires_at.gt(at(now)))
            .select((revocations::id, revocations::expires_at))
            .load(c)
            .await)
        .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|(id, until)| (from_db(id), until.0))
            .collect())
    }
}

#[async_trait]
impl TokenStore for RevocationStore {
    async fn revoke_access(&self, jti: Uuid, ttl_secs: u64) -> Result<(), StoreError> {
        self.revoke(vec![jti], ttl_secs).await
    }

    async fn revoke_sessions(
        &self,
        sessions: &[SessionId],
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        self.revoke(sessions.iter().map(|s| s.0).collect(), ttl_secs)
            .await
    }

    async fn is_revoked(&self, jti: Uuid, sid: SessionId) -> Result<bool, StoreError> {
        let mut db = self.db.get().await.map_err(|e: RepoError| unavailable(e))?;
        on!(db.conn(), |c| diesel::select(diesel::dsl::exists(
            revocations::table
                .filter(revocations::id.eq_any([uid(jti), uid(sid.0)]))
                .filter(revocations::expires_at.gt(at(Utc::now()))),
        ))
        .get_result(c)
        .await)
        .map_err(unavailable)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut db = self.db.get().await.map_err(|e: RepoError| unavailable(e))?;
        on!(db.conn(), |c| diesel::sql_query("SELECT 1")
            .execute(c)
            .await)
        .map(|_| ())
        .map_err(unavailable)
    }
}
