//! The dashboard's representation.

use castellan_application::{ChainReport, Dashboard};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// A tenant's accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserFiguresDto {
    /// Every account, active or not.
    pub total: u64,
    /// Active accounts.
    pub active: u64,
}

/// Logins of the last 24 hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginFiguresDto {
    /// Successful logins.
    pub success: u64,
    /// Failed logins (a wrong password for one of the tenant's accounts).
    pub failure: u64,
}

/// Tasks per status.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskFiguresDto {
    /// `todo`.
    pub todo: u64,
    /// `in_progress`.
    pub in_progress: u64,
    /// `done`.
    pub done: u64,
}

/// The tenant's audit chain as last verified in the background (at server start, then
/// whenever the chain has grown by `audit.verify_after_writes` entries); never computed
/// per request.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditFiguresDto {
    /// No entry altered, inserted or removed; `null` until the first verification ends.
    pub valid: Option<bool>,
    /// Entries checked.
    pub checked: u64,
    /// When; `null` until the first verification ends.
    pub verified_at: Option<DateTime<Utc>>,
}

/// A tenant's live figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardDto {
    /// The tenant.
    pub tenant_id: Uuid,
    /// Its accounts.
    pub users: UserFiguresDto,
    /// Logins of the last 24 hours.
    pub logins_24h: LoginFiguresDto,
    /// Sessions neither revoked nor expired.
    pub active_sessions: u64,
    /// Denials (403s) of the last 24 hours.
    pub denials_24h: u64,
    /// Objects per business element (`article`, `project`, `workflow`, `task`, `site`,
    /// `batch`, `serialization`, `inspection`).
    #[schema(value_type = BTreeMap<String, u64>)]
    pub objects: BTreeMap<&'static str, u64>,
    /// Tasks per status.
    pub tasks_by_status: TaskFiguresDto,
    /// The audit chain's latest background verification.
    pub audit: AuditFiguresDto,
}

fn count_of(counts: &[(&'static str, u64)], key: &str) -> u64 {
    counts
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(0, |(_, n)| *n)
}

impl From<Dashboard> for DashboardDto {
    fn from(d: Dashboard) -> Self {
        let audit = match d.audit {
            Some(ChainReport {
                valid,
                checked,
                verified_at,
            }) => AuditFiguresDto {
                valid: Some(valid),
                checked,
                verified_at: Some(verified_at),
            },
            None => AuditFiguresDto {
                valid: None,
                checked: 0,
                verified_at: None,
            },
        };
        DashboardDto {
            tenant_id: d.tenant_id,
            users: UserFiguresDto {
                total: d.users.total,
                active: d.users.active,
            },
            logins_24h: LoginFiguresDto {
                success: d.last_24h.login_success,
                failure: d.last_24h.login_failure,
            },
            active_sessions: d.active_sessions,
            denials_24h: d.last_24h.denials,
            tasks_by_status: TaskFiguresDto {
                todo: count_of(&d.tasks_by_status, "todo"),
                in_progress: count_of(&d.tasks_by_status, "in_progress"),
                done: count_of(&d.tasks_by_status, "done"),
            },
            objects: d.objects.into_iter().collect(),
            audit,
        }
    }
}
