//! # castellan-ports
//!
//! The traits (ports) that Castellan's application layer is written against. Adapters in the
//! `castellan-adapters-*` crates implement them; the `server` crate picks which.

pub mod access;
pub mod audit;
pub mod clock;
pub mod crypto;
pub mod error;
pub mod rate_limit;
pub mod repos;
pub mod scope;
pub mod token_store;

pub use access::{
    AccessRepository, Article, ArticleRepository, BusinessElement, Grant, Invitation,
    InvitationRepository, ListQuery, Mail, Mailer, Ordering, Outbox, Page, Role, RoleRepository,
    StoredRule, Tenant, TenantBootstrap, TenantRepository,
};
pub use audit::{AuditLog, AuditPage, AuditQuery, ChainHead, RequestFacts};
pub use clock::{Clock, SystemClock};
pub use crypto::{CryptoError, Jwk, JwkSet, PasswordHasher, TokenCodec, TokenError};
pub use error::{RepoError, StoreError};
pub use rate_limit::{Quota, RateDecision, RateLimiter};
pub use repos::{NewSession, RefreshOutcome, SessionRepository, UserRepository};
pub use token_store::TokenStore;
