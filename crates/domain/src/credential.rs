//! The credential vault's records: a tenant's third-party secrets (API tokens, passwords,
//! connection strings), described by a name, a provider and non-secret metadata.
//!
//! The secret itself never appears here: it is stored encrypted with a data key of its own,
//! and the ciphertext is bound to its row by [`associated_data`]. This module holds what is
//! pure about a credential: its fields, their validation and that binding.
//!
//! ```
//! use castellan_domain::credential::{CredentialInput, validate_secret};
//!
//! let input = CredentialInput {
//!     name: Some(" Stripe live ".into()),
//!     provider: Some("stripe".into()),
//!     metadata: Some(serde_json::json!({"account": "acct_1"})),
//! };
//! let fields = input.for_create().unwrap();
//! assert_eq!(fields.name, "Stripe live");
//! assert_eq!(fields.metadata["account"], "acct_1");
//!
//! let problems = CredentialInput { name: Some("".into()), ..Default::default() }
//!     .for_create()
//!     .unwrap_err();
//! let named: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
//! assert_eq!(named, ["name", "provider"]);
//!
//! assert!(validate_secret("sk_live_...").is_ok());
//! assert!(validate_secret("").is_err());
//! ```

use crate::resource::Problem;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The business element guarding credentials.
pub const CREDENTIAL_ELEMENT: &str = "credential";
/// Longest name, in characters.
pub const NAME_MAX_CHARS: usize = 200;
/// Longest provider, in characters.
pub const PROVIDER_MAX_CHARS: usize = 100;
/// Largest metadata object, in bytes of compact JSON.
pub const METADATA_MAX_BYTES: usize = 8 * 1024;
/// Largest secret, in bytes of UTF-8.
pub const SECRET_MAX_BYTES: usize = 16 * 1024;

/// A stored credential, without its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    /// Id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// Who created it.
    pub owner_id: Uuid,
    /// Unique within the tenant.
    pub name: String,
    /// What it is for (`stripe`, `google_ads`, ...).
    pub provider: String,
    /// Non-secret facts about it.
    pub metadata: Map<String, Value>,
    /// The version of the key-encryption key wrapping its data key.
    pub key_version: u32,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed (its fields or its secret).
    pub updated_at: DateTime<Utc>,
    /// When its secret was last replaced (`None`: never since it was made).
    pub rotated_at: Option<DateTime<Utc>>,
}

impl Credential {
    /// What its ciphertext is bound to (see [`associated_data`]).
    pub fn associated_data(&self) -> Vec<u8> {
        associated_data(self.tenant_id, self.id)
    }
}

/// The associated data binding a secret's ciphertext to its row: a ciphertext copied to
/// another credential or tenant fails authentication instead of decrypting.
///
/// ```
/// use castellan_domain::credential::associated_data;
/// let (t, c) = (uuid::Uuid::nil(), uuid::Uuid::max());
/// assert_ne!(associated_data(t, c), associated_data(c, t));
/// ```
pub fn associated_data(tenant_id: Uuid, credential_id: Uuid) -> Vec<u8> {
    format!("castellan-credential:{tenant_id}:{credential_id}").into_bytes()
}

/// A credential's describing fields as a client sent them (`None`: absent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CredentialInput {
    /// 1–200 characters (trimmed).
    pub name: Option<String>,
    /// 1–100 characters (trimmed).
    pub provider: Option<String>,
    /// A JSON object of at most 8 KiB.
    pub metadata: Option<Value>,
}

/// Valid describing fields.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialFields {
    /// Trimmed name.
    pub name: String,
    /// Trimmed provider.
    pub provider: String,
    /// The metadata object (empty when absent).
    pub metadata: Map<String, Value>,
}

/// A change of describing fields (`None`: keep).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CredentialChange {
    /// New name.
    pub name: Option<String>,
    /// New provider.
    pub provider: Option<String>,
    /// New metadata (replaces the whole object).
    pub metadata: Option<Map<String, Value>>,
}

impl CredentialChange {
    /// Applies the change to `credential`; true when anything differs.
    pub fn apply(self, credential: &mut Credential) -> bool {
        let before = credential.clone();
        if let Some(name) = self.name {
            credential.name = name;
        }
        if let Some(provider) = self.provider {
            credential.provider = provider;
        }
        if let Some(metadata) = self.metadata {
            credential.metadata = metadata;
        }
        *credential != before
    }
}

fn text(field: &str, value: Option<&str>, max: usize, problems: &mut Vec<Problem>) -> String {
    let trimmed = value.map(str::trim).unwrap_or_default();
    match (value, trimmed.chars().count()) {
        (None, _) => problems.push(Problem::new(field, format!("{field} is required"))),
        (Some(_), n) if n == 0 || n > max => problems.push(Problem::new(
            field,
            format!("{field} must be 1 to {max} characters"),
        )),
        _ => {}
    }
    trimmed.to_owned()
}

fn metadata(value: Option<Value>, problems: &mut Vec<Problem>) -> Map<String, Value> {
    match value {
        None => Map::new(),
        Some(Value::Object(map)) => {
            let size = serde_json::to_vec(&map).map_or(usize::MAX, |bytes| bytes.len());
            if size > METADATA_MAX_BYTES {
                problems.push(Problem::new(
                    "metadata",
                    format!("metadata must be at most {METADATA_MAX_BYTES} bytes of JSON"),
                ));
            }
            map
        }
        Some(_) => {
            problems.push(Problem::new("metadata", "metadata must be a JSON object"));
            Map::new()
        }
    }
}

impl CredentialInput {
    /// The fields of a new credential: name and provider required, metadata `{}` when
    /// absent; every problem named.
    pub fn for_create(self) -> Result<CredentialFields, Vec<Problem>> {
        let mut problems = Vec::new();
        let name = text("name", self.name.as_deref(), NAME_MAX_CHARS, &mut problems);
        let provider = text(
            "provider",
            self.provider.as_deref(),
            PROVIDER_MAX_CHARS,
            &mut problems,
        );
        let metadata = metadata(self.metadata, &mut problems);
        match problems.is_empty() {
            true => Ok(CredentialFields {
                name,
                provider,
                metadata,
            }),
            false => Err(problems),
        }
    }

    /// A partial update: only the fields present, each valid.
    pub fn for_update(self) -> Result<CredentialChange, Vec<Problem>> {
        let mut problems = Vec::new();
        let name = self
            .name
            .map(|n| text("name", Some(n.as_str()), NAME_MAX_CHARS, &mut problems));
        let provider = self.provider.map(|p| {
            text(
                "provider",
                Some(p.as_str()),
                PROVIDER_MAX_CHARS,
                &mut problems,
            )
        });
        let metadata = self.metadata.map(|m| metadata(Some(m), &mut problems));
        match problems.is_empty() {
            true => Ok(CredentialChange {
                name,
                provider,
                metadata,
            }),
            false => Err(problems),
        }
    }
}

/// A secret is 1 byte to 16 KiB of text.
pub fn validate_secret(secret: &str) -> Result<(), Problem> {
    match secret.len() {
        0 => Err(Problem::new("secret", "secret must not be empty")),
        n if n > SECRET_MAX_BYTES => Err(Problem::new(
            "secret",
            format!("secret must be at most {SECRET_MAX_BYTES} bytes"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_are_inclusive() {
        let name = "n".repeat(NAME_MAX_CHARS);
        let input = CredentialInput {
            name: Some(name.clone()),
            provider: Some("p".repeat(PROVIDER_MAX_CHARS)),
            metadata: None,
        };
        assert_eq!(input.for_create().unwrap().name, name);
        let long = CredentialInput {
            name: Some(format!("{name}n")),
            provider: Some("p".repeat(PROVIDER_MAX_CHARS + 1)),
            metadata: Some(json!({"k": "v".repeat(METADATA_MAX_BYTES)})),
        };
        let fields: Vec<String> = long
            .for_create()
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["name", "provider", "metadata"]);
        assert!(validate_secret(&"s".repeat(SECRET_MAX_BYTES)).is_ok());
        assert!(validate_secret(&"s".repeat(SECRET_MAX_BYTES + 1)).is_err());
    }

    #[test]
    fn metadata_must_be_an_object() {
        for bad in [json!([]), json!("x"), json!(null), json!(1)] {
            let change = CredentialInput {
                metadata: Some(bad),
                ..Default::default()
            };
            assert_eq!(change.for_update().unwrap_err()[0].field, "metadata");
        }
    }

    #[test]
    fn an_update_names_only_what_it_changes() {
        let change = CredentialInput {
            provider: Some(" aws ".into()),
            ..Default::default()
        }
        .for_update()
        .unwrap();
        let now = Utc::now();
        let mut credential = Credential {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            owner_id: Uuid::nil(),
            name: "n".into(),
            provider: "gcp".into(),
            metadata: Map::new(),
            key_version: 1,
            created_at: now,
            updated_at: now,
            rotated_at: None,
        };
        assert!(change.clone().apply(&mut credential));
        assert_eq!(credential.provider, "aws");
        assert_eq!(credential.name, "n");
        assert!(
            !change.apply(&mut credential),
            "the same change again is none"
        );
    }
}
