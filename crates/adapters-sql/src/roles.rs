//! [`RoleRepository`] over SQL, shared by the PostgreSQL and SQLite adapters.

use crate::access::{flags, FlagColumns, FlagRow, FLAGS};
use crate::audit::audited;
use crate::backend::{change_on, on, Change, Db};
use crate::error::from_diesel;
use crate::listing::{count_and_page, like_pattern, lower};
use crate::schema::{access_rules, business_elements, roles, user_roles};
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::rbac::AccessRule;
use castellan_domain::{Grant, Role, StoredRule};
use castellan_ports::{ListQuery, Page, RepoError, RoleRepository};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = roles)]
pub(crate) struct RoleRow {
    id: DbUuid,
    tenant_id: DbUuid,
    name: String,
    description: String,
    is_system: bool,
    created_at: DbTime,
    updated_at: DbTime,
}

impl From<RoleRow> for Role {
    fn from(row: RoleRow) -> Self {
        Role {
            id: from_db(row.id),
            tenant_id: from_db(row.tenant_id),
            name: row.name,
            description: row.description,
            is_system: row.is_system,
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
        }
    }
}

impl From<&Role> for RoleRow {
    fn from(r: &Role) -> Self {
        RoleRow {
            id: uid(r.id),
            tenant_id: uid(r.tenant_id),
            name: r.name.clone(),
            description: r.description.clone(),
            is_system: r.is_system,
            created_at: at(r.created_at),
            updated_at: at(r.updated_at),
        }
    }
}

/// A rule row joined with its role's name and element's key.
type RuleColumns = (DbUuid, DbUuid, DbUuid, String, String, FlagColumns);

fn stored_rule((id, tenant_id, role_id, role, element, columns): RuleColumns) -> StoredRule {
    StoredRule {
        tenant_id: from_db(tenant_id),
        rule: AccessRule {
            id: from_db(id),
            role_id: from_db(role_id),
            role,
            element,
            flags: flags(columns),
        },
    }
}

/// Roles, rules and grants.
#[derive(Debug, Clone)]
pub struct RoleStore {
    db: Db,
}

impl RoleStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

macro_rules! roles_filtered {
    ($query:expr) => {{
        let query: &ListQuery = $query;
        let mut rows = roles::table.into_boxed();
        if let Some(tenant) = query.tenant_id {
            rows = rows.filter(roles::tenant_id.eq(uid(tenant)));
        }
        if let Some(search) = query.search.as_deref() {
            let pattern = like_pattern(search);
            rows = rows.filter(
                lower(roles::name)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(roles::description).like(pattern).escape('\\')),
            );
        }
        rows
    }};
}

macro_rules! rule_query {
    () => {
        access_rules::table
            .inner_join(roles::table)
            .inner_join(business_elements::table)
            .select((
                access_rules::id,
                access_rules::tenant_id,
                access_rules::role_id,
                roles::name,
                business_elements::key,
                FLAGS,
            ))
    };
}

macro_rules! grant_query {
    () => {
        user_roles::table.inner_join(roles::table).select((
            user_roles::id,
            user_roles::tenant_id,
            user_roles::user_id,
            user_roles::role_id,
            roles::name,
            user_roles::granted_by,
            user_roles::granted_at,
        ))
    };
}

type GrantColumns = (
    DbUuid,
    DbUuid,
    DbUuid,
    DbUuid,
    String,
    Option<DbUuid>,
    DbTime,
);

fn grant((id, tenant_id, user_id, role_id, role, granted_by, granted_at): GrantColumns) -> Grant {
    Grant {
        id: from_db(id),
        tenant_id: from_db(tenant_id),
        user_id: from_db(user_id),
        role_id: from_db(role_id),
        role,
        granted_by: granted_by.map(from_db),
        granted_at: granted_at.0,
    }
}

#[async_trait]
impl RoleRepository for RoleStore {
    async fn list_roles(&self, query: &ListQuery) -> Result<Page<Role>, RepoError> {
        let mut db = self.db.get().await?;
        let (items, total): (Vec<RoleRow>, u64) = on!(db.conn(), |c| {
            let mut rows = roles_filtered!(query);
            for order in &query.ordering {
                rows = match (order.field.as_str(), order.descending) {
                    ("created_at", false) => rows.then_order_by(roles::created_at.asc()),
                    ("created_at", true) => rows.then_order_by(roles::created_at.desc()),
                    ("name", true) => rows.then_order_by(roles::name.desc()),
                    _ => rows.then_order_by(roles::name.asc()),
                };
            }
            let rows = rows
                .then_order_by(roles::id.asc())
                .select(RoleRow::as_select());
            count_and_page!(c, query, roles_filtered!(query), rows)
        });
        Ok(Page {
            items: items.into_iter().map(Role::from).collect(),
            total,
        })
    }

    async fn role(&self, id: Uuid) -> Result<Option<Role>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| roles::table
            .find(uid(id))
            .select(RoleRow::as_select())
            .first(c)
            .await)
        .optional()
        .map(|row| row.map(Role::from))
        .map_err(from_diesel)
    }

    async fn role_by_name(&self, tenant: Uuid, name: &str) -> Result<Option<Role>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| roles::table
            .filter(roles::tenant_id.eq(uid(tenant)))
            .filter(roles::name.eq(name))
            .select(RoleRow::as_select())
            .first(c)
            .await)
        .optional()
        .map(|row| row.map(Role::from))
        .map_err(from_diesel)
    }

    async fn insert_role(&self, role: &Role, audit: &Event) -> Result<(), RepoError> {
        let row = RoleRow::from(role);
        let change: Change<()> = change_on!(|conn| {
            diesel::insert_into(roles::table)
                .values(row)
                .execute(conn)
                .await
                .map(|_| ())
        });
        audited(&self.db, audit, change).await
    }

    async fn update_role(&self, role: &Role, audit: &Event) -> Result<Option<Role>, RepoError> {
        let row = RoleRow::from(role);
        let change: Change<Option<RoleRow>> = change_on!(|conn| {
            diesel::update(roles::table.find(row.id))
                .set((
                    roles::name.eq(row.name),
                    roles::description.eq(row.description),
                    roles::updated_at.eq(row.updated_at),
                ))
                .returning(RoleRow::as_returning())
                .get_result(conn)
                .await
                .optional()
        });
        let row = audited(&self.db, audit, change).await?;
        Ok(row.map(Role::from))
    }

    async fn delete_role(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError> {
        let change: Change<bool> = change_on!(|conn| {
            diesel::delete(roles::table.find(uid(id)))
                .execute(conn)
                .await
                .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }

    async fn role_in_use(&self, id: Uuid) -> Result<bool, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| diesel::select(diesel::dsl::exists(
            user_roles::table.filter(user_roles::role_id.eq(uid(id))),
        ))
        .get_result(c)
        .await)
        .map_err(from_diesel)
    }

    async fn list_rules(&self, query: &ListQuery) -> Result<Page<StoredRule>, RepoError> {
        let mut db = self.db.get().await?;
        let (items, total): (Vec<RuleColumns>, u64) = on!(db.conn(), |c| {
            let mut counted = access_rules::table.into_boxed();
            let mut rows = rule_query!().into_boxed();
            if let Some(tenant) = query.tenant_id {
                counted = counted.filter(access_rules::tenant_id.eq(uid(tenant)));
                rows = rows.filter(access_rules::tenant_id.eq(uid(tenant)));
            }
            let ordered = rows.order((roles::name.asc(), business_elements::key.asc()));
            count_and_page!(c, query, counted, ordered)
        });
        Ok(Page {
            items: items.into_iter().map(stored_rule).collect(),
            total,
        })
    }

    async fn rule(&self, id: Uuid) -> Result<Option<StoredRule>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| rule_query!()
            .filter(access_rules::id.eq(uid(id)))
            .first::<RuleColumns>(c)
            .await)
        .optional()
        .map(|row| row.map(stored_rule))
        .map_err(from_diesel)
    }

    async fn insert_rule(
        &self,
        stored: &StoredRule,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<(), RepoError> {
        let mut db = self.db.get().await?;
        let element: Option<DbUuid> = on!(db.conn(), |c| business_elements::table
            .filter(business_elements::key.eq(&stored.rule.element))
            .select(business_elements::id)
            .first(c)
            .await)
        .optional()
        .map_err(from_diesel)?;
        drop(db);
        let element = element.ok_or_else(|| RepoError::Other("unknown element".into()))?;
        let rule = stored.rule.clone();
        let tenant = stored.tenant_id;
        let change: Change<()> = change_on!(|conn| {
            diesel::insert_into(access_rules::table)
                .values((
                    access_rules::id.eq(uid(rule.id)),
                    access_rules::tenant_id.eq(uid(tenant)),
                    access_rules::role_id.eq(uid(rule.role_id)),
                    access_rules::element_id.eq(element),
                    FlagRow::from(rule.flags),
                    access_rules::created_at.eq(at(now)),
                    access_rules::updated_at.eq(at(now)),
                ))
                .execute(conn)
                .await
                .map(|_| ())
        });
        audited(&self.db, audit, change).await
    }

    async fn update_rule(
        &self,
        stored: &StoredRule,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<Option<StoredRule>, RepoError> {
        let id = stored.rule.id;
        let flags = stored.rule.flags;
        let change: Change<Option<RuleColumns>> = change_on!(|conn| {
            let updated = diesel::update(access_rules::table.find(uid(id)))
                .set((FlagRow::from(flags), access_rules::updated_at.eq(at(now))))
                .execute(conn)
                .await?;
            if updated == 0 {
                return Ok(None);
            }
            rule_query!()
                .filter(access_rules::id.eq(uid(id)))
                .first::<RuleColumns>(conn)
                .await
                .optional()
        });
        let row = audited(&self.db, audit, change).await?;
        Ok(row.map(stored_rule))
    }

    async fn delete_rule(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError> {
        let change: Change<bool> = change_on!(|conn| {
            diesel::delete(access_rules::table.find(uid(id)))
                .execute(conn)
                .await
                .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }

    async fn list_grants(&self, query: &ListQuery) -> Result<Page<Grant>, RepoError> {
        let mut db = self.db.get().await?;
        let (items, total): (Vec<GrantColumns>, u64) = on!(db.conn(), |c| {
            let mut counted = user_roles::table.into_boxed();
            let mut rows = grant_query!().into_boxed();
            if let Some(tenant) = query.tenant_id {
                counted = counted.filter(user_roles::tenant_id.eq(uid(tenant)));
                rows = rows.filter(user_roles::tenant_id.eq(uid(tenant)));
            }
            if let Some(user) = query.owner_id {
                counted = counted.filter(user_roles::user_id.eq(uid(user)));
                rows = rows.filter(user_roles::user_id.eq(uid(user)));
            }
            let ordered = rows.order((user_roles::granted_at.desc(), user_roles::id.desc()));
            count_and_page!(c, query, counted, ordered)
        });
        Ok(Page {
            items: items.into_iter().map(grant).collect(),
            total,
        })
    }

    async fn grant(&self, id: Uuid) -> Result<Option<Grant>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| grant_query!()
            .filter(user_roles::id.eq(uid(id)))
            .first::<GrantColumns>(c)
            .await)
        .optional()
        .map(|row| row.map(grant))
        .map_err(from_diesel)
    }

    async fn insert_grant(&self, grant: &Grant, audit: &Event) -> Result<(), RepoError> {
        let grant = grant.clone();
        let change: Change<()> = change_on!(|conn| {
            diesel::insert_into(user_roles::table)
                .values((
                    user_roles::id.eq(uid(grant.id)),
                    user_roles::tenant_id.eq(uid(grant.tenant_id)),
                    user_roles::user_id.eq(uid(grant.user_id)),
                    user_roles::role_id.eq(uid(grant.role_id)),
                    user_roles::granted_by.eq(grant.granted_by.map(uid)),
                    user_roles::granted_at.eq(at(grant.granted_at)),
                ))
                .execute(conn)
                .await
                .map(|_| ())
        });
        audited(&self.db, audit, change).await
    }

    async fn delete_grant(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError> {
        let change: Change<bool> = change_on!(|conn| {
            diesel::delete(user_roles::table.find(uid(id)))
                .execute(conn)
                .await
                .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }
}
