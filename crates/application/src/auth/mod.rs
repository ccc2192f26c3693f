//! The authentication lifecycle, one concept per module: creating accounts ([`registration`]),
//! signing in and the token pair ([`tokens`]), authenticating a bearer token
//! ([`authenticate`]), the caller's own account ([`profile`]), sessions and revocation
//! ([`sessions`]), what other use cases borrow ([`accounts`]) and readiness probes
//! ([`readiness`]).

mod accounts;
mod authenticate;
mod inputs;
mod principal;
mod principal_cache;
mod profile;
mod readiness;
mod registration;
mod reset;
mod sessions;
mod tokens;

pub use accounts::{created_user_changes, user_snapshot};
pub use authenticate::{Authenticated, CallerLimits, Limited};
pub use inputs::{
    name_field, parse_email, ClientInfo, LoginInput, PasswordChangeInput, ProfilePatch,
    RegisterInput,
};
pub(crate) use inputs::{patch_name, required};
pub use principal::{Credential, Principal, SessionView, TokenPair, UserView};
pub use principal_cache::PrincipalCache;
pub use reset::ResetConfirmInput;
pub use tokens::LoginAttempt;

use crate::secrets::KeyHasher;
use castellan_domain::PasswordPolicy;
use castellan_ports::{
    AccessRepository, Admission, ApiKeyRepository, AuditLog, Clock, LoginLockout, Mailer,
    PasswordHasher, PasswordResetRepository, SessionRepository, TokenCodec, TokenStore,
    UserRepository,
};
use std::sync::Arc;

/// What an API key may never manage: the caller's account and password, named in its 403.
pub(crate) const ACCOUNT: &str = "account";
/// ... and sessions.
pub(crate) const SESSIONS: &str = "session";

/// The role every self-registered user gets.
pub const DEFAULT_ROLE: &str = "User";

/// The role of superusers created from the command line.
pub const ADMIN_ROLE: &str = "Admin";

/// Settings of the authentication use cases.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// JWT `iss`.
    pub issuer: String,
    /// JWT `aud`.
    pub audience: String,
    /// Access-token lifetime.
    pub access_ttl_secs: i64,
    /// Refresh-token (session) lifetime.
    pub refresh_ttl_secs: i64,
    /// Whether `register` is open.
    pub allow_registration: bool,
    /// Password-reset token lifetime.
    pub reset_ttl_secs: i64,
}

/// The ports the authentication use cases need.
#[derive(Debug, Clone)]
pub struct AuthPorts {
    /// Users.
    pub users: Arc<dyn UserRepository>,
    /// Sessions and refresh tokens.
    pub sessions: Arc<dyn SessionRepository>,
    /// Roles' access rules (a principal's current permissions).
    pub access: Arc<dyn AccessRepository>,
    /// Revocations.
    pub token_store: Arc<dyn TokenStore>,
    /// The revocation check, the caller's bucket and the access epoch, together (every
    /// request with an access token).
    pub admission: Arc<dyn Admission>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Token signing.
    pub codec: Arc<dyn TokenCodec>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The audit trail (for events without a change of their own: failed logins).
    pub audit: Arc<dyn AuditLog>,
    /// API keys (authentication by key).
    pub api_keys: Arc<dyn ApiKeyRepository>,
    /// The keyed hash of API-key secrets.
    pub key_hasher: KeyHasher,
    /// Password-reset tokens.
    pub resets: Arc<dyn PasswordResetRepository>,
    /// Outgoing mail (reset tokens).
    pub mailer: Arc<dyn Mailer>,
}

/// The authentication use cases.
#[derive(Debug, Clone)]
pub struct AuthService {
    ports: AuthPorts,
    config: AuthConfig,
    policy: PasswordPolicy,
    limits: Option<CallerLimits>,
    lockout: Option<Arc<dyn LoginLockout>>,
    cache: Option<PrincipalCache>,
}

impl AuthService {
    /// A service over `ports` with `config`.
    pub fn new(ports: AuthPorts, config: AuthConfig) -> Self {
        Self {
            ports,
            config,
            policy: PasswordPolicy::default(),
            limits: None,
            lockout: None,
            cache: None,
        }
    }

    /// The same service holding authenticated requests to `limits` (per user, per key).
    pub fn with_caller_limits(mut self, limits: CallerLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// The same service keeping recent callers' principals in `cache` (used only while
    /// the admission's epoch says they are current).
    pub fn with_principal_cache(mut self, cache: PrincipalCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The same service locking logins out after repeated failures.
    pub fn with_lockout(mut self, lockout: Arc<dyn LoginLockout>) -> Self {
        self.lockout = Some(lockout);
        self
    }

    /// The settings in force.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The token codec (for the JWKS document).
    pub fn codec(&self) -> &Arc<dyn TokenCodec> {
        &self.ports.codec
    }
}
