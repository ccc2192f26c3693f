//! Bodies of the API-key routes.

use castellan_domain::api_key::ApiKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRequest {
    /// A label, 1–100 characters.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// 1–50 scopes `<element>:<read|create|update|delete|*>` (never `api_key:`). A scope
    /// beyond the owner's rules is accepted and grants nothing.
    #[schema(required = true, nullable = false, min_items = 1, max_items = 50, example = json!(["article:read"]))]
    pub scopes: Option<Vec<String>>,
    /// When the key stops working (in the future); absent: never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API key (`key` only in the response that created it).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyDto {
    /// Id.
    pub id: Uuid,
    /// Its label.
    pub name: String,
    /// The public part of the key (`cst_<prefix>_...`).
    pub prefix: String,
    /// The user it acts as.
    pub owner_id: Uuid,
    /// What it may do, within its owner's current rules.
    pub scopes: Vec<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working (`null`: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (written at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// The whole key `cst_<prefix>_<secret>`: shown once, stored only as a hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl ApiKeyDto {
    /// The key, with its secret when just created.
    pub fn new(k: ApiKey, key: Option<String>) -> Self {
        Self {
            id: k.id,
            scopes: k.scopes.as_strings().to_vec(),
            name: k.name,
            prefix: k.prefix,
            owner_id: k.owner_id,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            key,
        }
    }
}
