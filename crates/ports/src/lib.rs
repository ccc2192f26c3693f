//! # castellan-ports
//!
//! The traits (ports) that Castellan's application layer is written against, one module per
//! port. Adapters in the `castellan-adapters-*` crates implement them; the `server` crate
//! picks which.

pub mod access;
pub mod admission;
pub mod api_keys;
pub mod audit;
pub mod clock;
pub mod credentials;
pub mod crypto;
pub mod error;
pub mod figures;
pub mod invitations;
pub mod jobs;
pub mod lanes;
pub mod list;
pub mod lockout;
pub mod mail;
pub mod password_reset;
pub mod rate_limit;
pub mod repos;
pub mod resources;
pub mod roles;
pub mod scope;
pub mod tenants;
pub mod token_store;
pub mod vault;

pub use access::{AccessRepository, BusinessElement};
pub use admission::{AccessEpochs, Admission, Admitted, Check};
pub use api_keys::ApiKeyRepository;
pub use audit::{AuditLog, AuditPage, AuditQuery, ChainHead, RequestFacts};
pub use clock::{Clock, SystemClock};
pub use credentials::{CredentialRepository, StaleKey};
pub use crypto::{CryptoError, Jwk, JwkSet, PasswordHasher, TokenCodec, TokenError};
pub use error::{RepoError, StoreError};
pub use figures::{SecurityCounts, TenantFigures, UserCounts};
pub use invitations::InvitationRepository;
pub use jobs::{Housekeeping, JobLeases};
pub use list::{ListQuery, Ordering, Page};
pub use lockout::{Attempted, Bucket, Gate, LoginLockout};
pub use mail::{Mail, Mailer, Outbox};
pub use password_reset::{PasswordResetRepository, ResetTicket};
pub use rate_limit::{Debt, Quota, RateDecision, RateLimiter, SharedBuckets};
pub use repos::{
    NewSession, RecordRotation, RefreshOutcome, Rotation, SessionRepository, UserAccess, UserKey,
    UserRepository,
};
pub use resources::ResourceRepository;
pub use roles::RoleRepository;
pub use tenants::{TenantBootstrap, TenantRepository};
pub use token_store::TokenStore;
pub use vault::{DataKey, KeyProvider, SealedSecret, SecretCipher, VaultError, WrappedKey};
