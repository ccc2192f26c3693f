//! [`TenantRepository`] over SQL, shared by the PostgreSQL and SQLite adapters.

use crate::access::FlagRow;
use crate::audit::audited;
use crate::backend::{change_on, on, Change, Db};
use crate::error::from_diesel;
use crate::listing::count_and_page;
use crate::roles::RoleRow;
use crate::schema::{access_rules, business_elements, roles, tenants, user_roles, users};
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid};
use crate::users::UserRow;
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::Tenant;
use castellan_ports::{ListQuery, Page, RepoError, TenantBootstrap, TenantRepository};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants)]
struct TenantRow {
    id: DbUuid,
    name: String,
    slug: String,
    is_active: bool,
    created_at: DbTime,
}

impl From<TenantRow> for Tenant {
    fn from(row: TenantRow) -> Self {
        Tenant {
            id: from_db(row.id),
            name: row.name,
            slug: row.slug,
            is_active: row.is_active,
            created_at: row.created_at.0,
        }
    }
}

impl From<&Tenant> for TenantRow {
    fn from(t: &Tenant) -> Self {
        TenantRow {
            id: uid(t.id),
            name: t.name.clone(),
            slug: t.slug.clone(),
            is_active: t.is_active,
            created_at: at(t.created_at),
        }
    }
}

/// Tenants in the `tenants` table.
#[derive(Debug, Clone)]
pub struct TenantStore {
    db: Db,
}

impl TenantStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl TenantRepository for TenantStore {
    async fn bootstrap(&self, new: &TenantBootstrap, audit: &Event) -> Result<(), RepoError> {
        let new = new.clone();
        let change: Change<()> = change_on!(|conn| {
            diesel::insert_into(tenants::table)
                .values(TenantRow::from(&new.tenant))
                .execute(conn)
                .await?;
            for role in &new.roles {
                diesel::insert_into(roles::table)
                    .values(RoleRow::from(role))
                    .execute(conn)
                    .await?;
            }
            let elements: Vec<(DbUuid, String)> = business_elements::table
                .select((business_elements::id, business_elements::key))
                .load(conn)
                .await?;
            for stored in &new.rules {
                let Some((element, _)) = elements.iter().find(|(_, k)| *k == stored.rule.element)
                else {
                    continue;
                };
                diesel::insert_into(access_rules::table)
                    .values((
                        access_rules::id.eq(uid(stored.rule.id)),
                        access_rules::tenant_id.eq(uid(stored.tenant_id)),
                        access_rules::role_id.eq(uid(stored.rule.role_id)),
                        access_rules::element_id.eq(*element),
                        FlagRow::from(stored.rule.flags),
                        access_rules::created_at.eq(at(new.tenant.created_at)),
                        access_rules::updated_at.eq(at(new.tenant.created_at)),
                    ))
                    .execute(conn)
                    .await?;
            }
            diesel::insert_into(users::table)
                .values(UserRow::from(&new.admin))
                .execute(conn)
                .await?;
            for role in new
                .roles
                .iter()
                .filter(|r| new.admin_roles.contains(&r.name))
            {
                diesel::insert_into(user_roles::table)
                    .values((
                        user_roles::id.eq(uid(Uuid::now_v7())),
                        user_roles::tenant_id.eq(uid(new.tenant.id)),
                        user_roles::user_id.eq(uid(new.admin.id.0)),
                        user_roles::role_id.eq(uid(role.id)),
                        user_roles::granted_at.eq(at(new.tenant.created_at)),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(())
        });
        audited(&self.db, audit, change).await
    }

    async fn list(&self, query: &ListQuery) -> Result<Page<Tenant>, RepoError> {
        let mut db = self.db.get().await?;
        let (items, total): (Vec<TenantRow>, u64) = on!(db.conn(), |c| {
            let mut counted = tenants::table.into_boxed();
            let mut rows = tenants::table.into_boxed();
            if let Some(only) = query.tenant_id {
                counted = counted.filter(tenants::id.eq(uid(only)));
                rows = rows.filter(tenants::id.eq(uid(only)));
            }
            let rows = rows
                .order((tenants::created_at.asc(), tenants::id.asc()))
                .select(TenantRow::as_select());
            count_and_page!(c, query, counted, rows)
        });
        Ok(Page {
            items: items.into_iter().map(Tenant::from).collect(),
            total,
        })
    }

    async fn get(&self, id: Uuid) -> Result<Option<Tenant>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| tenants::table
            .find(uid(id))
            .select(TenantRow::as_select())
            .first(c)
            .await)
        .optional()
        .map(|row| row.map(Tenant::from))
        .map_err(from_diesel)
    }

    async fn update(&self, tenant: &Tenant, audit: &Event) -> Result<Option<Tenant>, RepoError> {
        let tenant = tenant.clone();
        let change: Change<Option<TenantRow>> = change_on!(|conn| {
            diesel::update(tenants::table.find(uid(tenant.id)))
                .set((
                    tenants::name.eq(tenant.name),
                    tenants::is_active.eq(tenant.is_active),
                ))
                .returning(TenantRow::as_returning())
                .get_result(conn)
                .await
                .optional()
        });
        let row = audited(&self.db, audit, change).await?;
        Ok(row.map(Tenant::from))
    }
}
