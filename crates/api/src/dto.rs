//! Request and response bodies (serde + utoipa schemas).

use castellan_application::{SessionView, TokenPair, UserView};
use castellan_domain::rbac::{Decision, ElementPermissions, Scope};
use castellan_domain::{Grant, Invitation, Role, StoredRule, Tenant};
use castellan_ports::BusinessElement;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Login email (unique, case-insensitive).
    pub email: Option<String>,
    /// 8–128 characters; not common; not containing the email's local part.
    pub password: Option<String>,
    /// Must equal `password`.
    pub repeat_password: Option<String>,
    /// Optional.
    pub first_name: Option<String>,
    /// Optional.
    pub last_name: Option<String>,
    /// Optional.
    pub patronymic: Option<String>,
}

/// `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Login email.
    pub email: Option<String>,
    /// Password.
    pub password: Option<String>,
}

/// `POST /auth/refresh` (and optionally `POST /auth/logout`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token.
    pub refresh: Option<String>,
}

/// `PATCH /auth/me`: only these fields may be sent.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfilePatchRequest {
    /// New given name.
    pub first_name: Option<String>,
    /// New family name.
    pub last_name: Option<String>,
    /// New patronymic.
    pub patronymic: Option<String>,
}

/// `POST /auth/password/change`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChangeRequest {
    /// The current password.
    pub current_password: Option<String>,
    /// The new password (password policy applies).
    pub new_password: Option<String>,
    /// Must equal `new_password`.
    pub repeat_password: Option<String>,
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// Id.
    pub id: Uuid,
    /// Email, lower-cased.
    pub email: String,
    /// Given name ("" when unset).
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Patronymic.
    pub patronymic: String,
    /// The user's tenant.
    pub tenant_id: Uuid,
    /// Names of the user's roles.
    pub roles: Vec<String>,
    /// False once deactivated or soft-deleted.
    pub is_active: bool,
    /// Superusers bypass access rules.
    pub is_superuser: bool,
    /// Creation time (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<UserView> for UserDto {
    fn from(view: UserView) -> Self {
        let user = view.user;
        UserDto {
            id: user.id.0,
            email: user.email.as_str().to_string(),
            first_name: user.profile.first_name,
            last_name: user.profile.last_name,
            patronymic: user.profile.patronymic,
            tenant_id: user.tenant_id.0,
            roles: view.roles,
            is_active: user.is_active,
            is_superuser: user.is_superuser,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// `GET /auth/me`: the user and their permissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    /// The user.
    #[serde(flatten)]
    pub user: UserDto,
    /// Per business element of the catalog, what the caller may do now.
    pub permissions: std::collections::BTreeMap<String, PermissionDto>,
}

/// What the caller may do on one element: a scope (`all`, `own` or null) per action, and
/// whether they may create.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionDto {
    /// Read scope.
    #[schema(value_type = Option<String>, example = "all")]
    pub read: Option<&'static str>,
    /// May create.
    pub create: bool,
    /// Update scope.
    #[schema(value_type = Option<String>, example = "own")]
    pub update: Option<&'static str>,
    /// Delete scope.
    #[schema(value_type = Option<String>)]
    pub delete: Option<&'static str>,
}

impl From<ElementPermissions> for PermissionDto {
    fn from(p: ElementPermissions) -> Self {
        PermissionDto {
            read: p.read.map(Scope::as_str),
            create: p.create,
            update: p.update.map(Scope::as_str),
            delete: p.delete.map(Scope::as_str),
        }
    }
}

/// An entry of the business-element catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessElementDto {
    /// Id.
    pub id: Uuid,
    /// Immutable key, e.g. `article`.
    pub key: String,
    /// What it is.
    pub description: String,
}

impl From<BusinessElement> for BusinessElementDto {
    fn from(e: BusinessElement) -> Self {
        BusinessElementDto {
            id: e.id,
            key: e.key,
            description: e.description,
        }
    }
}

/// One `/authz/check` question.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckRequest {
    /// Element key, e.g. `article`.
    pub element: Option<String>,
    /// `read`, `create`, `update` or `delete`.
    pub action: Option<String>,
    /// Ask about an object owned by this user.
    pub owner_id: Option<Uuid>,
    /// Ask for another user of the tenant (needs read on `user_role`).
    pub user_id: Option<Uuid>,
}

/// `{checks: [...]}`: several questions at once.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchCheckRequest {
    /// The questions.
    pub checks: Vec<CheckRequest>,
}

/// A rule that decided an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchedRuleDto {
    /// The access rule.
    pub rule_id: Uuid,
    /// Its role's name.
    pub role: String,
}

/// An access decision with its explanation.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionDto {
    /// The answer.
    pub allowed: bool,
    /// How far: `all`, `own`, or null (create, denials).
    #[schema(value_type = Option<String>)]
    pub scope: Option<&'static str>,
    /// `superuser`, `rule_all`, `rule_own`, `create_allowed`, `not_owner`, `flag_off` or `no_rule`.
    #[schema(value_type = String)]
    pub reason: &'static str,
    /// The rules behind the answer.
    pub matched_rules: Vec<MatchedRuleDto>,
}

impl From<Decision> for DecisionDto {
    fn from(d: Decision) -> Self {
        DecisionDto {
            allowed: d.allowed,
            scope: d.scope.map(Scope::as_str),
            reason: d.reason.as_str(),
            matched_rules: d
                .matched_rules
                .into_iter()
                .map(|m| MatchedRuleDto {
                    rule_id: m.rule_id,
                    role: m.role,
                })
                .collect(),
        }
    }
}

/// `{results: [...]}`, in the order of the questions.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchCheckDto {
    /// One answer per question.
    pub results: Vec<DecisionDto>,
}

/// An access/refresh pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPairDto {
    /// Access JWT (EdDSA).
    pub access: String,
    /// Opaque refresh token.
    pub refresh: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access-token lifetime in seconds.
    pub expires_in: i64,
}

impl From<TokenPair> for TokenPairDto {
    fn from(pair: TokenPair) -> Self {
        TokenPairDto {
            access: pair.access,
            refresh: pair.refresh,
            token_type: "Bearer",
            expires_in: pair.expires_in,
        }
    }
}

/// `POST /auth/login` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginDto {
    /// The tokens.
    #[serde(flatten)]
    pub tokens: TokenPairDto,
    /// The user.
    pub user: UserDto,
}

/// One of the caller's sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    /// Session id (`sid` claim).
    pub id: Uuid,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Last refresh.
    pub last_used_at: DateTime<Utc>,
    /// When the session's refresh token expires.
    pub expires_at: DateTime<Utc>,
    /// Client IP at login.
    pub ip: Option<String>,
    /// User agent at login.
    pub user_agent: Option<String>,
    /// Whether this is the session of the calling token.
    pub current: bool,
}

impl From<SessionView> for SessionDto {
    fn from(view: SessionView) -> Self {
        let s = view.session;
        SessionDto {
            id: s.id.0,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            ip: s.ip,
            user_agent: s.user_agent,
            current: view.current,
        }
    }
}

/// `GET /health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthDto {
    /// Always `ok`.
    pub status: &'static str,
    /// Server version.
    pub version: &'static str,
}

/// One readiness check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckDto {
    /// `ok` or `down`.
    pub status: &'static str,
    /// Time the check took.
    pub latency_ms: u64,
}

/// The readiness checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyChecksDto {
    /// The database.
    pub database: CheckDto,
    /// The token store.
    pub token_store: CheckDto,
}

/// `GET /ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyDto {
    /// `ok` when every check is, else `down`.
    pub status: &'static str,
    /// Each check.
    pub checks: ReadyChecksDto,
}

/// A role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDto {
    /// Id.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// Unique per tenant.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// System roles cannot be renamed or deleted.
    pub is_system: bool,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        RoleDto {
            id: r.id,
            tenant_id: r.tenant_id,
            name: r.name,
            description: r.description,
            is_system: r.is_system,
        }
    }
}

/// `POST /roles` (`name` required), `PATCH /roles/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleRequest {
    /// 1–100 characters, unique per tenant.
    pub name: Option<String>,
    /// At most 1,000 characters.
    pub description: Option<String>,
}

/// An access rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessRuleDto {
    /// Id.
    pub id: Uuid,
    /// The role.
    pub role_id: Uuid,
    /// The role's name.
    pub role: String,
    /// The element key.
    pub element: String,
    /// Read own rows.
    pub can_read_own: bool,
    /// Read every row of the tenant.
    pub can_read_all: bool,
    /// Create.
    pub can_create: bool,
    /// Update own rows.
    pub can_update_own: bool,
    /// Update every row.
    pub can_update_all: bool,
    /// Delete own rows.
    pub can_delete_own: bool,
    /// Delete every row.
    pub can_delete_all: bool,
}

impl From<StoredRule> for AccessRuleDto {
    fn from(s: StoredRule) -> Self {
        let f = s.rule.flags;
        AccessRuleDto {
            id: s.rule.id,
            role_id: s.rule.role_id,
            role: s.rule.role,
            element: s.rule.element,
            can_read_own: f.can_read_own,
            can_read_all: f.can_read_all,
            can_create: f.can_create,
            can_update_own: f.can_update_own,
            can_update_all: f.can_update_all,
            can_delete_own: f.can_delete_own,
            can_delete_all: f.can_delete_all,
        }
    }
}

/// `POST /access-rules` (`role` or `role_id`, and `element`, required; absent flags false),
/// `PUT` (flags only; absent ones false) and `PATCH` (flags only; absent ones unchanged).
/// A `*_all` flag implies the matching `*_own`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AccessRuleRequest {
    /// PUT/PATCH only: the rule's own id (another → 400).
    pub id: Option<Uuid>,
    /// Role name (in the caller's tenant). PUT/PATCH accept only the rule's own.
    pub role: Option<String>,
    /// Role id. PUT/PATCH accept only the rule's own.
    pub role_id: Option<Uuid>,
    /// Element key. PUT/PATCH accept only the rule's own.
    pub element: Option<String>,
    /// Read own rows.
    pub can_read_own: Option<bool>,
    /// Read every row.
    pub can_read_all: Option<bool>,
    /// Create.
    pub can_create: Option<bool>,
    /// Update own rows.
    pub can_update_own: Option<bool>,
    /// Update every row.
    pub can_update_all: Option<bool>,
    /// Delete own rows.
    pub can_delete_own: Option<bool>,
    /// Delete every row.
    pub can_delete_all: Option<bool>,
}

impl AccessRuleRequest {
    /// The flags in contract order.
    pub fn flags(&self) -> [Option<bool>; 7] {
        [
            self.can_read_own,
            self.can_read_all,
            self.can_create,
            self.can_update_own,
            self.can_update_all,
            self.can_delete_own,
            self.can_delete_all,
        ]
    }
}

/// A role granted to a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRoleDto {
    /// Id.
    pub id: Uuid,
    /// The user.
    pub user_id: Uuid,
    /// The role.
    pub role_id: Uuid,
    /// The role's name.
    pub role: String,
    /// Who granted it.
    pub granted_by: Option<Uuid>,
    /// When.
    pub granted_at: DateTime<Utc>,
}

impl From<Grant> for UserRoleDto {
    fn from(g: Grant) -> Self {
        UserRoleDto {
            id: g.id,
            user_id: g.user_id,
            role_id: g.role_id,
            role: g.role,
            granted_by: g.granted_by,
            granted_at: g.granted_at,
        }
    }
}

/// `POST /user-roles`: `user_id` and `role` (name) or `role_id`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserRoleRequest {
    /// A user of the tenant.
    pub user_id: Option<Uuid>,
    /// Role name.
    pub role: Option<String>,
    /// Role id.
    pub role_id: Option<Uuid>,
}

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantDto {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Unique slug.
    pub slug: String,
    /// Inactive tenants keep their data.
    pub is_active: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantDto {
    fn from(t: Tenant) -> Self {
        TenantDto {
            id: t.id,
            name: t.name,
            slug: t.slug,
            is_active: t.is_active,
            created_at: t.created_at,
        }
    }
}

/// The first admin of a new tenant.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TenantAdminRequest {
    /// Login email (unique across tenants).
    pub email: Option<String>,
    /// Password (password policy).
    pub password: Option<String>,
    /// Optional.
    pub first_name: Option<String>,
    /// Optional.
    pub last_name: Option<String>,
}

/// `POST /tenants`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TenantRequest {
    /// 1–200 characters.
    pub name: Option<String>,
    /// 3–63 of `[a-z0-9-]`, unique; derived from `name` when absent.
    pub slug: Option<String>,
    /// The first admin.
    pub admin: Option<TenantAdminRequest>,
}

/// `POST /tenants` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantCreatedDto {
    /// The new tenant.
    pub tenant: TenantDto,
    /// Its first admin (role `Admin`).
    pub admin_user_id: Uuid,
}

/// `PATCH /tenants/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TenantPatchRequest {
    /// New name.
    pub name: Option<String>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}

/// `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    /// Login email (unique across tenants).
    pub email: Option<String>,
    /// Password (password policy).
    pub password: Option<String>,
    /// Optional.
    pub first_name: Option<String>,
    /// Optional.
    pub last_name: Option<String>,
    /// Role names of the tenant: exactly these (default `["User"]`).
    pub roles: Option<Vec<String>>,
}

/// `PATCH /users/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserPatchRequest {
    /// New given name.
    pub first_name: Option<String>,
    /// New family name.
    pub last_name: Option<String>,
    /// New patronymic.
    pub patronymic: Option<String>,
    /// `false` deactivates and revokes every session.
    pub is_active: Option<bool>,
}

/// An invitation (`token` only in the response that created it).
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationDto {
    /// Id.
    pub id: Uuid,
    /// Who is invited.
    pub email: String,
    /// The role they will get.
    pub role: String,
    /// `pending`, `accepted`, `revoked` or `expired`.
    #[schema(value_type = String)]
    pub status: &'static str,
    /// Until when it can be accepted.
    pub expires_at: DateTime<Utc>,
    /// The one-time token: shown once, also sent through the mailer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl InvitationDto {
    /// The invitation as seen at `now`, with its token when just created.
    pub fn new(i: Invitation, now: DateTime<Utc>, token: Option<String>) -> Self {
        InvitationDto {
            id: i.id,
            status: i.status(now),
            email: i.email,
            role: i.role,
            expires_at: i.expires_at,
            token,
        }
    }
}

/// `POST /tenants/{id}/invitations`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InvitationRequest {
    /// Who to invite (must not have an account yet).
    pub email: Option<String>,
    /// A role name of the tenant.
    pub role: Option<String>,
}

/// `POST /invitations/accept`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptRequest {
    /// The invitation token.
    pub token: Option<String>,
    /// The new account's password (password policy).
    pub password: Option<String>,
    /// Must equal `password`.
    pub repeat_password: Option<String>,
    /// Optional.
    pub first_name: Option<String>,
    /// Optional.
    pub last_name: Option<String>,
}

/// `POST /invitations/accept` response: the new account, logged in.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedDto {
    /// The new user.
    pub user: UserDto,
    /// The tokens.
    #[serde(flatten)]
    pub tokens: TokenPairDto,
}

/// A message of the dev mailer's outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessageDto {
    /// Id.
    pub id: Uuid,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Body (holds one-time tokens).
    pub body: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

/// One field's value before and after a change (secret-named fields: `"***"`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChangeDto {
    /// The old value (`null` on creation).
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    /// The new value (`null` on deletion).
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

/// An audit entry: one link of its tenant's hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    /// Id.
    pub id: Uuid,
    /// Position in the tenant's chain, from 1, without gaps.
    pub seq: i64,
    /// When (microseconds).
    pub occurred_at: DateTime<Utc>,
    /// The chain's tenant; `null` for events outside any tenant (a failed login for an unknown email).
    pub tenant_id: Option<Uuid>,
    /// `user`, `api_key`, `system` or `anonymous`.
    pub actor_type: String,
    /// The acting user or API key.
    pub actor_id: Option<Uuid>,
    /// `<element or area>.<verb>`, e.g. `article.update`, `auth.login`.
    pub action: String,
    /// The element key of the target (`user`, `session`, `article`, ...).
    pub target_type: Option<String>,
    /// The target's id.
    pub target_id: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    /// The `X-Request-ID` of the request that caused it.
    pub request_id: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// Only the fields whose value changed (never `updated_at`).
    pub changes: std::collections::BTreeMap<String, FieldChangeDto>,
    /// Anything else recorded (secrets masked).
    #[schema(value_type = Object)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The previous entry's hash (64 zeros for the first).
    pub prev_hash: String,
    /// `SHA-256(prev_hash ‖ canonical entry)`, hex.
    pub hash: String,
}

impl From<castellan_domain::audit::Entry> for AuditEntryDto {
    fn from(entry: castellan_domain::audit::Entry) -> Self {
        let e = entry.event;
        AuditEntryDto {
            id: e.id,
            seq: entry.seq,
            occurred_at: e.occurred_at,
            tenant_id: e.tenant_id,
            actor_type: e.actor.kind.as_str().to_string(),
            actor_id: e.actor.id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            outcome: e.outcome.as_str().to_string(),
            request_id: e.request_id,
            ip: e.ip,
            user_agent: e.user_agent,
            changes: e
                .changes
                .into_iter()
                .map(|(name, c)| {
                    let change = FieldChangeDto {
                        before: c.before,
                        after: c.after,
                    };
                    (name, change)
                })
                .collect(),
            metadata: e.metadata,
            prev_hash: entry.prev_hash,
            hash: entry.hash,
        }
    }
}

/// The result of checking audit chains.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerificationDto {
    /// No entry was altered, inserted or removed.
    pub valid: bool,
    /// Entries checked (up to the first bad one).
    pub checked: u64,
    /// The first `seq` that does not hold (of the first broken chain); `null` when valid.
    pub first_invalid_seq: Option<i64>,
}

impl From<castellan_domain::audit::Verification> for AuditVerificationDto {
    fn from(v: castellan_domain::audit::Verification) -> Self {
        AuditVerificationDto {
            valid: v.valid,
            checked: v.checked,
            first_invalid_seq: v.first_invalid_seq,
        }
    }
}
