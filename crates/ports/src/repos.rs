//! Repositories: persistence of users and sessions.

use crate::RepoError;
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::{Email, Profile, Session, SessionId, User, UserId};
use chrono::{DateTime, Utc};

/// A user with their roles and rules, as [`UserRepository::with_access`] reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAccess {
    /// The user, active or not.
    pub user: User,
    /// Names of their roles, sorted.
    pub roles: Vec<String>,
    /// Every access rule of those roles.
    pub rules: Vec<castellan_domain::AccessRule>,
}

/// What [`SessionRepository::rotate`] records of the session it rotated.
pub type RecordRotation = Box<dyn for<'s> FnOnce(&'s Session) -> Event + Send>;

/// How to find one user: by id or by (normalised) email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKey<'a> {
    /// By id.
    Id(UserId),
    /// By email.
    Email(&'a Email),
}

/// Users.
#[async_trait]
pub trait UserRepository: Send + Sync + std::fmt::Debug {
    /// Inserts `user` and grants it the roles named in `roles` (of its tenant).
    /// A taken email → [`RepoError::Conflict`]`("email")`.
    async fn insert(&self, user: &User, roles: &[&str], audit: &Event) -> Result<(), RepoError>;
    /// The user with this id, active or not.
    async fn by_id(&self, id: UserId) -> Result<Option<User>, RepoError>;
    /// The user with this id, the names of their roles and every access rule of those
    /// roles, in one round trip (what authenticating a request needs).
    async fn with_access(&self, id: UserId) -> Result<Option<UserAccess>, RepoError>;
    /// The user with this (normalised) email, active or not.
    async fn by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;
    /// Names of the user's roles, sorted.
    async fn role_names(&self, id: UserId) -> Result<Vec<String>, RepoError>;
    /// The user found by `key`, active or not, and the names of their roles (sorted), in
    /// one round trip (what opening or refreshing a session needs).
    async fn with_roles(&self, key: UserKey<'_>) -> Result<Option<(User, Vec<String>)>, RepoError>;
    /// Replaces the profile and sets `is_active`; deactivating also bumps the token
    /// version (a soft delete). Reactivation keeps the version: old tokens stay dead.
    /// Returns the updated user.
    async fn update_account(
        &self,
        id: UserId,
        profile: &Profile,
        active: bool,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<Option<User>, RepoError>;
    /// Sets a new password hash and bumps the token version; returns the new version.
    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<i32, RepoError>;
    /// Bumps the token version (log out everywhere); returns the new version.
    async fn bump_token_version(
        &self,
        id: UserId,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<i32, RepoError>;
    /// A page of users (`search` over email and names; ordering by `email`, `created_at`).
    async fn list(&self, query: &crate::ListQuery) -> Result<crate::Page<User>, RepoError>;
    /// Removes the user for good, with their sessions and role grants (the demo seed's
    /// reset; accounts are otherwise only soft-deleted).
    async fn purge(&self, id: UserId, audit: &Event) -> Result<(), RepoError>;
    /// Whether the database answers (readiness probe).
    async fn ping(&self) -> Result<(), RepoError>;
}

/// A session to create, with the hash of its first refresh token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The session.
    pub session: Session,
    /// SHA-256 of its first refresh token.
    pub refresh_hash: Vec<u8>,
}

/// A rotated session with its user and the user's role names (in name order), read in the
/// rotation's transaction: what the next access token is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The session, as the rotation left it.
    pub session: Session,
    /// Its user (possibly inactive: the caller decides).
    pub user: User,
    /// The user's role names.
    pub roles: Vec<String>,
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was current: it is now spent and `new_hash` is the session's current token.
    Rotated(Box<Rotation>),
    /// The token had already been rotated: the caller must revoke the session.
    Reused(Session),
    /// Unknown token, or its session is revoked or expired.
    Invalid,
}

/// Sessions and their rotating refresh tokens.
#[async_trait]
pub trait SessionRepository: Send + Sync + std::fmt::Debug {
    /// Stores a new session and its first refresh token; `audit`, when the session is the
    /// point of the action (a login), is appended with it.
    async fn create(&self, new: &NewSession, audit: Option<&Event>) -> Result<(), RepoError>;
    /// Atomically spends the refresh token whose hash is `presented` and, when it was
    /// current, stores `new_hash` as the session's next one and records what `audit` makes
    /// of the rotated session (in the same transaction, possibly on another thread: it
    /// must not rely on task-locals such as the request's facts).
    async fn rotate(
        &self,
        presented: &[u8],
        new_hash: &[u8],
        now: DateTime<Utc>,
        audit: RecordRotation,
    ) -> Result<RefreshOutcome, RepoError>;
    /// The session with this id.
    async fn by_id(&self, id: SessionId) -> Result<Option<Session>, RepoError>;
    /// Revokes one session; false when it was not active (and nothing is recorded).
    async fn revoke(
        &self,
        id: SessionId,
        now: DateTime<Utc>,
        audit: &Event,
    ) -> Result<bool, RepoError>;
    /// Revokes every active session of a user; returns their ids.
    async fn revoke_all(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionId>, RepoError>;
    /// The user's active sessions, newest first.
    async fn list_active(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, RepoError>;
}
