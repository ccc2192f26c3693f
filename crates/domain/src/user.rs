//! The user account.

use crate::{Email, TenantId, UserId};
use chrono::{DateTime, Utc};

/// Optional personal names a user may set on their profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Patronymic (middle name), as some seeds required.
    pub patronymic: String,
}

/// A user account as stored.
///
/// `token_version` is bumped by "log out everywhere": access tokens carry the version they
/// were issued under, and any older version is refused.
///
/// ```
/// use castellan_domain::{Email, Profile, TenantId, User, UserId};
/// let now = chrono::Utc::now();
/// let user = User {
///     id: UserId::new(), tenant_id: TenantId::DEFAULT,
///     email: Email::parse("a@example.com").unwrap(), password_hash: String::new(),
///     profile: Profile::default(), is_active: true, is_superuser: false,
///     token_version: 1, created_at: now, updated_at: now,
/// };
/// assert!(user.accepts_token_version(1));
/// assert!(!user.accepts_token_version(0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// The tenant the user belongs to.
    pub tenant_id: TenantId,
    /// Login e-mail (unique across tenants).
    pub email: Email,
    /// PHC string of the password hash.
    pub password_hash: String,
    /// Personal names.
    pub profile: Profile,
    /// False once soft-deleted or deactivated.
    pub is_active: bool,
    /// Superusers bypass access rules in every tenant.
    pub is_superuser: bool,
    /// Current token version (see the type docs).
    pub token_version: i32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// Whether an access token issued under `version` is still acceptable for this user.
    pub fn accepts_token_version(&self, version: i32) -> bool {
        self.is_active && version == self.token_version
    }
}
