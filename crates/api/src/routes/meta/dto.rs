//! Bodies of `/health` and `/ready`.

use serde::Serialize;
use utoipa::ToSchema;

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
