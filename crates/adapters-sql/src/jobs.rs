//! [`JobLeases`] and [`Housekeeping`] over SQL, shared by the PostgreSQL and SQLite adapters.

use crate::backend::{on, Db};
use crate::error::from_diesel;
use crate::schema::{invitations, job_runs, revocations, sessions};
use crate::sql_types::at;
use async_trait::async_trait;
use castellan_ports::{Housekeeping, JobLeases, RepoError};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The `job_runs` leases and the housekeeping of sessions, revocations and invitations.
#[derive(Debug, Clone)]
pub struct JobStore {
    db: Db,
}

impl JobStore {
    /// A store over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl JobLeases for JobStore {
    async fn claim(
        &self,
        job: &str,
        period_secs: u64,
        now: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let period = Duration::seconds(i64::try_from(period_secs).unwrap_or(i64::MAX / 1000));
        let cutoff = now - period;
        let mut db = self.db.get().await?;
        let claimed = on!(db.conn(), |c| {
            diesel::insert_into(job_runs::table)
                .values((
                    job_runs::name.eq(job),
                    job_runs::started_at.eq(at(DateTime::<Utc>::UNIX_EPOCH)),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await
                .map_err(from_diesel)?;
            // One conditional UPDATE: of replicas racing for the period, one wins.
            diesel::update(
                job_runs::table
                    .find(job)
                    .filter(job_runs::started_at.le(at(cutoff))),
            )
            .set(job_runs::started_at.eq(at(now)))
            .execute(c)
            .await
            .map_err(from_diesel)?
        });
        Ok(claimed == 1)
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[async_trait]
impl Housekeeping for JobStore {
    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| diesel::delete(
            sessions::table.filter(sessions::expires_at.lt(at(now)))
        )
        .execute(c)
        .await)
        .map(count)
        .map_err(from_diesel)
    }

    async fn purge_revocations(&self, now: DateTime<Utc>) -> Result<u64, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| diesel::delete(
            revocations::table.filter(revocations::expires_at.lt(at(now)))
        )
        .execute(c)
        .await)
        .map(count)
        .map_err(from_diesel)
    }

    async fn purge_invitations(&self, before: DateTime<Utc>) -> Result<u64, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| diesel::delete(
            invitations::table
                .filter(invitations::accepted_at.is_null())
                .filter(invitations::expires_at.lt(at(before)))
        )
        .execute(c)
        .await)
        .map(count)
        .map_err(from_diesel)
    }
}
