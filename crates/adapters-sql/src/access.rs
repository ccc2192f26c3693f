//! [`AccessRepository`] over SQL, shared by the PostgreSQL and SQLite adapters.

use crate::backend::{on, Db};
use crate::error::from_diesel;
use crate::schema::{access_rules, business_elements, roles, user_roles};
use crate::sql_types::{from_db, uid, DbUuid};
use async_trait::async_trait;
use castellan_domain::rbac::{AccessFlags, AccessRule};
use castellan_domain::UserId;
use castellan_ports::{AccessRepository, BusinessElement, RepoError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The seven flag columns, in contract order: select them with `FLAGS`, write them with
/// [`FlagRow`].
pub(crate) const FLAGS: (
    access_rules::can_read_own,
    access_rules::can_read_all,
    access_rules::can_create,
    access_rules::can_update_own,
    access_rules::can_update_all,
    access_rules::can_delete_own,
    access_rules::can_delete_all,
) = (
    access_rules::can_read_own,
    access_rules::can_read_all,
    access_rules::can_create,
    access_rules::can_update_own,
    access_rules::can_update_all,
    access_rules::can_delete_own,
    access_rules::can_delete_all,
);

/// The seven flags as [`FLAGS`] selects them.
pub(crate) type FlagColumns = (bool, bool, bool, bool, bool, bool, bool);

/// Flags read back.
pub(crate) fn flags((ro, ra, c, uo, ua, dow, dal): FlagColumns) -> AccessFlags {
    AccessFlags {
        can_read_own: ro,
        can_read_all: ra,
        can_create: c,
        can_update_own: uo,
        can_update_all: ua,
        can_delete_own: dow,
        can_delete_all: dal,
    }
}

/// Flags to write (insert or update).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = access_rules)]
pub(crate) struct FlagRow {
    can_read_own: bool,
    can_read_all: bool,
    can_create: bool,
    can_update_own: bool,
    can_update_all: bool,
    can_delete_own: bool,
    can_delete_all: bool,
}

impl From<AccessFlags> for FlagRow {
    fn from(f: AccessFlags) -> Self {
        FlagRow {
            can_read_own: f.can_read_own,
            can_read_all: f.can_read_all,
            can_create: f.can_create,
            can_update_own: f.can_update_own,
            can_update_all: f.can_update_all,
            can_delete_own: f.can_delete_own,
            can_delete_all: f.can_delete_all,
        }
    }
}

/// Roles, rules and the catalog.
#[derive(Debug, Clone)]
pub struct AccessStore {
    db: Db,
}

impl AccessStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AccessRepository for AccessStore {
    async fn rules_for_user(&self, user: UserId) -> Result<Vec<AccessRule>, RepoError> {
        let mut db = self.db.get().await?;
        let rows: Vec<(DbUuid, DbUuid, String, String, FlagColumns)> =
            on!(db.conn(), |c| access_rules::table
                .inner_join(roles::table)
                .inner_join(business_elements::table)
                .inner_join(user_roles::table.on(user_roles::role_id.eq(access_rules::role_id)))
                .filter(user_roles::user_id.eq(uid(user.0)))
                .select((
                    access_rules::id,
                    access_rules::role_id,
                    roles::name,
                    business_elements::key,
                    FLAGS,
                ))
                .load(c)
                .await)
            .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|(id, role_id, role, element, columns)| AccessRule {
                id: from_db(id),
                role_id: from_db(role_id),
                role,
                element,
                flags: flags(columns),
            })
            .collect())
    }

    async fn elements(&self) -> Result<Vec<BusinessElement>, RepoError> {
        let mut db = self.db.get().await?;
        let rows: Vec<(DbUuid, String, String)> = on!(db.conn(), |c| business_elements::table
            .order(business_elements::key.asc())
            .select((
                business_elements::id,
                business_elements::key,
                business_elements::description,
            ))
            .load(c)
            .await)
        .map_err(from_diesel)?;
        Ok(rows
            .into_iter()
            .map(|(id, key, description)| BusinessElement {
                id: from_db(id),
                key,
                description,
            })
            .collect())
    }
}
