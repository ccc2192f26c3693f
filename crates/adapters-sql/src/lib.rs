//! # castellan-adapters-sql
//!
//! The repositories, the audit log and the Redis-less token store of `castellan-ports` on
//! SQL: PostgreSQL (diesel-async, a deadpool pool, row-level security) for production and
//! SQLite (bundled, WAL) as the embedded default. Every query is written once: the schema and
//! its SQL types are shared, and [`backend`]'s `on!` macro expands each query for both
//! backends' connections. Build a [`Db`] with [`Db::postgres`] or [`Db::sqlite`] and hand it
//! to the stores.
//!
//! What the dialects force apart stays in [`postgres`] and [`sqlite`]: connection setup
//! (SQLite's PRAGMAs; PostgreSQL's application role and per-request tenant), the migration
//! files (`migrations/postgres`, `migrations/sqlite`) and the SQL types' encodings
//! ([`sql_types`]).

pub mod backend;
pub mod postgres;
pub mod sqlite;

mod access;
mod api_keys;
mod audit;
mod cached;
mod credentials;
mod error;
mod figures;
mod invitations;
mod jobs;
mod listing;
mod password_resets;
mod pipeline;
mod pool;
mod resources;
mod revocations;
mod rls;
mod roles;
mod schema;
mod sessions;
pub mod sql_types;
mod statement;
mod tenants;
mod users;

pub use access::AccessStore;
pub use api_keys::ApiKeyStore;
pub use audit::AuditStore;
pub use backend::Db;
pub use credentials::CredentialStore;
pub use figures::FigureStore;
pub use invitations::{InvitationStore, OutboxStore};
pub use jobs::JobStore;
pub use password_resets::PasswordResetStore;
pub use pool::{MigrationError, PoolError, PoolUsage};
pub use resources::ResourceStore;
pub use revocations::RevocationStore;
pub use roles::RoleStore;
pub use sessions::SessionStore;
pub use tenants::TenantStore;
pub use users::UserStore;
