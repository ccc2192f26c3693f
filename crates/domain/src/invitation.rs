//! Invitations to join a tenant with a role.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An invitation to join a tenant with a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Identifier.
    pub id: Uuid,
    /// The inviting tenant.
    pub tenant_id: Uuid,
    /// Who is invited.
    pub email: String,
    /// The role they will get.
    pub role_id: Uuid,
    /// Its name.
    pub role: String,
    /// Who invited.
    pub invited_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Until when it can be accepted.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// `pending`, `accepted`, `revoked` or `expired` at `now`.
    ///
    /// ```
    /// # use castellan_domain::Invitation;
    /// # let now = chrono::Utc::now();
    /// let invitation = Invitation {
    ///     id: uuid::Uuid::now_v7(), tenant_id: uuid::Uuid::now_v7(), email: "a@example.com".into(),
    ///     role_id: uuid::Uuid::now_v7(), role: "User".into(), invited_by: None,
    ///     created_at: now, expires_at: now + chrono::Duration::hours(72),
    ///     accepted_at: None, revoked_at: None,
    /// };
    /// assert_eq!(invitation.status(now), "pending");
    /// assert_eq!(invitation.status(now + chrono::Duration::hours(73)), "expired");
    /// ```
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        match (self.accepted_at, self.revoked_at) {
            (Some(_), _) => "accepted",
            (None, Some(_)) => "revoked",
            (None, None) if self.expires_at <= now => "expired",
            _ => "pending",
        }
    }
}
