//! The authentication lifecycle: register, login, refresh, logout, profile, password change,
//! sessions; and turning a bearer token into a [`Principal`].

use crate::audit::event;
use crate::error::{AppError, Denial, FieldError};
use crate::secrets::{hash_secret, new_secret};
use castellan_domain::audit::{diff, Actor, Event, Outcome};
use castellan_domain::rbac::Subject;
use castellan_domain::{
    AccessClaims, Email, PasswordPolicy, Profile, Session, SessionId, TenantId, TokenType, User,
    UserId,
};
use castellan_ports::scope::{scoped, DataScope};
use castellan_ports::{
    AccessRepository, AuditLog, Clock, NewSession, PasswordHasher, RefreshOutcome,
    SessionRepository, TokenCodec, TokenStore, UserRepository,
};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

/// The role every self-registered user gets.
pub const DEFAULT_ROLE: &str = "User";
/// The role of superusers created from the command line.
pub const ADMIN_ROLE: &str = "Admin";
/// Longest accepted personal name.
const MAX_NAME_LEN: usize = 150;

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
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Token signing.
    pub codec: Arc<dyn TokenCodec>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The audit trail (for events without a change of their own: failed logins).
    pub audit: Arc<dyn AuditLog>,
}

/// What the audit trail keeps of a user (never the password hash).
pub fn user_snapshot(user: &User) -> Value {
    json!({
        "email": user.email.as_str(),
        "first_name": user.profile.first_name,
        "last_name": user.profile.last_name,
        "patronymic": user.profile.patronymic,
        "is_active": user.is_active,
        "is_superuser": user.is_superuser,
        "tenant_id": user.tenant_id.0,
    })
}

/// What the audit trail keeps of a new user: its fields and roles.
pub fn created_user_changes(user: &User, roles: &[&str]) -> castellan_domain::audit::Changes {
    let mut after = user_snapshot(user);
    after["roles"] = json!(roles);
    diff(&json!({}), &after)
}

/// Where a request came from (recorded on sessions).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client IP.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
}

/// `POST /auth/register` input, as received (fields may be missing).
#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    /// Login email.
    pub email: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Must equal `password`.
    pub repeat_password: Option<String>,
    /// Optional names.
    pub first_name: Option<String>,
    /// Optional names.
    pub last_name: Option<String>,
    /// Optional names.
    pub patronymic: Option<String>,
}

/// `POST /auth/login` input.
#[derive(Debug, Clone, Default)]
pub struct LoginInput {
    /// Login email.
    pub email: Option<String>,
    /// Password.
    pub password: Option<String>,
}

/// `PATCH /auth/me` input: the fields to change.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    /// New given name.
    pub first_name: Option<String>,
    /// New family name.
    pub last_name: Option<String>,
    /// New patronymic.
    pub patronymic: Option<String>,
}

/// `POST /auth/password/change` input.
#[derive(Debug, Clone, Default)]
pub struct PasswordChangeInput {
    /// The current password.
    pub current_password: Option<String>,
    /// The new password.
    pub new_password: Option<String>,
    /// Must equal `new_password`.
    pub repeat_password: Option<String>,
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

/// The authentication use cases.
#[derive(Debug, Clone)]
pub struct AuthService {
    ports: AuthPorts,
    config: AuthConfig,
    policy: PasswordPolicy,
}

impl AuthService {
    /// A service over `ports` with `config`.
    pub fn new(ports: AuthPorts, config: AuthConfig) -> Self {
        Self {
            ports,
            config,
            policy: PasswordPolicy::default(),
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The token codec (for the JWKS document).
    pub fn codec(&self) -> &Arc<dyn TokenCodec> {
        &self.ports.codec
    }

    /// Creates an account in the default tenant with the default role.
    pub async fn register(&self, input: RegisterInput) -> Result<UserView, AppError> {
        if !self.config.allow_registration {
            return Err(Denial::new("user", "create")
                .because("registration is disabled")
                .into());
        }
        let mut errors = Vec::new();
        let email = parse_email(input.email.as_deref(), "email", &mut errors);
        let password = self.checked_new_password(
            input.password.as_deref(),
            input.repeat_password.as_deref(),
            email.as_ref(),
            ("password", "repeat_password"),
            &mut errors,
        );
        let profile = Profile {
            first_name: name_field(input.first_name, "first_name", &mut errors),
            last_name: name_field(input.last_name, "last_name", &mut errors),
            patronymic: name_field(input.patronymic, "patronymic", &mut errors),
        };
        let (Some(email), Some(password), true) = (email, password, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let password_hash = self.ports.hasher.hash(password).await?;
        let now = self.ports.clock.now();
        let user = User {
            id: UserId::new(),
            tenant_id: TenantId::DEFAULT,
            email,
            password_hash,
            profile,
            is_active: true,
            is_superuser: false,
            token_version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = event(
            "auth.register",
            Actor::user(user.id.0),
            Some(user.tenant_id.0),
            now,
        )
        .target("user", user.id.0)
        .changes(created_user_changes(&user, &[DEFAULT_ROLE]));
        self.ports
            .users
            .insert(&user, &[DEFAULT_ROLE], &audit)
            .await?;
        Ok(UserView {
            user,
            roles: vec![DEFAULT_ROLE.to_string()],
        })
    }

    /// Creates a superuser with the `Admin` role in the default tenant (the CLI's
    /// `create-superuser`). The password policy applies.
    pub async fn create_superuser(
        &self,
        email: &str,
        password: String,
    ) -> Result<UserView, AppError> {
        let mut errors = Vec::new();
        let email = parse_email(Some(email), "email", &mut errors);
        let password = self.checked_new_password(
            Some(&password),
            Some(&password),
            email.as_ref(),
            ("password", "password"),
            &mut errors,
        );
        let (Some(email), Some(password)) = (email, password) else {
            return Err(AppError::Validation(errors));
        };
        let now = self.ports.clock.now();
        let user = User {
            id: UserId::new(),
            tenant_id: TenantId::DEFAULT,
            email,
            password_hash: self.ports.hasher.hash(password).await?,
            profile: Profile::default(),
            is_active: true,
            is_superuser: true,
            token_version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = event("user.create", Actor::system(), Some(user.tenant_id.0), now)
            .target("user", user.id.0)
            .changes(created_user_changes(&user, &[ADMIN_ROLE]));
        self.ports
            .users
            .insert(&user, &[ADMIN_ROLE], &audit)
            .await?;
        Ok(UserView {
            user,
            roles: vec![ADMIN_ROLE.to_string()],
        })
    }

    /// Checks credentials and opens a session. Unknown email, wrong password and inactive
    /// user all fail the same way, after the same amount of hashing work.
    pub async fn login(
        &self,
        input: LoginInput,
        client: ClientInfo,
    ) -> Result<(TokenPair, UserView), AppError> {
        let mut errors = Vec::new();
        let email = required(input.email.as_deref(), "email", &mut errors);
        let password = required(input.password.as_deref(), "password", &mut errors);
        let (Some(email), Some(password)) = (email, password) else {
            return Err(AppError::Validation(errors));
        };
        let user = match Email::parse(email) {
            Ok(email) => self.ports.users.by_email(&email).await?,
            Err(_) => None,
        };
        let now = self.ports.clock.now();
        // A failed login is recorded without the attempted password, the email in metadata.
        let failure = |tenant: Option<TenantId>| {
            event("auth.login", Actor::anonymous(), tenant.map(|t| t.0), now)
                .outcome(Outcome::Failure)
                .meta("email", email)
        };
        let Some(user) = user else {
            self.ports.hasher.verify_dummy(password.to_string()).await?;
            self.ports.audit.append(&failure(None)).await?;
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
            return Err(AppError::InvalidCredentials);
        }
        let roles = self.ports.users.role_names(user.id).await?;
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

    /// Rotates a refresh token. Presenting an already-rotated token revokes its session.
    pub async fn refresh(&self, refresh: Option<String>) -> Result<TokenPair, AppError> {
        let Some(refresh) = refresh.filter(|r| !r.is_empty()) else {
            return Err(AppError::field("refresh", "refresh is required"));
        };
        let now = self.ports.clock.now();
        let next = new_secret();
        let record = |session: &Session| {
            event(
                "auth.refresh",
                Actor::user(session.user_id.0),
                Some(session.tenant_id.0),
                now,
            )
            .target("session", session.id.0)
        };
        let outcome = self
            .ports
            .sessions
            .rotate(&hash_secret(&refresh), &hash_secret(&next), now, &record)
            .await?;
        let session = match outcome {
            RefreshOutcome::Rotated(session) => session,
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
        let user = self.ports.users.by_id(session.user_id).await?;
        let Some(user) = user.filter(|u| u.is_active) else {
            return Err(AppError::Unauthenticated("invalid refresh token"));
        };
        let roles = self.ports.users.role_names(user.id).await?;
        let access = self.issue_access(&user, &roles, session.id, now)?;
        Ok(TokenPair {
            access,
            refresh: next,
            expires_in: self.config.access_ttl_secs,
        })
    }

    /// Verifies a bearer token and loads its user: signature and claims, then the
    /// revocation state (fail closed), then the user as stored now.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AppError> {
        let claims = self
            .ports
            .codec
            .verify(token)
            .map_err(|_| AppError::Unauthenticated("invalid or expired token"))?;
        if claims.token_type != TokenType::Access {
            return Err(AppError::Unauthenticated("not an access token"));
        }
        // One round trip each, concurrently: the revocation check, the user as stored
        // now, and the rules of the user's current roles.
        // The user and their rules live in the token's tenant: look there (which also lets
        // the connections keep the scope the rest of a non-superuser's request uses).
        let lookups = async {
            futures::join!(
                self.ports.token_store.is_revoked(claims.jti, claims.sid),
                self.ports.users.by_id(claims.sub),
                self.ports.access.rules_for_user(claims.sub),
            )
        };
        let (revoked, user, rules) = scoped(DataScope::Tenant(claims.tid.0), lookups).await;
        if revoked? {
            return Err(AppError::Unauthenticated("token has been revoked"));
        }
        match user? {
            Some(user) if user.accepts_token_version(claims.ver) => {
                let subject = Subject::new(user.id.0, user.is_superuser, rules?);
                Ok(Principal {
                    user,
                    claims,
                    subject,
                })
            }
            _ => Err(AppError::Unauthenticated("token has been revoked")),
        }
    }

    /// Ends the current session and blocklists the current access token.
    pub async fn logout(&self, principal: &Principal) -> Result<(), AppError> {
        self.revoke_current_token(principal).await?;
        self.revoke_sessions(&[principal.claims.sid]).await?;
        let now = self.ports.clock.now();
        let audit = principal
            .event("auth.logout", principal.tenant_id().0, now)
            .target("session", principal.claims.sid.0);
        self.ports
            .sessions
            .revoke(principal.claims.sid, now, &audit)
            .await?;
        Ok(())
    }

    /// Revokes every access and refresh token the user holds.
    pub async fn logout_all(&self, principal: &Principal) -> Result<(), AppError> {
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

    /// The caller with their current roles.
    pub async fn me(&self, principal: &Principal) -> Result<UserView, AppError> {
        let roles = self.ports.users.role_names(principal.user_id()).await?;
        Ok(UserView {
            user: principal.user.clone(),
            roles,
        })
    }

    /// Updates the caller's names.
    pub async fn update_me(
        &self,
        principal: &Principal,
        patch: ProfilePatch,
    ) -> Result<UserView, AppError> {
        let mut errors = Vec::new();
        let current = &principal.user.profile;
        let profile = Profile {
            first_name: patch_name(
                patch.first_name,
                &current.first_name,
                "first_name",
                &mut errors,
            ),
            last_name: patch_name(
                patch.last_name,
                &current.last_name,
                "last_name",
                &mut errors,
            ),
            patronymic: patch_name(
                patch.patronymic,
                &current.patronymic,
                "patronymic",
                &mut errors,
            ),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let now = self.ports.clock.now();
        let before = &principal.user;
        let after = User {
            profile: profile.clone(),
            ..before.clone()
        };
        let audit = principal
            .event("user.update", before.tenant_id.0, now)
            .target("user", before.id.0)
            .changes(diff(&user_snapshot(before), &user_snapshot(&after)));
        let user = self
            .ports
            .users
            .update_account(before.id, &profile, before.is_active, now, &audit)
            .await?
            .ok_or(AppError::Unauthenticated("user no longer exists"))?;
        let roles = self.ports.users.role_names(user.id).await?;
        Ok(UserView { user, roles })
    }

    /// Soft-deletes the caller: inactive, every session and token revoked.
    pub async fn delete_me(&self, principal: &Principal) -> Result<(), AppError> {
        self.revoke_current_token(principal).await?;
        let audit = principal.event(
            "user.delete",
            principal.tenant_id().0,
            self.ports.clock.now(),
        );
        self.deactivate_user(&principal.user, audit).await
    }

    /// Changes the caller's password, revokes every session and token (the current ones
    /// included) and opens a fresh session for the caller.
    pub async fn change_password(
        &self,
        principal: &Principal,
        input: PasswordChangeInput,
        client: ClientInfo,
    ) -> Result<TokenPair, AppError> {
        let mut errors = Vec::new();
        let current = required(
            input.current_password.as_deref(),
            "current_password",
            &mut errors,
        );
        let new_password = self.checked_new_password(
            input.new_password.as_deref(),
            input.repeat_password.as_deref(),
            Some(&principal.user.email),
            ("new_password", "repeat_password"),
            &mut errors,
        );
        if let Some(current) = current {
            let ok = self
                .ports
                .hasher
                .verify(current.to_string(), principal.user.password_hash.clone())
                .await?;
            if !ok {
                errors.insert(
                    0,
                    FieldError::new("current_password", "current password is wrong"),
                );
            }
        }
        let (Some(new_password), true) = (new_password, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let hash = self.ports.hasher.hash(new_password).await?;
        let now = self.ports.clock.now();
        self.revoke_current_token(principal).await?;
        self.revoke_everything(principal.user_id(), now).await?;
        // Both sides are masked: the entry says that the password changed, nothing more.
        let audit = principal
            .event("auth.password_change", principal.tenant_id().0, now)
            .target("user", principal.user_id().0)
            .changes(diff(
                &json!({"password_hash": principal.user.password_hash}),
                &json!({"password_hash": hash}),
            ));
        let version = self
            .ports
            .users
            .set_password(principal.user_id(), &hash, now, &audit)
            .await?;
        let mut user = principal.user.clone();
        user.token_version = version;
        user.password_hash = hash;
        let roles = self.ports.users.role_names(user.id).await?;
        self.open_session(&user, &roles, client, None).await
    }

    /// The caller's active sessions, newest first.
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<SessionView>, AppError> {
        let now = self.ports.clock.now();
        let sessions = self
            .ports
            .sessions
            .list_active(principal.user_id(), now)
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| SessionView {
                current: session.id == principal.claims.sid,
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

    /// Opens a session for `user` (after an invitation is accepted, say).
    pub async fn issue_session(
        &self,
        user: &User,
        roles: &[String],
        client: ClientInfo,
    ) -> Result<TokenPair, AppError> {
        self.open_session(user, roles, client, None).await
    }

    /// Deactivates a user (a soft delete): every session and token of theirs stops
    /// working. `audit` (the caller's event) gets the target and the change.
    pub async fn deactivate_user(&self, user: &User, audit: Event) -> Result<(), AppError> {
        let now = self.ports.clock.now();
        self.revoke_everything(user.id, now).await?;
        let after = User {
            is_active: false,
            ..user.clone()
        };
        let audit = audit
            .target("user", user.id.0)
            .changes(diff(&user_snapshot(user), &user_snapshot(&after)));
        self.ports
            .users
            .update_account(user.id, &user.profile, false, now, &audit)
            .await?;
        Ok(())
    }

    /// Revokes every session and token of `user` (before a deactivation).
    pub async fn revoke_all_of(&self, user: UserId) -> Result<(), AppError> {
        self.revoke_everything(user, self.ports.clock.now()).await
    }

    /// Hashes a new password after checking the policy (`field` names the input).
    pub async fn new_password_hash(
        &self,
        password: Option<&str>,
        email: Option<&Email>,
        field: &str,
        errors: &mut Vec<FieldError>,
    ) -> Result<Option<String>, AppError> {
        let Some(password) = required(password, field, errors) else {
            return Ok(None);
        };
        if let Err(err) = self.policy.check(password, email) {
            errors.push(FieldError::new(field, err.to_string()));
            return Ok(None);
        }
        Ok(Some(self.ports.hasher.hash(password.to_string()).await?))
    }

    /// Whether the database answers (readiness).
    pub async fn check_database(&self) -> Result<(), AppError> {
        Ok(self.ports.users.ping().await?)
    }

    /// Whether the token store answers (readiness).
    pub async fn check_token_store(&self) -> Result<(), AppError> {
        Ok(self.ports.token_store.ping().await?)
    }

    fn checked_new_password(
        &self,
        password: Option<&str>,
        repeat: Option<&str>,
        email: Option<&Email>,
        (field, repeat_field): (&str, &str),
        errors: &mut Vec<FieldError>,
    ) -> Option<String> {
        // Every wrong field gets its own error: a weak password and a mismatched repeat
        // are reported together.
        let password = required(password, field, errors);
        let acceptable = match password {
            Some(password) => match self.policy.check(password, email) {
                Ok(()) => true,
                Err(err) => {
                    errors.push(FieldError::new(field, err.to_string()));
                    false
                }
            },
            None => false,
        };
        match (repeat, password) {
            (None, _) => errors.push(FieldError::new(
                repeat_field,
                format!("{repeat_field} is required"),
            )),
            (Some(repeat), Some(password)) if repeat != password => {
                errors.push(FieldError::new(repeat_field, "passwords do not match"));
            }
            (Some(_), Some(password)) if acceptable => return Some(password.to_string()),
            _ => {}
        }
        None
    }

    async fn open_session(
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

    fn issue_access(
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

    async fn revoke_current_token(&self, principal: &Principal) -> Result<(), AppError> {
        let now = self.ports.clock.now().timestamp();
        let ttl = principal.claims.remaining_secs(now).max(1);
        self.ports
            .token_store
            .revoke_access(principal.claims.jti, ttl)
            .await?;
        Ok(())
    }

    /// Marks sessions revoked in the token store for as long as their access tokens live.
    async fn revoke_sessions(&self, ids: &[SessionId]) -> Result<(), AppError> {
        let ttl = u64::try_from(self.config.access_ttl_secs)
            .unwrap_or(0)
            .max(1);
        self.ports.token_store.revoke_sessions(ids, ttl).await?;
        Ok(())
    }

    /// Revokes every active session of a user: token store first (so that a store outage
    /// leaves nothing half-done), then the database.
    async fn revoke_everything(&self, user: UserId, now: DateTime<Utc>) -> Result<(), AppError> {
        let active = self.ports.sessions.list_active(user, now).await?;
        let ids: Vec<SessionId> = active.iter().map(|s| s.id).collect();
        if !ids.is_empty() {
            self.revoke_sessions(&ids).await?;
        }
        self.ports.sessions.revoke_all(user, now).await?;
        Ok(())
    }
}

fn required<'a>(
    value: Option<&'a str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match value {
        Some(v) if !v.is_empty() => Some(v),
        _ => {
            errors.push(FieldError::new(field, format!("{field} is required")));
            None
        }
    }
}

/// Parses a required email field.
pub fn parse_email(raw: Option<&str>, field: &str, errors: &mut Vec<FieldError>) -> Option<Email> {
    let raw = required(raw, field, errors)?;
    match Email::parse(raw) {
        Ok(email) => Some(email),
        Err(err) => {
            errors.push(FieldError::new(field, err.to_string()));
            None
        }
    }
}

/// A personal-name field (trimmed, at most 150 characters).
pub fn name_field(value: Option<String>, field: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.unwrap_or_default().trim().to_string();
    if value.chars().count() > MAX_NAME_LEN {
        errors.push(FieldError::new(
            field,
            format!("{field} must be at most {MAX_NAME_LEN} characters"),
        ));
    }
    value
}

fn patch_name(
    value: Option<String>,
    current: &str,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> String {
    match value {
        Some(v) => name_field(Some(v), field, errors),
        None => current.to_string(),
    }
}
