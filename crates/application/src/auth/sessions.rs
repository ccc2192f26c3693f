//! Sessions and revocation: the caller's sessions, revoking one, and revoking everything a user
//! holds.

use super::{AuthService, Principal, SessionView, SESSIONS};
use crate::error::AppError;
use castellan_domain::{SessionId, UserId};

use chrono::{DateTime, Utc};

impl AuthService {
    /// The caller's active sessions, newest first.
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<SessionView>, AppError> {
        let current = principal.token(SESSIONS)?.sid;
        let now = self.ports.clock.now();
        let sessions = self
            .ports
            .sessions
            .list_active(principal.user_id(), now)
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| SessionView {
                current: session.id == current,
                session,
            })
            .collect())
    }

    /// Revokes one of the caller's sessions: its refresh and access tokens stop at once.
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        id: SessionId,
    ) -> Result<(), AppError> {
        principal.token(SESSIONS)?;
        let now = self.ports.clock.now();
        let session = self.ports.sessions.by_id(id).await?;
        match session {
            Some(s) if s.user_id == principal.user_id() && s.is_active(now) => {}
            _ => return Err(AppError::NotFound("session not found".into())),
        }
        self.revoke_sessions(&[id]).await?;
        let audit = principal
            .event("session.revoke", principal.tenant_id().0, now)
            .target("session", id.0);
        self.ports.sessions.revoke(id, now, &audit).await?;
        Ok(())
    }

    pub(super) async fn revoke_current_token(&self, principal: &Principal) -> Result<(), AppError> {
        let claims = principal.token(SESSIONS)?;
        let now = self.ports.clock.now().timestamp();
        let ttl = claims.remaining_secs(now).max(1);
        self.ports
            .token_store
            .revoke_access(claims.jti, ttl)
            .await?;
        Ok(())
    }

    /// Marks sessions revoked in the token store for as long as their access tokens live.
    pub(super) async fn revoke_sessions(&self, ids: &[SessionId]) -> Result<(), AppError> {
        let ttl = u64::try_from(self.config.access_ttl_secs)
            .unwrap_or(0)
            .max(1);
        self.ports.token_store.revoke_sessions(ids, ttl).await?;
        Ok(())
    }

    /// Revokes every active session of a user: token store first (so that a store outage
    /// leaves nothing half-done), then the database.
    pub(super) async fn revoke_everything(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let active = self.ports.sessions.list_active(user, now).await?;
        let ids: Vec<SessionId> = active.iter().map(|s| s.id).collect();
        if !ids.is_empty() {
            self.revoke_sessions(&ids).await?;
        }
        self.ports.sessions.revoke_all(user, now).await?;
        Ok(())
    }

    /// Revokes every session and token of `user` (before a deactivation).
    pub async fn revoke_all_of(&self, user: UserId) -> Result<(), AppError> {
        self.revoke_everything(user, self.ports.clock.now()).await
    }
}
