//! The authenticated caller, and what the use cases hand back: token pairs, users with their
//! roles, sessions.

use crate::error::{AppError, Denial};
use castellan_domain::api_key::ApiKey;
use castellan_domain::rbac::Subject;
use castellan_domain::{AccessClaims, Session, TenantId, User, UserId};

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An access token (a person's session): its verified claims.
    Token(AccessClaims),
    /// An API key (a machine acting as the key's owner, within the key's scopes).
    Key(ApiKey),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user (the key's owner for an API key), as stored now.
    pub user: User,
    /// The names of the user's roles now, sorted (read with the rules).
    pub roles: Vec<String>,
    /// The token or key presented.
    pub credential: Credential,
    /// What the user's roles allow, as they are now (not as the token says); for an API
    /// key, only within its scopes.
    pub subject: Subject,
}

impl Principal {
    /// The claims of the access token, or a 403 for an API key: a key never manages
    /// keys, sessions or passwords (`what` names the refused thing).
    pub fn token(&self, what: &'static str) -> Result<&AccessClaims, AppError> {
        match &self.credential {
            Credential::Token(claims) => Ok(claims),
            Credential::Key(key) => Err(Denial::new(what, "manage")
                .because(format!("an API key cannot manage {what}"))
                .on(key.id)
                .into()),
        }
    }

    /// The API key making the request, if one is.
    pub fn api_key(&self) -> Option<&ApiKey> {
        match &self.credential {
            Credential::Key(key) => Some(key),
            Credential::Token(_) => None,
        }
    }

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
