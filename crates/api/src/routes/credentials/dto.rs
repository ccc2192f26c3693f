//! Bodies of the credential-vault routes.

use castellan_domain::credential::Credential;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /credentials`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialCreateRequest {
    /// 1–200 characters, unique in the tenant (409 otherwise).
    #[schema(required = true, nullable = false, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// What the secret is for (`stripe`, `google_ads`, ...): 1–100 characters.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 100)]
    pub provider: Option<String>,
    /// The secret: 1 byte to 16 KiB of text. Stored encrypted; no response but
    /// `POST /credentials/{id}/reveal` returns it.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 16384)]
    #[allow(dead_code)] // Documents the body: the handler takes the secret out first.
    pub secret: Option<String>,
    /// Non-secret facts: a JSON object of at most 8 KiB (`null` or absent: `{}`).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// `PATCH /credentials/{id}`: the fields sent change (the secret has its own route).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialPatchRequest {
    /// 1–200 characters, unique in the tenant (409 otherwise); `null` or absent: unchanged.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// 1–100 characters; `null` or absent: unchanged.
    #[schema(min_length = 1, max_length = 100)]
    pub provider: Option<String>,
    /// Replaces the whole metadata object (at most 8 KiB); `null` or absent: unchanged.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// `PUT /credentials/{id}/secret`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRequest {
    /// The new secret: 1 byte to 16 KiB of text.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 16384)]
    #[allow(dead_code)] // Documents the body: the handler takes the secret out first.
    pub secret: Option<String>,
}

/// A credential (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialDto {
    /// Id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// Unique in the tenant.
    pub name: String,
    /// What it is for.
    pub provider: String,
    /// Non-secret facts.
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// Who created it.
    pub owner_id: Uuid,
    /// The version of the key-encryption key wrapping its data key (a rotation's progress).
    pub key_version: u32,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When its secret was last replaced (`null`: never).
    pub rotated_at: Option<DateTime<Utc>>,
}

impl From<Credential> for CredentialDto {
    fn from(c: Credential) -> Self {
        Self {
            id: c.id,
            tenant_id: c.tenant_id,
            name: c.name,
            provider: c.provider,
            metadata: c.metadata,
            owner_id: c.owner_id,
            key_version: c.key_version,
            created_at: c.created_at,
            updated_at: c.updated_at,
            rotated_at: c.rotated_at,
        }
    }
}

/// A revealed secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevealDto<'a> {
    /// The plaintext.
    pub secret: &'a str,
}
