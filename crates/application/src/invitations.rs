//! Invitations: a tenant invites an email with a role; the invitee accepts once, within the
//! expiry, and lands in that tenant with that role, logged in.

use crate::audit::event;
use crate::auth::{
    name_field, parse_email, AuthService, ClientInfo, Principal, TokenPair, UserView,
};
use crate::error::{AppError, Deferred, FieldError};
use crate::guard::{
    ensure_create, ensure_object, not_found_or_forbidden, ownerless, ownerless_list_query,
    ListRequest,
};
use crate::secrets::{hash_secret, new_secret};
use castellan_domain::audit::{diff, Actor};
use castellan_domain::rbac::Action;
use castellan_domain::Invitation;
use castellan_domain::{Email, Profile, TenantId, User, UserId};
use castellan_ports::scope::{scoped, DataScope};
use castellan_ports::{
    Clock, InvitationRepository, ListQuery, Mail, Mailer, Page, RepoError, RoleRepository,
    TenantRepository, UserRepository,
};
use chrono::Duration;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

const ELEMENT: &str = "invitation";

/// `POST /invitations/accept` input.
#[derive(Debug, Clone, Default)]
pub struct AcceptInput {
    /// The invitation token.
    pub token: Option<String>,
    /// The new account's password.
    pub password: Option<String>,
    /// Must equal `password`.
    pub repeat_password: Option<String>,
    /// Optional names.
    pub first_name: Option<String>,
    /// Optional names.
    pub last_name: Option<String>,
}

/// The ports invitations need.
#[derive(Debug, Clone)]
pub struct InvitationPorts {
    /// Invitations.
    pub invitations: Arc<dyn InvitationRepository>,
    /// Tenants (to check the inviting one exists).
    pub tenants: Arc<dyn TenantRepository>,
    /// Roles (the invited role, by name).
    pub roles: Arc<dyn RoleRepository>,
    /// Users (is the email taken?).
    pub users: Arc<dyn UserRepository>,
    /// Sends the token to the invitee.
    pub mailer: Arc<dyn Mailer>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

fn invalid() -> AppError {
    AppError::InvalidToken {
        code: "invalid_invitation",
        field: "token",
        message: "the invitation is unknown, used, revoked or expired",
    }
}

/// Invitation use cases.
/// `POST /tenants/{id}/invitations`: who, with which role (by name).
#[derive(Debug, Clone, Default)]
pub struct InvitationInput {
    /// The address to invite (required).
    pub email: Option<String>,
    /// A role name of the tenant (required).
    pub role: Option<String>,
}

#[derive(Debug, Clone)]
pub struct InvitationService {
    ports: InvitationPorts,
    auth: AuthService,
    ttl: Duration,
}

/// What the audit trail keeps of an invitation (never its token).
fn snapshot(invitation: &Invitation, now: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "email": invitation.email,
        "role": invitation.role,
        "tenant_id": invitation.tenant_id,
        "expires_at": invitation.expires_at,
        "status": invitation.status(now),
    })
}

impl InvitationService {
    /// A service; invitations expire after `ttl_secs`.
    pub fn new(ports: InvitationPorts, auth: AuthService, ttl_secs: i64) -> Self {
        Self {
            ports,
            auth,
            ttl: Duration::seconds(ttl_secs),
        }
    }

    /// The tenant, if the caller may see it (others: 404, superusers aside).
    async fn visible_tenant(&self, p: &Principal, tenant: Uuid) -> Result<(), AppError> {
        let superuser = p.subject.is_superuser();
        let exists = self.ports.tenants.get(tenant).await?.is_some();
        match exists && (superuser || tenant == p.tenant_id().0) {
            true => Ok(()),
            false => Err(AppError::NotFound("no such tenant".into())),
        }
    }

    /// Invites `email` into `tenant` with `role`; returns the invitation and its token
    /// (shown once; also mailed).
    pub async fn create<E: From<AppError>>(
        &self,
        p: &Principal,
        tenant: Uuid,
        input: Deferred<InvitationInput, E>,
    ) -> Result<(Invitation, String), E> {
        self.visible_tenant(p, tenant).await?;
        ensure_create(p, ELEMENT)?;
        let InvitationInput { email, role } = input?;
        Ok(self.invite(p, tenant, email, role).await?)
    }

    async fn invite(
        &self,
        p: &Principal,
        tenant: Uuid,
        email: Option<String>,
        role: Option<String>,
    ) -> Result<(Invitation, String), AppError> {
        let mut errors = Vec::new();
        let email = parse_email(email.as_deref(), "email", &mut errors);
        let role = match role {
            Some(name) => match self.ports.roles.role_by_name(tenant, &name).await? {
                Some(role) => Some(role),
                None => {
                    errors.push(FieldError::new("role", "no such role in the tenant"));
                    None
                }
            },
            None => {
                errors.push(FieldError::new("role", "role is required"));
                None
            }
        };
        let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        // Emails are unique across tenants: look beyond the caller's tenant (and past
        // PostgreSQL's row-level security, which confines this request to it).
        let existing = scoped(DataScope::System, self.ports.users.by_email(&email)).await?;
        if existing.is_some() {
            return Err(AppError::Conflict {
                message: "this email already has an account".into(),
                field: Some("email".into()),
            });
        }
        let now = self.ports.clock.now();
        let token = new_secret();
        let invitation = Invitation {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            email: email.as_str().to_string(),
            role_id: role.id,
            role: role.name,
            invited_by: Some(p.user_id().0),
            created_at: now,
            expires_at: now + self.ttl,
            accepted_at: None,
            revoked_at: None,
        };
        let audit = p
            .event("invitation.create", tenant, now)
            .target(ELEMENT, invitation.id)
            .changes(diff(&json!({}), &snapshot(&invitation, now)));
        self.ports
            .invitations
            .insert(&invitation, &hash_secret(&token), &audit)
            .await?;
        let mail = Mail {
            to: invitation.email.clone(),
            subject: "You are invited to Castellan".into(),
            body: format!(
                "You are invited to join with the role {}.\n\nAccept with POST /api/v1/invitations/accept and this token:\n\n{token}\n\nIt expires at {}.\n",
                invitation.role,
                invitation.expires_at.to_rfc3339()
            ),
        };
        self.ports.mailer.send(&mail).await?;
        Ok((invitation, token))
    }

    /// A tenant's invitations.
    pub async fn list(
        &self,
        p: &Principal,
        tenant: Uuid,
        request: ListRequest,
    ) -> Result<Page<Invitation>, AppError> {
        self.visible_tenant(p, tenant).await?;
        ownerless_list_query(p, ELEMENT, request)?
            .page(|query| async move {
                let query = ListQuery {
                    tenant_id: Some(tenant),
                    ..query
                };
                self.ports.invitations.list(&query).await
            })
            .await
    }

    /// Revokes a pending invitation (an accepted, revoked or expired one: 409).
    pub async fn revoke(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        let Some(invitation) = self.ports.invitations.get(id).await? else {
            return Err(not_found_or_forbidden(p, ELEMENT));
        };
        ensure_object(
            p,
            ELEMENT,
            Action::Delete,
            ownerless(invitation.id, invitation.tenant_id),
        )?;
        let now = self.ports.clock.now();
        let revoked = Invitation {
            revoked_at: Some(now),
            ..invitation.clone()
        };
        let audit = p
            .event("invitation.revoke", invitation.tenant_id, now)
            .target(ELEMENT, id)
            .changes(diff(&snapshot(&invitation, now), &snapshot(&revoked, now)));
        if invitation.status(now) != "pending"
            || !self.ports.invitations.revoke(id, now, &audit).await?
        {
            return Err(AppError::Conflict {
                message: format!("the invitation is {}", invitation.status(now)),
                field: None,
            });
        }
        Ok(())
    }

    /// Accepts an invitation: the token first (400 `invalid_invitation`), then the fields;
    /// creates the account in the inviting tenant with the invited role and logs it in.
    pub async fn accept(
        &self,
        input: AcceptInput,
        client: ClientInfo,
    ) -> Result<(UserView, TokenPair), AppError> {
        let token = input.token.filter(|t| !t.is_empty()).ok_or_else(invalid)?;
        let invitation = self
            .ports
            .invitations
            .by_token(&hash_secret(&token))
            .await?;
        let now = self.ports.clock.now();
        let invitation = invitation
            .filter(|i| i.status(now) == "pending")
            .ok_or_else(invalid)?;
        let email = Email::from_trusted(invitation.email.clone());
        let mut errors = Vec::new();
        if input.repeat_password.is_some() && input.repeat_password != input.password {
            errors.push(FieldError::new("repeat_password", "passwords do not match"));
        } else if input.repeat_password.is_none() {
            errors.push(FieldError::new(
                "repeat_password",
                "repeat_password is required",
            ));
        }
        let profile = Profile {
            first_name: name_field(input.first_name, "first_name", &mut errors),
            last_name: name_field(input.last_name, "last_name", &mut errors),
            patronymic: String::new(),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let hash = self
            .auth
            .new_password_hash(
                input.password.as_deref(),
                Some(&email),
                "password",
                &mut errors,
            )
            .await?;
        let (Some(password_hash), true) = (hash, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let user = User {
            id: UserId::new(),
            tenant_id: TenantId(invitation.tenant_id),
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
            "invitation.accept",
            Actor::user(user.id.0),
            Some(invitation.tenant_id),
            now,
        )
        .target(ELEMENT, invitation.id)
        .changes(diff(
            &json!({"status": "pending"}),
            &json!({"status": "accepted"}),
        ))
        .meta("user_id", user.id.0.to_string())
        .meta("email", user.email.as_str());
        match self
            .ports
            .invitations
            .accept(invitation.id, &user, now, &audit)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Err(invalid()),
            Err(RepoError::Conflict(_)) => {
                return Err(AppError::Conflict {
                    message: "this email already has an account".into(),
                    field: Some("email".into()),
                })
            }
            Err(other) => return Err(other.into()),
        }
        let roles = vec![invitation.role];
        let tokens = self.auth.issue_session(&user, &roles, client).await?;
        Ok((UserView { user, roles }, tokens))
    }
}
