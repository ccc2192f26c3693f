//! `/audit-logs`: reading, exporting and verifying the audit trail.

pub(crate) mod dto;

use super::{endpoint, on, Routes};
use crate::envelope::{ok, ok_cursor_page, CursorMeta, Envelope, ErrorEnvelope, ListEnvelope};
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::list::{per_page, text_param as text, uuid_param, QueryMap};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use castellan_application::AuditFilter;
use castellan_domain::audit::Outcome;
use chrono::{DateTime, Utc};
use dto::{AuditEntryDto, AuditVerificationDto};
use futures::StreamExt;

pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint("/audit-logs", [on::get(list)]))
        .service(endpoint("/audit-logs/export", [on::get(export)]))
        .service(endpoint("/audit-logs/verify", [on::get(verify)]));
}

/// An optional RFC 3339 time (given but empty or malformed: 400).
fn time(query: &QueryMap, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    query
        .get(name)
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::field(name, format!("{name} must be an RFC 3339 time")))
        })
        .transpose()
}

/// The filters every audit route (and the console's audit page) shares.
pub(crate) fn filter(query: &QueryMap) -> Result<AuditFilter, ApiError> {
    let outcome = query
        .get("outcome")
        .map(|raw| {
            Outcome::parse(raw).ok_or_else(|| {
                ApiError::field("outcome", "outcome must be success, failure or denied")
            })
        })
        .transpose()?;
    Ok(AuditFilter {
        actor_id: uuid_param(query, "actor_id")?,
        action: text(query, "action"),
        target_type: text(query, "target_type"),
        target_id: text(query, "target_id"),
        outcome,
        since: time(query, "since")?,
        until: time(query, "until")?,
        tenant_id: uuid_param(query, "tenant_id")?,
    })
}

/// Audit entries, newest first, a page at a time: with read-all on `audit_log` the
/// caller's tenant's entries, with read-own only the caller's own actions; superusers see
/// every tenant (`?tenant_id=` for one) and the entries outside any tenant.
#[utoipa::path(get, path = "/api/v1/audit-logs", tag = "audit", security(("bearer" = [])),
    params(
        ("actor_id" = Option<Uuid>, Query, description = "Who acted"),
        ("action" = Option<String>, Query, description = "Exact action, e.g. `auth.login`"),
        ("target_type" = Option<String>, Query, description = "Element key of the target"),
        ("target_id" = Option<String>, Query, description = "The target's id"),
        ("outcome" = Option<String>, Query, description = "`success`, `failure` or `denied`"),
        ("since" = Option<String>, Query, description = "RFC 3339; `occurred_at >= since`"),
        ("until" = Option<String>, Query, description = "RFC 3339; `occurred_at < until`"),
        ("tenant_id" = Option<Uuid>, Query, description = "Superusers only (400 otherwise)"),
        ("cursor" = Option<String>, Query, description = "`meta.next_cursor` of the previous page"),
        ("per_page" = Option<u32>, Query, description = "1–200, default 50"),
    ),
    responses(
        (status = 200, description = "A page; `meta.next_cursor` is null on the last", body = ListEnvelope<AuditEntryDto, CursorMeta>),
        (status = 400, description = "A malformed filter, cursor or `per_page` (`field` names it)", body = ErrorEnvelope),
        (status = 403, description = "No read rule on `audit_log`", body = ErrorEnvelope),
    ))]
pub(crate) async fn list(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let filter = filter(&query)?;
    let per_page = per_page(&query)?;
    let cursor = query.get("cursor").map(String::as_str);
    let page = state.audit.list(&p, filter, cursor, per_page).await?;
    Ok(ok_cursor_page(
        page.entries.into_iter().map(AuditEntryDto::from).collect(),
        per_page,
        page.next_cursor,
    ))
}

/// Every entry the list would page through, as NDJSON (`application/x-ndjson`, one entry
/// per line, newest first), streamed as it is read. Same filters as the list. Should the
/// database fail midway, the stream stops short (the connection is closed without a final
/// chunk), so a truncated export is never mistaken for a complete one.
#[utoipa::path(get, path = "/api/v1/audit-logs/export", tag = "audit", security(("bearer" = [])),
    params(
        ("actor_id" = Option<Uuid>, Query, description = "Who acted"),
        ("action" = Option<String>, Query, description = "Exact action"),
        ("target_type" = Option<String>, Query, description = "Element key of the target"),
        ("target_id" = Option<String>, Query, description = "The target's id"),
        ("outcome" = Option<String>, Query, description = "`success`, `failure` or `denied`"),
        ("since" = Option<String>, Query, description = "RFC 3339"),
        ("until" = Option<String>, Query, description = "RFC 3339"),
        ("tenant_id" = Option<Uuid>, Query, description = "Superusers only"),
    ),
    responses(
        (status = 200, description = "NDJSON: one `AuditEntry` object per line", content_type = "application/x-ndjson", body = AuditEntryDto),
        (status = 400, description = "A malformed filter", body = ErrorEnvelope),
        (status = 403, description = "No read rule on `audit_log`", body = ErrorEnvelope),
    ))]
pub(crate) async fn export(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    ndjson(&state, &p, &query)
}

/// The NDJSON export of what `query` selects, as `p` may read it (shared with the console).
pub(crate) fn ndjson(
    state: &AppState,
    p: &castellan_application::Principal,
    query: &QueryMap,
) -> ApiResult {
    let entries = state.audit.export(p, filter(query)?)?;
    let lines = entries.map(|entry| {
        let entry = entry.map_err(ApiError::from)?;
        let mut line = serde_json::to_vec(&AuditEntryDto::from(entry))
            .map_err(|e| ApiError::App(castellan_application::AppError::Internal(e.to_string())))?;
        line.push(b'\n');
        Ok::<_, ApiError>(Bytes::from(line))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/x-ndjson"))
        .streaming(lines))
}

/// Checks the hash chain: every entry's hash, every link, no gap, and the chain's recorded
/// end. Needs read-all on `audit_log`; covers the caller's tenant (superusers: every chain,
/// or `?tenant_id=`).
#[utoipa::path(get, path = "/api/v1/audit-logs/verify", tag = "audit", security(("bearer" = [])),
    params(("tenant_id" = Option<Uuid>, Query, description = "Superusers only: one tenant's chain")),
    responses(
        (status = 200, description = "The verdict (also 200 when the chain is broken: `valid: false`)", body = Envelope<AuditVerificationDto>),
        (status = 403, description = "No read-all rule on `audit_log`", body = ErrorEnvelope),
    ))]
pub(crate) async fn verify(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let tenant = uuid_param(&query, "tenant_id")?;
    let report = state.audit.verify(&p, tenant).await?;
    Ok(ok(AuditVerificationDto::from(report)))
}
