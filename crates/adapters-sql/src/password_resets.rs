//! [`PasswordResetRepository`] over SQL, shared by the PostgreSQL and SQLite adapters.

use crate::audit::{audited, audited_with};
use crate::backend::{change_on, on, Change, Db};
use crate::error::from_diesel;
use crate::schema::{password_resets, users};
use crate::sql_types::{at, from_db, uid, DbUuid};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::UserId;
use castellan_ports::{PasswordResetRepository, RepoError, ResetTicket};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// Password-reset tokens in the `password_resets` table.
#[derive(Debug, Clone)]
pub struct PasswordResetStore {
    db: Db,
}

impl PasswordResetStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PasswordResetRepository for PasswordResetStore {
    async fn issue(
        &self,
        user: UserId,
        tenant_id: Uuid,
        token_hash: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let token_hash = token_hash.to_vec();
        let change: Change<()> = change_on!(|conn| {
            // A newer request voids every older token of the user.
            diesel::update(
                password_resets::table
                    .filter(password_resets::user_id.eq(uid(user.0)))
                    .filter(password_resets::spent_at.is_null()),
            )
            .set(password_resets::spent_at.eq(at(now)))
            .execute(conn)
            .await?;
            diesel::insert_into(password_resets::table)
                .values((
                    password_resets::id.eq(uid(Uuid::now_v7())),
                    password_resets::tenant_id.eq(uid(tenant_id)),
                    password_resets::user_id.eq(uid(user.0)),
                    password_resets::token_hash.eq(token_hash),
                    password_resets::created_at.eq(at(now)),
                    password_resets::expires_at.eq(at(expires_at)),
                ))
                .execute(conn)
                .await
                .map(|_| ())
        });
        audited_with(&self.db, change, |_| None).await
    }

    async fn find_valid(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ResetTicket>, RepoError> {
        let mut db = self.db.get().await?;
        let row: Option<(DbUuid, DbUuid)> = on!(db.conn(), |c| password_resets::table
            .filter(password_resets::token_hash.eq(token_hash))
            .filter(password_resets::spent_at.is_null())
            .filter(password_resets::expires_at.gt(at(now)))
            .select((password_resets::id, password_resets::user_id))
            .first(c)
            .await)
        .optional()
        .map_err(from_diesel)?;
        Ok(row.map(|(id, user)| ResetTicket {
            id: from_db(id),
            user_id: UserId(from_db(user)),
        }))
    }

    async fn redeem(
        &self,
        ticket: ResetTicket,
        password_hash: &str,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<Option<i32>, RepoError> {
        let hash = password_hash.to_string();
        let change: Change<Option<i32>> = change_on!(|conn| {
            // Spending the token is one conditional UPDATE: it can be used once.
            let spent = diesel::update(
                password_resets::table
                    .find(uid(ticket.id))
                    .filter(password_resets::spent_at.is_null())
                    .filter(password_resets::expires_at.gt(at(now))),
            )
            .set(password_resets::spent_at.eq(at(now)))
            .execute(conn)
            .await?;
            if spent == 0 {
                return Ok(None);
            }
            diesel::update(users::table.find(uid(ticket.user_id.0)))
                .set((
                    users::token_version.eq(users::token_version + 1),
                    users::updated_at.eq(at(now)),
                    users::password_hash.eq(hash),
                ))
                .returning(users::token_version)
                .get_result(conn)
                .await
                .map(Some)
        });
        audited(&self.db, audit, change).await
    }
}
