//! Bodies of `/audit-logs`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One field's value before and after a change (secret-named fields: `"***"`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChangeDto {
    /// The old value (`null` on creation): any JSON value.
    #[schema(value_type = Value)]
    pub before: serde_json::Value,
    /// The new value (`null` on deletion): any JSON value.
    #[schema(value_type = Value)]
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
