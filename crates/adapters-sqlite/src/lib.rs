//! # castellan-adapters-sqlite
//!
//! The repositories and the revocation log of `castellan-ports` on SQLite — Castellan's
//! embedded default, which needs nothing installed: bundled SQLite through diesel-async's
//! `SyncConnectionWrapper`, WAL, foreign keys on, a busy timeout and a small pool; the
//! migrations of `migrations/sqlite` are embedded. The query code is shared with
//! `castellan-adapters-postgres` (see `crates/adapters-sql/README.md`).

mod db;
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

pub use db::{run_migrations, SqliteConfig};
pub use pool::{Db as SqlitePool, MigrationError, PoolError};

/// Users on SQLite.
pub type SqliteUserRepository = users::UserStore;
/// Sessions and refresh tokens on SQLite.
pub type SqliteSessionRepository = sessions::SessionStore;
/// Revocations persisted in SQLite (wrapped by the in-process token store).
pub type SqliteRevocationStore = revocations::RevocationStore;
/// Access rules and the business-element catalog on SQLite.
pub type SqliteAccessRepository = access::AccessStore;
/// Articles on SQLite.
pub type SqliteArticleRepository = articles::ArticleStore;
/// Roles, access rules and grants on SQLite.
pub type SqliteRoleRepository = roles::RoleStore;
/// Tenants on SQLite.
pub type SqliteTenantRepository = tenants::TenantStore;
/// Invitations on SQLite.
pub type SqliteInvitationRepository = invitations::InvitationStore;
/// The dev mailer and its outbox on SQLite.
pub type SqliteOutbox = invitations::OutboxStore;
/// The audit log on SQLite.
pub type SqliteAuditLog = audit::AuditStore;
