//! [`SessionRepository`] over SQL, shared by the PostgreSQL and SQLite adapters.

use crate::audit::{audited, audited_with};
use crate::backend::{change_on, on, Change, Db};
use crate::cached::Cached;
use crate::error::from_diesel;
use crate::pipeline::Pipeline;
use crate::schema::{refresh_tokens, sessions, users};
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid, Moment};
use crate::users::{user_with_roles, with_roles_query, UserRoleRow};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::{Session, SessionId, TenantId, UserId};
use castellan_ports::{
    NewSession, RecordRotation, RefreshOutcome, RepoError, Rotation, SessionRepository,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Binary;
use diesel_async::RunQueryDsl;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
struct SessionRow {
    id: DbUuid,
    user_id: DbUuid,
    tenant_id: DbUuid,
    created_at: DbTime,
    last_used_at: DbTime,
    expires_at: DbTime,
    revoked_at: Option<DbTime>,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Session {
            id: SessionId(from_db(row.id)),
            user_id: UserId(from_db(row.user_id)),
            tenant_id: TenantId(from_db(row.tenant_id)),
            created_at: row.created_at.0,
            last_used_at: row.last_used_at.0,
            expires_at: row.expires_at.0,
            revoked_at: row.revoked_at.map(DateTime::from),
            ip: row.ip,
            user_agent: row.user_agent,
        }
    }
}

impl From<&Session> for SessionRow {
    fn from(s: &Session) -> Self {
        SessionRow {
            id: uid(s.id.0),
            user_id: uid(s.user_id.0),
            tenant_id: uid(s.tenant_id.0),
            created_at: at(s.created_at),
            last_used_at: at(s.last_used_at),
            expires_at: at(s.expires_at),
            revoked_at: s.revoked_at.map(at),
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
        }
    }
}

/// Sessions in `sessions`, every refresh token they ever had in `refresh_tokens`.
#[derive(Debug, Clone)]
pub struct SessionStore {
    db: Db,
}

impl SessionStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SessionRepository for SessionStore {
    async fn create(&self, new: &NewSession, audit: Option<&Event>) -> Result<(), RepoError> {
        let row = SessionRow::from(&new.session);
        let hash = new.refresh_hash.clone();
        let change: Change<()> = change_on!(|conn| {
            Cached(diesel::insert_into(sessions::table).values(&row))
                .execute(conn)
                .await?;
            diesel::insert_into(refresh_tokens::table)
                .values((
                    refresh_tokens::token_hash.eq(hash),
                    refresh_tokens::session_id.eq(row.id),
                    refresh_tokens::created_at.eq(row.created_at),
                ))
                .execute(conn)
                .await?;
            Ok(())
        });
        let audit = audit.cloned();
        audited_with(&self.db, change, move |_| audit).await
    }

    async fn rotate(
        &self,
        presented: &[u8],
        new_hash: &[u8],
        now: DateTime<Utc>,
        audit: RecordRotation,
    ) -> Result<RefreshOutcome, RepoError> {
        let presented = presented.to_vec();
        let new_hash = new_hash.to_vec();
        let change: Change<RefreshOutcome> = change_on!(|conn| {
            // Spending the token is one conditional UPDATE: of two concurrent refreshes
            // only one can see `rotated_at IS NULL`, on either backend.
            let spent: Option<DbUuid> = Cached(
                diesel::update(
                    refresh_tokens::table
                        .find(&presented)
                        .filter(refresh_tokens::rotated_at.is_null()),
                )
                .set(refresh_tokens::rotated_at.eq(at(now)))
                .returning(refresh_tokens::session_id),
            )
            .get_result(conn)
            .await
            .optional()?;
            let session_id = match spent {
                Some(id) => id,
                None => {
                    let known: Option<DbUuid> = refresh_tokens::table
                        .find(&presented)
                        .select(refresh_tokens::session_id)
                        .first(conn)
                        .await
                        .optional()?;
                    let Some(id) = known else {
                        return Ok(RefreshOutcome::Invalid);
                    };
                    let session: Session = sessions::table
                        .find(id)
                        .select(SessionRow::as_select())
                        .first(conn)
                        .await?
                        .into();
                    return Ok(match session.is_active(now) {
                        true => RefreshOutcome::Reused(session),
                        false => RefreshOutcome::Invalid,
                    });
                }
            };
            // The session's last use, the new token (both only while the session is active:
            // `Session::is_active`, not revoked, not expired) and the session's user with
            // their roles, in one round trip.
            let active = move || {
                sessions::revoked_at
                    .is_null()
                    .and(sessions::expires_at.gt(at(now)))
            };
            let (touched, _, holder) = conn
                .pipeline3(
                    |c| {
                        Box::pin(async move {
                            Cached(
                                diesel::update(sessions::table.find(session_id).filter(active()))
                                    .set(sessions::last_used_at.eq(at(now)))
                                    .returning(SessionRow::as_returning()),
                            )
                            .get_result(c)
                            .await
                            .optional()
                        })
                    },
                    |c| {
                        Box::pin(async move {
                            let token = sessions::table.find(session_id).filter(active()).select((
                                new_hash.into_sql::<Binary>(),
                                sessions::id,
                                at(now).into_sql::<Moment>(),
                            ));
                            Cached(
                                diesel::insert_into(refresh_tokens::table)
                                    .values(token)
                                    .into_columns((
                                        refresh_tokens::token_hash,
                                        refresh_tokens::session_id,
                                        refresh_tokens::created_at,
                                    )),
                            )
                            .execute(c)
                            .await
                        })
                    },
                    |c| {
                        Box::pin(async move {
                            let holder = sessions::table.find(session_id).select(sessions::user_id);
                            Cached(with_roles_query!().filter(users::id.eq_any(holder)))
                                .load::<UserRoleRow>(c)
                                .await
                        })
                    },
                )
                .await?;
            Ok(match (touched, user_with_roles(holder)) {
                (Some(row), Some((user, roles))) => RefreshOutcome::Rotated(Box::new(Rotation {
                    session: row.into(),
                    user,
                    roles,
                })),
                _ => RefreshOutcome::Invalid,
            })
        });
        audited_with(&self.db, change, move |outcome| match outcome {
            RefreshOutcome::Rotated(rotation) => Some(audit(&rotation.session)),
            _ => None,
        })
        .await
    }

    async fn by_id(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| sessions::table
            .find(uid(id.0))
            .select(SessionRow::as_select())
            .first(c)
            .await)
        .optional()
        .map(|row| row.map(Session::from))
        .map_err(from_diesel)
    }

    async fn revoke(
        &self,
        id: SessionId,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<bool, RepoError> {
        let change: Change<bool> = change_on!(|conn| {
            diesel::update(
                sessions::table
                    .find(uid(id.0))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set(sessions::revoked_at.eq(at(now)))
            .execute(conn)
            .await
            .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }

    async fn revoke_all(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionId>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(uid(user_id.0)))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(at(now))),
        )
        .set(sessions::revoked_at.eq(at(now)))
        .returning(sessions::id)
        .get_results(c)
        .await)
        .map(|ids: Vec<DbUuid>| ids.into_iter().map(|id| SessionId(from_db(id))).collect())
        .map_err(from_diesel)
    }

    async fn list_active(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| sessions::table
            .filter(sessions::user_id.eq(uid(user_id.0)))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(at(now)))
            .order((sessions::created_at.desc(), sessions::id.desc()))
            .select(SessionRow::as_select())
            .load(c)
            .await)
        .map(|rows| rows.into_iter().map(Session::from).collect())
        .map_err(from_diesel)
    }
}
