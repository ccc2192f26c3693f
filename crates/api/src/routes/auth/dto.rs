//! Bodies of the `/auth` routes, and the user and token-pair objects other routes return too.

use castellan_application::{SessionView, TokenPair, UserView};
use castellan_domain::rbac::{ElementPermissions, Scope};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Login email (unique, case-insensitive).
    #[schema(required = true, nullable = false, format = Email, max_length = 254)]
    pub email: Option<String>,
    /// 8–128 characters; not among the 10,000 most common; not containing the email's
    /// local part.
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub password: Option<String>,
    /// Must equal `password`.
    #[schema(required = true, nullable = false)]
    pub repeat_password: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150)]
    pub first_name: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150)]
    pub last_name: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150)]
    pub patronymic: Option<String>,
}

/// `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login email.
    #[schema(required = true, nullable = false, min_length = 1)]
    pub email: Option<String>,
    /// Password.
    #[schema(required = true, nullable = false, min_length = 1)]
    pub password: Option<String>,
}

/// `POST /auth/refresh` (and optionally `POST /auth/logout`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token.
    #[schema(required = true, nullable = false, min_length = 1)]
    pub refresh: Option<String>,
}

/// `PATCH /auth/me`: only these fields may be sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatchRequest {
    /// New given name (at most 150 characters).
    #[schema(max_length = 150)]
    pub first_name: Option<String>,
    /// New family name (at most 150 characters).
    #[schema(max_length = 150)]
    pub last_name: Option<String>,
    /// New patronymic (at most 150 characters).
    #[schema(max_length = 150)]
    pub patronymic: Option<String>,
}

/// `POST /auth/password/change`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    /// The current password.
    #[schema(required = true, nullable = false, min_length = 1)]
    pub current_password: Option<String>,
    /// The new password (password policy applies).
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub new_password: Option<String>,
    /// Must equal `new_password`.
    #[schema(required = true, nullable = false)]
    pub repeat_password: Option<String>,
}

/// `POST /auth/password-reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The account's email.
    #[schema(required = true, nullable = false, format = "email")]
    pub email: Option<String>,
}

/// `POST /auth/password-reset/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirmRequest {
    /// The token from the reset mail.
    #[schema(required = true, nullable = false, min_length = 1)]
    pub token: Option<String>,
    /// The new password (password policy applies).
    #[schema(required = true, nullable = false, min_length = 8, max_length = 128)]
    pub new_password: Option<String>,
    /// Must equal `new_password`.
    #[schema(required = true, nullable = false)]
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
