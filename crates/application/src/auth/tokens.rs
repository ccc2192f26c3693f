//! Signing in and the token pair's lifecycle: login, refresh (rotation and reuse detection),
//! logout, logout everywhere.

use super::{
    required, AuthService, ClientInfo, LoginInput, Principal, TokenPair, UserView, SESSIONS,
};
use crate::audit::event;
use crate::error::AppError;
use crate::secrets::{hash_secret, new_secret};
use castellan_domain::audit::{Actor, Event, Outcome};
use castellan_domain::lockout::Attempt;
use castellan_domain::{AccessClaims, Email, Session, SessionId, TenantId, TokenType, User};
use castellan_ports::{
    Attempted, Bucket, Gate, NewSession, RateDecision, RefreshOutcome, Rotation, UserKey,
};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// What a login attempt came to.
#[derive(Debug)]
pub struct LoginAttempt {
    /// What each of the input's buckets decided, in order, up to and including the first
    /// refusal (which makes the result [`AppError::RateLimited`]).
    pub limits: Vec<RateDecision>,
    /// The login.
    pub result: Result<(TokenPair, UserView), AppError>,
}

impl LoginAttempt {
    fn failed(err: AppError) -> Self {
        Self {
            limits: Vec::new(),
            result: Err(err),
        }
    }
}

impl AuthService {
    /// A login attempt: first its rate-limit buckets and the lockout, in one step, then the
    /// credentials, and a session if they hold. Unknown email, wrong password and inactive
    /// user all fail the same way, after the same amount of hashing work.
    pub async fn login(&self, input: LoginInput, client: ClientInfo) -> LoginAttempt {
        let LoginInput {
            email,
            password,
            limits,
        } = input;
        let address = client.ip.clone().unwrap_or_default();
        let mut errors = Vec::new();
        let email = required(email.as_deref(), "email", &mut errors);
        let password = required(password.as_deref(), "password", &mut errors);
        // Lockout counts by the email as typed (normalized), known or not.
        let fields = match (email, password) {
            (Some(email), Some(password)) => Ok((email, password, email.trim().to_lowercase())),
            _ => Err(AppError::Validation(errors)),
        };
        let attempted = fields.as_ref().ok().map(|(_, _, key)| Attempted {
            email: key,
            address: &address,
        });
        let gate = match self.gate(&limits, attempted).await {
            Ok(gate) => gate,
            Err(err) => return LoginAttempt::failed(err),
        };
        let refused = gate.limits.iter().find(|d| !d.allowed);
        let result = match (refused, gate.attempt, fields) {
            (Some(refused), ..) => Err(AppError::RateLimited {
                retry_after_secs: refused.retry_after_secs,
            }),
            (None, _, Err(invalid)) => Err(invalid),
            (None, Some(Attempt::Locked { retry_after_secs }), _) => {
                Err(AppError::Locked { retry_after_secs })
            }
            (None, _, Ok((email, password, key))) => {
                let attempt = (key.as_str(), address.as_str());
                self.check_credentials(email, password, attempt, client)
                    .await
            }
        };
        LoginAttempt {
            limits: gate.limits,
            result,
        }
    }

    /// The rate-limit buckets and the lockout's `begin`, in one step.
    async fn gate(
        &self,
        buckets: &[Bucket],
        attempt: Option<Attempted<'_>>,
    ) -> Result<Gate, AppError> {
        match &self.lockout {
            Some(lockout) => Ok(lockout.begin(buckets, attempt).await?),
            None if buckets.is_empty() => Ok(Gate {
                limits: Vec::new(),
                attempt: None,
            }),
            // Failing closed: limits given to a service that cannot take them.
            None => Err(AppError::Unavailable("login rate limiter")),
        }
    }

    /// The credentials of an attempt the lockout let through, and the session if they
    /// hold.
    async fn check_credentials(
        &self,
        email: &str,
        password: &str,
        (email_key, address): (&str, &str),
        client: ClientInfo,
    ) -> Result<(TokenPair, UserView), AppError> {
        // The roles come along: one round trip, and a login needs them once it succeeds.
        let found = match Email::parse(email) {
            Ok(email) => self.ports.users.with_roles(UserKey::Email(&email)).await?,
            Err(_) => None,
        };
        let now = self.ports.clock.now();
        // A failed login is recorded without the attempted password, the email in metadata.
        let failure = |tenant: Option<TenantId>| {
            event("auth.login", Actor::anonymous(), tenant.map(|t| t.0), now)
                .outcome(Outcome::Failure)
                .meta("email", email)
        };
        let Some((user, roles)) = found else {
            self.ports.hasher.verify_dummy(password.to_string()).await?;
            self.ports.audit.append(&failure(None)).await?;
            self.login_failed(email_key, address, None).await?;
            return Err(AppError::InvalidCredentials);
        };
        let matches = self
            .ports
            .hasher
            .verify(password.to_string(), user.password_hash.clone())
            .await?;
        if !matches || !user.is_active {
            let reason = match matches {
                true => "inactive",
                false => "wrong_password",
            };
            let failed = failure(Some(user.tenant_id))
                .target("user", user.id.0)
                .meta("reason", reason);
            self.ports.audit.append(&failed).await?;
            self.login_failed(email_key, address, Some(&user)).await?;
            return Err(AppError::InvalidCredentials);
        }
        if let Some(lockout) = &self.lockout {
            lockout.succeeded(email_key, address).await?;
        }
        let audit = event(
            "auth.login",
            Actor::user(user.id.0),
            Some(user.tenant_id.0),
            now,
        )
        .target("user", user.id.0);
        let pair = self
            .open_session(&user, &roles, client, Some(audit))
            .await?;
        Ok((pair, UserView { user, roles }))
    }

    /// Counts a failed login; the failure that sets a lock records `auth.lockout` (once
    /// per lock).
    async fn login_failed(
        &self,
        email: &str,
        address: &str,
        user: Option<&User>,
    ) -> Result<(), AppError> {
        let Some(lockout) = &self.lockout else {
            return Ok(());
        };
        let Some(kind) = lockout.failed(email, address).await? else {
            return Ok(());
        };
        tracing::warn!(
            lock = kind.as_str(),
            "login lockout: too many failed logins"
        );
        let now = self.ports.clock.now();
        let mut locked = event(
            "auth.lockout",
            Actor::anonymous(),
            user.map(|u| u.tenant_id.0),
            now,
        )
        .outcome(Outcome::Failure)
        .meta("email", email)
        .meta("lock", kind.as_str());
        if let Some(user) = user {
            locked = locked.target("user", user.id.0);
        }
        self.ports.audit.append(&locked).await?;
        Ok(())
    }

    /// Rotates a refresh token. Presenting an already-rotated token revokes its session.
    pub async fn refresh(&self, refresh: Option<String>) -> Result<TokenPair, AppError> {
        let Some(refresh) = refresh.filter(|r| !r.is_empty()) else {
            return Err(AppError::field("refresh", "refresh is required"));
        };
        let now = self.ports.clock.now();
        let next = new_secret();
        // The request's facts are read here: the entry may be made on another thread.
        let entry = event("auth.refresh", Actor::anonymous(), None, now);
        let record = move |session: &Session| {
            Event {
                actor: Actor::user(session.user_id.0),
                tenant_id: Some(session.tenant_id.0),
                ..entry
            }
            .target("session", session.id.0)
        };
        let outcome = self
            .ports
            .sessions
            .rotate(
                &hash_secret(&refresh),
                &hash_secret(&next),
                now,
                Box::new(record),
            )
            .await?;
        let rotation = match outcome {
            RefreshOutcome::Rotated(rotation) => rotation,
            RefreshOutcome::Reused(session) => {
                tracing::warn!(session_id = %session.id, "refresh token reuse: session revoked");
                self.revoke_sessions(&[session.id]).await?;
                // Whoever presented the spent token is not known to be the user.
                let audit = event(
                    "auth.refresh_reuse",
                    Actor::anonymous(),
                    Some(session.tenant_id.0),
                    now,
                )
                .target("session", session.id.0)
                .outcome(Outcome::Failure)
                .meta("user_id", session.user_id.0.to_string());
                self.ports.sessions.revoke(session.id, now, &audit).await?;
                return Err(AppError::Unauthenticated("refresh token reuse detected"));
            }
            RefreshOutcome::Invalid => {
                return Err(AppError::Unauthenticated("invalid refresh token"))
            }
        };
        let Rotation {
            session,
            user,
            roles,
        } = *rotation;
        if !user.is_active {
            return Err(AppError::Unauthenticated("invalid refresh token"));
        }
        let access = self.issue_access(&user, &roles, session.id, now)?;
        Ok(TokenPair {
            access,
            refresh: next,
            expires_in: self.config.access_ttl_secs,
        })
    }

    /// Ends the current session and blocklists the current access token.
    pub async fn logout(&self, principal: &Principal) -> Result<(), AppError> {
        let sid = principal.token(SESSIONS)?.sid;
        self.revoke_current_token(principal).await?;
        self.revoke_sessions(&[sid]).await?;
        let now = self.ports.clock.now();
        let audit = principal
            .event("auth.logout", principal.tenant_id().0, now)
            .target("session", sid.0);
        self.ports.sessions.revoke(sid, now, &audit).await?;
        Ok(())
    }

    /// Revokes every access and refresh token the user holds.
    pub async fn logout_all(&self, principal: &Principal) -> Result<(), AppError> {
        principal.token(SESSIONS)?;
        let now = self.ports.clock.now();
        self.revoke_everything(principal.user_id(), now).await?;
        let audit = principal
            .event("auth.logout_all", principal.tenant_id().0, now)
            .target("user", principal.user_id().0);
        self.ports
            .users
            .bump_token_version(principal.user_id(), now, &audit)
            .await?;
        Ok(())
    }

    /// Opens a session for `user` (after an invitation is accepted, say).
    pub async fn issue_session(
        &self,
        user: &User,
        roles: &[String],
        client: ClientInfo,
    ) -> Result<TokenPair, AppError> {
        self.open_session(user, roles, client, None).await
    }

    pub(super) async fn open_session(
        &self,
        user: &User,
        roles: &[String],
        client: ClientInfo,
        audit: Option<Event>,
    ) -> Result<TokenPair, AppError> {
        let now = self.ports.clock.now();
        let refresh = new_secret();
        let session = Session {
            id: SessionId::new(),
            user_id: user.id,
            tenant_id: user.tenant_id,
            created_at: now,
            last_used_at: now,
            expires_at: now + Duration::seconds(self.config.refresh_ttl_secs),
            revoked_at: None,
            ip: client.ip,
            user_agent: client.user_agent.map(|ua| ua.chars().take(512).collect()),
        };
        let access = self.issue_access(user, roles, session.id, now)?;
        let audit = audit.map(|event| event.meta("session_id", session.id.0.to_string()));
        let new = NewSession {
            session,
            refresh_hash: hash_secret(&refresh),
        };
        self.ports.sessions.create(&new, audit.as_ref()).await?;
        Ok(TokenPair {
            access,
            refresh,
            expires_in: self.config.access_ttl_secs,
        })
    }

    pub(super) fn issue_access(
        &self,
        user: &User,
        roles: &[String],
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let iat = now.timestamp();
        let claims = AccessClaims {
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            sub: user.id,
            tid: user.tenant_id,
            sid: session,
            roles: roles.to_vec(),
            jti: Uuid::now_v7(),
            iat,
            nbf: iat,
            exp: iat + self.config.access_ttl_secs,
            token_type: TokenType::Access,
            ver: user.token_version,
        };
        self.ports
            .codec
            .issue(&claims)
            .map_err(|err| AppError::Internal(err.to_string()))
    }
}
