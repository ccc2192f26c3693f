//! # castellan-application
//!
//! Castellan's use cases. Each service is written against the traits of `castellan-ports`;
//! the `server` crate wires real adapters in.

pub mod access;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod chain_watch;
pub mod dashboard;
pub mod epochs;
pub mod error;
pub mod guard;
pub mod invitations;
pub mod jobs;
pub mod resources;
pub mod roles;
pub mod secrets;
pub mod seed;
pub mod tenants;
pub mod users;
pub mod vault;

pub use access::{AccessService, CheckInput};
pub use api_keys::{ApiKeyInput, ApiKeyPorts, ApiKeyService};
pub use audit::{AuditFilter, AuditListPage, AuditService};
pub use auth::{
    AuthConfig, AuthPorts, AuthService, Authenticated, CallerLimits, ClientInfo, Credential,
    Limited, LoginAttempt, LoginInput, PasswordChangeInput, Principal, PrincipalCache,
    ProfilePatch, RegisterInput, ResetConfirmInput, SessionView, TokenPair, UserView,
};
pub use chain_watch::{ChainReport, ChainWatch};
pub use dashboard::{Dashboard, DashboardService};
pub use error::{AppError, Deferred, Denial, FieldError};
pub use guard::{ListRequest, Listing};
pub use invitations::{AcceptInput, InvitationInput, InvitationPorts, InvitationService};
pub use resources::ResourceService;
pub use roles::{GrantInput, RoleInput, RoleRef, RoleService, RuleInput};
pub use seed::{DemoSeed, SeedOptions, SeedReport};
pub use tenants::{TenantInput, TenantPatch, TenantService};
pub use users::{NewUserInput, UserAdminService, UserPatch};
pub use vault::{NewCredential, VaultPorts, VaultService};
