//! [`InvitationRepository`] and the dev mailer's [`Outbox`] over SQL, shared by the
//! PostgreSQL and SQLite adapters.

use crate::audit::audited;
use crate::backend::{change_on, on, Change, Db};
use crate::error::from_diesel;
use crate::listing::count_and_page;
use crate::schema::{invitations, outbox, roles, user_roles, users};
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid};
use crate::users::UserRow;
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::Invitation;
use castellan_domain::User;
use castellan_ports::{InvitationRepository, ListQuery, Mail, Mailer, Outbox, Page, RepoError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

type InvitationColumns = (
    DbUuid,
    DbUuid,
    String,
    DbUuid,
    String,
    Option<DbUuid>,
    DbTime,
    DbTime,
    Option<DbTime>,
    Option<DbTime>,
);

macro_rules! invitation_query {
    () => {
        invitations::table.inner_join(roles::table).select((
            invitations::id,
            invitations::tenant_id,
            invitations::email,
            invitations::role_id,
            roles::name,
            invitations::invited_by,
            invitations::created_at,
            invitations::expires_at,
            invitations::accepted_at,
            invitations::revoked_at,
        ))
    };
}

fn invitation(
    (
        id,
        tenant_id,
        email,
        role_id,
        role,
        invited_by,
        created_at,
        expires_at,
        accepted_at,
        revoked_at,
    ): InvitationColumns,
) -> Invitation {
    Invitation {
        id: from_db(id),
        tenant_id: from_db(tenant_id),
        email,
        role_id: from_db(role_id),
        role,
        invited_by: invited_by.map(from_db),
        created_at: created_at.0,
        expires_at: expires_at.0,
        accepted_at: accepted_at.map(DateTime::from),
        revoked_at: revoked_at.map(DateTime::from),
    }
}

/// Invitations in the `invitations` table.
#[derive(Debug, Clone)]
pub struct InvitationStore {
    db: Db,
}

impl InvitationStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl InvitationRepository for InvitationStore {
    async fn insert(
        &self,
        i: &Invitation,
        token_hash: &[u8],
        audit: &Event,
    ) -> Result<(), RepoError> {
        let (i, token_hash) = (i.clone(), token_hash.to_vec());
        let change: Change<()> = change_on!(|conn| {
            diesel::insert_into(invitations::table)
                .values((
                    invitations::id.eq(uid(i.id)),
                    invitations::tenant_id.eq(uid(i.tenant_id)),
                    invitations::email.eq(i.email),
                    invitations::role_id.eq(uid(i.role_id)),
                    invitations::token_hash.eq(token_hash),
                    invitations::invited_by.eq(i.invited_by.map(uid)),
                    invitations::created_at.eq(at(i.created_at)),
                    invitations::expires_at.eq(at(i.expires_at)),
                ))
                .execute(conn)
                .await
                .map(|_| ())
        });
        audited(&self.db, audit, change).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page<Invitation>, RepoError> {
        let mut db = self.db.get().await?;
        let (items, total): (Vec<InvitationColumns>, u64) = on!(db.conn(), |c| {
            let tenant = uid(query.tenant_id.unwrap_or_default());
            let counted = invitations::table.filter(invitations::tenant_id.eq(tenant));
            let rows = invitation_query!()
                .filter(invitations::tenant_id.eq(tenant))
                .order((invitations::created_at.desc(), invitations::id.desc()));
            count_and_page!(c, query, counted, rows)
        });
        Ok(Page {
            items: items.into_iter().map(invitation).collect(),
            total,
        })
    }

    async fn get(&self, id: Uuid) -> Result<Option<Invitation>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| invitation_query!()
            .filter(invitations::id.eq(uid(id)))
            .first::<InvitationColumns>(c)
            .await)
        .optional()
        .map(|row| row.map(invitation))
        .map_err(from_diesel)
    }

    async fn by_token(&self, token_hash: &[u8]) -> Result<Option<Invitation>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| invitation_query!()
            .filter(invitations::token_hash.eq(token_hash))
            .first::<InvitationColumns>(c)
            .await)
        .optional()
        .map(|row| row.map(invitation))
        .map_err(from_diesel)
    }

    async fn revoke(&self, id: Uuid, now: DateTime<Utc>, audit: &Event) -> Result<bool, RepoError> {
        let change: Change<bool> = change_on!(|conn| {
            diesel::update(
                invitations::table
                    .find(uid(id))
                    .filter(invitations::accepted_at.is_null())
                    .filter(invitations::revoked_at.is_null()),
            )
            .set(invitations::revoked_at.eq(at(now)))
            .execute(conn)
            .await
            .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }

    async fn accept(
        &self,
        id: Uuid,
        user: &User,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<bool, RepoError> {
        let row = UserRow::from(user);
        let (tenant_id, user_id) = (uid(user.tenant_id.0), uid(user.id.0));
        let change: Change<bool> = change_on!(|conn| {
            // Spending the invitation is one conditional UPDATE: it can be used once.
            let role: Option<DbUuid> = diesel::update(
                invitations::table
                    .find(uid(id))
                    .filter(invitations::accepted_at.is_null())
                    .filter(invitations::revoked_at.is_null())
                    .filter(invitations::expires_at.gt(at(now))),
            )
            .set(invitations::accepted_at.eq(at(now)))
            .returning(invitations::role_id)
            .get_result(conn)
            .await
            .optional()?;
            let Some(role) = role else {
                return Ok(false);
            };
            diesel::insert_into(users::table)
                .values(&row)
                .execute(conn)
                .await?;
            diesel::insert_into(user_roles::table)
                .values((
                    user_roles::id.eq(uid(Uuid::now_v7())),
                    user_roles::tenant_id.eq(tenant_id),
                    user_roles::user_id.eq(user_id),
                    user_roles::role_id.eq(role),
                    user_roles::granted_at.eq(at(now)),
                ))
                .execute(conn)
                .await?;
            Ok(true)
        });
        audited(&self.db, audit, change).await
    }
}

/// The dev mailer: every message goes to the log (without its body, which may hold a
/// one-time token) and to the `outbox` table.
#[derive(Debug, Clone)]
pub struct OutboxStore {
    db: Db,
}

impl OutboxStore {
    /// A mailer over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Mailer for OutboxStore {
    async fn send(&self, mail: &Mail) -> Result<(), RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| diesel::insert_into(outbox::table)
            .values((
                outbox::id.eq(uid(Uuid::now_v7())),
                outbox::to_email.eq(&mail.to),
                outbox::subject.eq(&mail.subject),
                outbox::body.eq(&mail.body),
                outbox::sent_at.eq(at(Utc::now())),
            ))
            .execute(c)
            .await)
        .map_err(from_diesel)?;
        tracing::info!(to = %mail.to, subject = %mail.subject, "dev mailer: message stored in the outbox");
        Ok(())
    }
}

#[async_trait]
impl Outbox for OutboxStore {
    async fn sent_to(&self, to: &str) -> Result<Vec<(Uuid, Mail, DateTime<Utc>)>, RepoError> {
        let mut db = self.db.get().await?;
        let rows: Vec<(DbUuid, String, String, String, DbTime)> = on!(db.conn(), |c| outbox::table
            .filter(outbox::to_email.eq(to))
            .order((outbox::sent_at.desc(), outbox::id.desc()))
            .select((
                outbox::id,
                outbox::to_email,
                outbox::subject,
                outbox::body,
                outbox::sent_at,
            ))
            .load(c)
            .await)
        .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|(id, to, subject, body, sent_at)| {
                (from_db(id), Mail { to, subject, body }, sent_at.0)
            })
            .collect())
    }
}
