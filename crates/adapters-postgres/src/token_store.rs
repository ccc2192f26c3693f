//! [`TokenStore`] on PostgreSQL, for deployments without Redis. Access-token ids and session
//! ids are both UUIDs (v7), so one table holds both kinds of revocation.

use crate::schema::revocations;
use crate::PgPool;
use async_trait::async_trait;
use castellan_domain::SessionId;
use castellan_ports::{RepoError, StoreError, TokenStore};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// Revocations in the `revocations` table.
#[derive(Debug, Clone)]
pub struct PgTokenStore {
    pool: PgPool,
}

impl PgTokenStore {
    /// A store over `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn revoke(&self, ids: Vec<Uuid>, ttl_secs: u64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let ttl = i64::try_from(ttl_secs.max(1)).unwrap_or(i64::MAX / 2);
        let expires_at = now + Duration::seconds(ttl);
        let rows: Vec<_> = ids
            .into_iter()
            .map(|id| {
                (
                    revocations::id.eq(id),
                    revocations::expires_at.eq(expires_at),
                )
            })
            .collect();
        let mut conn = self.pool.get().await.map_err(unavailable)?;
        diesel::insert_into(revocations::table)
            .values(&rows)
            .on_conflict(revocations::id)
            .do_update()
            .set(revocations::expires_at.eq(excluded(revocations::expires_at)))
            .execute(&mut conn)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        // Expired entries are useless: sweep them as revocations come in (indexed).
        diesel::delete(revocations::table.filter(revocations::expires_at.le(now)))
            .execute(&mut conn)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(())
    }
}

fn unavailable(err: RepoError) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

#[async_trait]
impl TokenStore for PgTokenStore {
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
        let mut conn = self.pool.get().await.map_err(unavailable)?;
        diesel::select(diesel::dsl::exists(
            revocations::table
                .filter(revocations::id.eq_any([jti, sid.0]))
                .filter(revocations::expires_at.gt(Utc::now())),
        ))
        .get_result(&mut conn)
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.get().await.map_err(unavailable)?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}
