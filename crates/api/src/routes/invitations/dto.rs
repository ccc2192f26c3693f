//! Bodies of the invitation routes and the dev outbox.

use crate::routes::auth::dto::{TokenPairDto, UserDto};

use castellan_domain::Invitation;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

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
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    /// Who to invite (must not have an account yet).
    #[schema(required = true, nullable = false, min_length = 1, max_length = 254)]
    pub email: Option<String>,
    /// A role name of the tenant.
    #[schema(required = true, nullable = false, min_length = 1)]
    pub role: Option<String>,
}

/// `POST /invitations/accept`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// The invitation token.
    #[schema(required = true, nullable = false, min_length = 1)]
    pub token: Option<String>,
    /// The new account's password: 8–128 characters, not common, not containing the
    /// email's local part.
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
