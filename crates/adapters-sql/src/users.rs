//! [`UserRepository`] over SQL, shared by the PostgreSQL and SQLite adapters.

use crate::access::{flags, FlagColumns, FLAGS};
use crate::audit::audited;
use crate::backend::{change_on, on, Change, Db};
use crate::error::from_diesel;
use crate::listing::{count_and_page, like_pattern, lower};
use crate::schema::{access_rules, business_elements, roles, user_roles, users};
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::{AccessRule, Email, Profile, TenantId, User, UserId};
use castellan_ports::{ListQuery, Page, RepoError, UserAccess, UserKey, UserRepository};
use chrono::{DateTime, Utc};
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::Integer;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    id: DbUuid,
    tenant_id: DbUuid,
    email: String,
    password_hash: String,
    first_name: String,
    last_name: String,
    patronymic: String,
    is_active: bool,
    is_superuser: bool,
    token_version: i32,
    created_at: DbTime,
    updated_at: DbTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId(from_db(row.id)),
            tenant_id: TenantId(from_db(row.tenant_id)),
            email: Email::from_trusted(row.email),
            password_hash: row.password_hash,
            profile: Profile {
                first_name: row.first_name,
                last_name: row.last_name,
                patronymic: row.patronymic,
            },
            is_active: row.is_active,
            is_superuser: row.is_superuser,
            token_version: row.token_version,
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
        }
    }
}

/// A user's row with one of their role names: what [`with_roles_query`] loads.
pub(crate) type UserRoleRow = (UserRow, Option<String>);

/// Users with their role names, to be filtered: a user's row once per role (once without
/// roles), roles in name order; [`user_with_roles`] folds the rows of one user.
macro_rules! with_roles_query {
    () => {
        crate::schema::users::table
            .left_join(
                crate::schema::user_roles::table
                    .on(crate::schema::user_roles::user_id.eq(crate::schema::users::id)),
            )
            .left_join(
                crate::schema::roles::table
                    .on(crate::schema::roles::id.eq(crate::schema::user_roles::role_id)),
            )
            .select((
                crate::users::UserRow::as_select(),
                crate::schema::roles::name.nullable(),
            ))
            .order(crate::schema::roles::name.asc())
    };
}
pub(crate) use with_roles_query;

/// The user and role names of one user's [`with_roles_query`] rows (none: no such user).
pub(crate) fn user_with_roles(rows: Vec<UserRoleRow>) -> Option<(User, Vec<String>)> {
    let mut rows = rows.into_iter();
    let (row, first) = rows.next()?;
    let roles = first.into_iter().chain(rows.filter_map(|(_, role)| role));
    Some((User::from(row), roles.collect()))
}

impl From<&User> for UserRow {
    fn from(user: &User) -> Self {
        UserRow {
            id: uid(user.id.0),
            tenant_id: uid(user.tenant_id.0),
            email: user.email.as_str().to_string(),
            password_hash: user.password_hash.clone(),
            first_name: user.profile.first_name.clone(),
            last_name: user.profile.last_name.clone(),
            patronymic: user.profile.patronymic.clone(),
            is_active: user.is_active,
            is_superuser: user.is_superuser,
            token_version: user.token_version,
            created_at: at(user.created_at),
            updated_at: at(user.updated_at),
        }
    }
}

/// The rows `query` selects, before ordering and paging.
macro_rules! filtered {
    ($query:expr) => {{
        let query: &ListQuery = $query;
        let mut rows = users::table.into_boxed();
        if let Some(tenant) = query.tenant_id {
            rows = rows.filter(users::tenant_id.eq(uid(tenant)));
        }
        // A user "owns" their own account: own-scope lists show just the caller.
        if let Some(owner) = query.owner_id {
            rows = rows.filter(users::id.eq(uid(owner)));
        }
        if let Some(search) = query.search.as_deref() {
            let pattern = like_pattern(search);
            rows = rows.filter(
                users::email
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(users::first_name).like(pattern.clone()).escape('\\'))
                    .or(lower(users::last_name).like(pattern).escape('\\')),
            );
        }
        rows
    }};
}

/// Users in the `users` table, roles through `user_roles`.
#[derive(Debug, Clone)]
pub struct UserStore {
    db: Db,
}

impl UserStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Bumps the token version (and sets a new password hash when given), with `audit`.
    async fn bump(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        hash: Option<String>,
        audit: &Event,
    ) -> Result<i32, RepoError> {
        let change: Change<i32> = change_on!(|conn| {
            let target = users::table.find(uid(id.0));
            let version = users::token_version + 1;
            match hash {
                Some(hash) => {
                    diesel::update(target)
                        .set((
                            users::token_version.eq(version),
                            users::updated_at.eq(at(now)),
                            users::password_hash.eq(hash),
                        ))
                        .returning(users::token_version)
                        .get_result(conn)
                        .await
                }
                None => {
                    diesel::update(target)
                        .set((
                            users::token_version.eq(version),
                            users::updated_at.eq(at(now)),
                        ))
                        .returning(users::token_version)
                        .get_result(conn)
                        .await
                }
            }
        });
        audited(&self.db, audit, change).await
    }
}

#[async_trait]
impl UserRepository for UserStore {
    async fn insert(
        &self,
        user: &User,
        role_names: &[&str],
        audit: &Event,
    ) -> Result<(), RepoError> {
        let row = UserRow::from(user);
        let names: Vec<String> = role_names.iter().map(|n| n.to_string()).collect();
        let change: Change<()> = change_on!(|conn| {
            diesel::insert_into(users::table)
                .values(&row)
                .execute(conn)
                .await?;
            let role_ids: Vec<DbUuid> = roles::table
                .filter(roles::tenant_id.eq(row.tenant_id))
                .filter(roles::name.eq_any(&names))
                .select(roles::id)
                .load(conn)
                .await?;
            for role_id in role_ids {
                diesel::insert_into(user_roles::table)
                    .values((
                        user_roles::id.eq(uid(Uuid::now_v7())),
                        user_roles::tenant_id.eq(row.tenant_id),
                        user_roles::user_id.eq(row.id),
                        user_roles::role_id.eq(role_id),
                        user_roles::granted_at.eq(row.created_at),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(())
        });
        audited(&self.db, audit, change).await
    }

    async fn by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| users::table
            .find(uid(id.0))
            .select(UserRow::as_select())
            .first(c)
            .await)
        .optional()
        .map(|row| row.map(User::from))
        .map_err(from_diesel)
    }

    async fn with_access(&self, id: UserId) -> Result<Option<UserAccess>, RepoError> {
        type RuleColumns = (DbUuid, DbUuid, String, FlagColumns);
        let mut db = self.db.get().await?;
        // The user's row once per (role, rule of that role), once per role without rules,
        // once without roles: one round trip.
        let rows: Vec<(UserRow, Option<String>, Option<RuleColumns>)> =
            on!(db.conn(), |c| users::table
                .left_join(user_roles::table.on(user_roles::user_id.eq(users::id)))
                .left_join(roles::table.on(roles::id.eq(user_roles::role_id)))
                .left_join(access_rules::table.on(access_rules::role_id.eq(user_roles::role_id)))
                .left_join(
                    business_elements::table.on(business_elements::id.eq(access_rules::element_id)),
                )
                .filter(users::id.eq(uid(id.0)))
                .select((
                    UserRow::as_select(),
                    roles::name.nullable(),
                    (
                        access_rules::id,
                        access_rules::role_id,
                        business_elements::key,
                        FLAGS,
                    )
                        .nullable(),
                ))
                .load(c)
                .await)
            .map_err(from_diesel)?;
        let mut user = None;
        let (mut names, mut rules) = (Vec::new(), Vec::new());
        for (row, role, rule) in rows {
            user.get_or_insert(row);
            if let (Some(role), Some((id, role_id, element, columns))) = (&role, rule) {
                rules.push(AccessRule {
                    id: from_db(id),
                    role_id: from_db(role_id),
                    role: role.clone(),
                    element,
                    flags: flags(columns),
                });
            }
            names.extend(role);
        }
        names.sort_unstable();
        names.dedup();
        Ok(user.map(|row| UserAccess {
            user: User::from(row),
            roles: names,
            rules,
        }))
    }

    async fn with_roles(&self, key: UserKey<'_>) -> Result<Option<(User, Vec<String>)>, RepoError> {
        let mut db = self.db.get().await?;
        let rows: Vec<UserRoleRow> = on!(db.conn(), |c| {
            let query = with_roles_query!();
            match key {
                UserKey::Id(id) => query.filter(users::id.eq(uid(id.0))).load(c).await,
                UserKey::Email(email) => {
                    query.filter(users::email.eq(email.as_str())).load(c).await
                }
            }
        })
        .map_err(from_diesel)?;
        Ok(user_with_roles(rows))
    }

    async fn by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| users::table
            .filter(users::email.eq(email.as_str()))
            .select(UserRow::as_select())
            .first(c)
            .await)
        .optional()
        .map(|row| row.map(User::from))
        .map_err(from_diesel)
    }

    async fn role_names(&self, id: UserId) -> Result<Vec<String>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| user_roles::table
            .inner_join(roles::table)
            .filter(user_roles::user_id.eq(uid(id.0)))
            .select(roles::name)
            .order(roles::name.asc())
            .load(c)
            .await)
        .map_err(from_diesel)
    }

    async fn update_account(
        &self,
        id: UserId,
        profile: &Profile,
        active: bool,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<Option<User>, RepoError> {
        let profile = profile.clone();
        // Deactivating an active user kills every token issued so far; reactivating keeps
        // them dead, and editing an inactive user changes nothing.
        let deactivating = i32::from(!active).into_sql::<Integer>();
        let bump = case_when(users::is_active, deactivating).otherwise(0.into_sql::<Integer>());
        let change: Change<Option<UserRow>> = change_on!(|conn| {
            diesel::update(users::table.find(uid(id.0)))
                .set((
                    users::first_name.eq(profile.first_name),
                    users::last_name.eq(profile.last_name),
                    users::patronymic.eq(profile.patronymic),
                    users::is_active.eq(active),
                    users::token_version.eq(users::token_version + bump),
                    users::updated_at.eq(at(now)),
                ))
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await
                .optional()
        });
        let row = audited(&self.db, audit, change).await?;
        Ok(row.map(User::from))
    }

    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<i32, RepoError> {
        self.bump(id, now, Some(password_hash.to_string()), audit)
            .await
    }

    async fn bump_token_version(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<i32, RepoError> {
        self.bump(id, now, None, audit).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page<User>, RepoError> {
        let mut db = self.db.get().await?;
        let (items, total): (Vec<UserRow>, u64) = on!(db.conn(), |c| {
            let mut rows = filtered!(query);
            for order in &query.ordering {
                rows = match (order.field.as_str(), order.descending) {
                    ("created_at", false) => rows.then_order_by(users::created_at.asc()),
                    ("created_at", true) => rows.then_order_by(users::created_at.desc()),
                    ("email", true) => rows.then_order_by(users::email.desc()),
                    _ => rows.then_order_by(users::email.asc()),
                };
            }
            let rows = rows
                .then_order_by(users::id.asc())
                .select(UserRow::as_select());
            count_and_page!(c, query, filtered!(query), rows)
        });
        Ok(Page {
            items: items.into_iter().map(User::from).collect(),
            total,
        })
    }

    async fn purge(&self, id: UserId, audit: &Event) -> Result<(), RepoError> {
        let change: Change<bool> = change_on!(|conn| {
            diesel::delete(users::table.find(uid(id.0)))
                .execute(conn)
                .await
                .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await.map(|_| ())
    }

    async fn ping(&self) -> Result<(), RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| diesel::sql_query("SELECT 1")
            .execute(c)
            .await)
        .map(|_| ())
        .map_err(|e| RepoError::Unavailable(e.to_string()))
    }
}
