//! # castellan-adapters-postgres
//!
//! The repositories and the (Redis-less) token store of `castellan-ports` on PostgreSQL with
//! diesel-async and a deadpool pool, plus the embedded migrations. The query code is shared
//! with `castellan-adapters-sqlite` (see `crates/adapters-sql/README.md`).

mod db;
mod rls;
mod sql_types;

#[path = "../../adapters-sql/access.rs"]
mod access;
#[path = "../../adapters-sql/articles.rs"]
mod articles;
#[path = "../../adapters-sql/audit.rs"]
mod audit;
#[path = "../../adapters-sql/error.rs"]
mod error;
#[path = "../../adapters-sql/invitations.rs"]
mod invitations;
#[path = "../../adapters-sql/listing.rs"]
mod listing;
#[path = "../../adapters-sql/pool.rs"]
mod pool;
#[path = "../../adapters-sql/revocations.rs"]
mod revocations;
#[path = "../../adapters-sql/roles.rs"]
mod roles;
#[path = "../../adapters-sql/schema.rs"]
mod schema;
#[path = "../../adapters-sql/sessions.rs"]
mod sessions;
#[path = "../../adapters-sql/tenants.rs"]
mod tenants;
#[path = "../../adapters-sql/users.rs"]
mod users;

pub use db::{run_migrations, PgConfig, APP_ROLE};
pub use pool::{Db as PgPool, MigrationError, PoolError};
pub use rls::{rls_status, RlsTable};

/// Users on PostgreSQL.
pub type PgUserRepository = users::UserStore;
/// Sessions and refresh tokens on PostgreSQL.
pub type PgSessionRepository = sessions::SessionStore;
/// The token store on PostgreSQL (when there is no Redis).
pub type PgTokenStore = revocations::RevocationStore;
/// Access rules and the business-element catalog on PostgreSQL.
pub type PgAccessRepository = access::AccessStore;
/// Articles on PostgreSQL.
pub type PgArticleRepository = articles::ArticleStore;
/// Roles, access rules and grants on PostgreSQL.
pub type PgRoleRepository = roles::RoleStore;
/// Tenants on PostgreSQL.
pub type PgTenantRepository = tenants::TenantStore;
/// Invitations on PostgreSQL.
pub type PgInvitationRepository = invitations::InvitationStore;
/// The dev mailer and its outbox on PostgreSQL.
pub type PgOutbox = invitations::OutboxStore;
/// The audit log on PostgreSQL.
pub type PgAuditLog = audit::AuditStore;
