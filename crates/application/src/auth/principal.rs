//! The authenticated caller, and what the use cases hand back: token pairs, users with their
//! roles, sessions.

use castellan_domain::rbac::Subject;
use castellan_domain::{AccessClaims, Session, TenantId, User, UserId};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user, as stored now.
    pub user: User,
    /// The verified claims of the presented token.
    pub claims: AccessClaims,
    /// What the user's roles allow, as they are now (not as the token says).
    pub subject: Subject,
}

impl Principal {
    /// The caller's user id.
    pub fn user_id(&self) -> UserId {
        self.user.id
    }

    /// The caller's tenant.
    pub fn tenant_id(&self) -> TenantId {
        self.user.tenant_id
    }
}

/// An access/refresh token pair.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// Signed access JWT.
    pub access: String,
    /// Opaque refresh token.
    pub refresh: String,
    /// Access-token lifetime in seconds.
    pub expires_in: i64,
}

/// A user with their current role names.
#[derive(Debug, Clone)]
pub struct UserView {
    /// The user.
    pub user: User,
    /// Role names, sorted.
    pub roles: Vec<String>,
}

/// A session as listed to its owner.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// The session.
    pub session: Session,
    /// Whether it is the session of the token making the request.
    pub current: bool,
}
