//! [`TenantFigures`] over SQL: counts only, each one query served by an index, written once
//! for both backends.

use crate::backend::{on, Db};
use crate::error::from_diesel;
use crate::schema::{audit_logs, sessions, users};
use crate::sql_types::{at, uid};
use async_trait::async_trait;
use castellan_ports::{RepoError, SecurityCounts, TenantFigures, UserCounts};
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// The dashboard's aggregates.
#[derive(Debug, Clone)]
pub struct FigureStore {
    db: Db,
}

impl FigureStore {
    /// Figures over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn count(rows: i64) -> u64 {
    u64::try_from(rows).unwrap_or(0)
}

#[async_trait]
impl TenantFigures for FigureStore {
    async fn users(&self, tenant: Uuid) -> Result<UserCounts, RepoError> {
        let mut db = self.db.get().await?;
        let rows: Vec<(bool, i64)> = on!(db.conn(), |c| users::table
            .filter(users::tenant_id.eq(uid(tenant)))
            .group_by(users::is_active)
            .select((users::is_active, count_star()))
            .load(c)
            .await)
        .map_err(from_diesel)?;
        let active = rows
            .iter()
            .filter(|(a, _)| *a)
            .map(|(_, n)| count(*n))
            .sum();
        let total = rows.iter().map(|(_, n)| count(*n)).sum();
        Ok(UserCounts { total, active })
    }

    async fn active_sessions(&self, tenant: Uuid, now: DateTime<Utc>) -> Result<u64, RepoError> {
        let mut db = self.db.get().await?;
        let active: i64 = on!(db.conn(), |c| sessions::table
            .filter(sessions::tenant_id.eq(uid(tenant)))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(at(now)))
            .select(count_star())
            .get_result(c)
            .await)
        .map_err(from_diesel)?;
        Ok(count(active))
    }

    async fn security_events(
        &self,
        tenant: Uuid,
        since: DateTime<Utc>,
    ) -> Result<SecurityCounts, RepoError> {
        let mut db = self.db.get().await?;
        let rows: Vec<(String, String, i64)> = on!(db.conn(), |c| audit_logs::table
            .filter(audit_logs::tenant_id.eq(uid(tenant)))
            .filter(audit_logs::occurred_at.ge(at(since)))
            .filter(
                audit_logs::action
                    .eq("auth.login")
                    .or(audit_logs::outcome.eq("denied")),
            )
            .group_by((audit_logs::action, audit_logs::outcome))
            .select((audit_logs::action, audit_logs::outcome, count_star()))
            .load(c)
            .await)
        .map_err(from_diesel)?;
        let mut counts = SecurityCounts::default();
        for (action, outcome, n) in rows {
            match (action.as_str(), outcome.as_str()) {
                ("auth.login", "success") => counts.login_success += count(n),
                ("auth.login", "failure") => counts.login_failure += count(n),
                _ => {}
            }
            if outcome == "denied" {
                counts.denials += count(n);
            }
        }
        Ok(counts)
    }
}
