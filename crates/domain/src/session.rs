//! A login session: one refresh-token family on one device.

use crate::{SessionId, TenantId, UserId};
use chrono::{DateTime, Utc};

/// A session as stored. Its refresh tokens rotate; the session id stays.
///
/// ```
/// use castellan_domain::{Session, SessionId, TenantId, UserId};
/// let now = chrono::Utc::now();
/// let session = Session {
///     id: SessionId::new(), user_id: UserId::new(), tenant_id: TenantId::DEFAULT,
///     created_at: now, last_used_at: now, expires_at: now + chrono::Duration::days(7),
///     revoked_at: None, ip: None, user_agent: None,
/// };
/// assert!(session.is_active(now));
/// assert!(!session.is_active(now + chrono::Duration::days(8)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Identifier (the `sid` claim of its access tokens).
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Owner's tenant.
    pub tenant_id: TenantId,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Last refresh.
    pub last_used_at: DateTime<Utc>,
    /// When its refresh token family expires.
    pub expires_at: DateTime<Utc>,
    /// Set when revoked (logout, reuse detection, password change ...).
    pub revoked_at: Option<DateTime<Utc>>,
    /// Client IP at login.
    pub ip: Option<String>,
    /// Client user agent at login.
    pub user_agent: Option<String>,
}

impl Session {
    /// Neither revoked nor expired at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}
