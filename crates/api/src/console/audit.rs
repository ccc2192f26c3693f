//! The audit log: filters, cursor pages, the chain's status and the NDJSON export, through
//! the same audit use cases (and the same filter parsing) as `/api/v1/audit-logs`.

use super::page::{encode, ok, Chrome, Page};
use super::session::Console;
use crate::list::{per_page, QueryMap};
use crate::routes::audit::{filter, ndjson};
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use askama::Template;
use serde_json::Value;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(audit))
        .route("/audit/export", web::get().to(export));
}

/// The filters the page offers (query names and labels).
const FILTERS: [(&str, &str); 5] = [
    ("action", "Action (e.g. auth.login)"),
    ("actor_id", "Actor id"),
    ("target_type", "Target type"),
    ("outcome", "Outcome (success, failure, denied)"),
    ("since", "Since (RFC 3339)"),
];

#[derive(Debug, Clone)]
struct FilterField {
    name: &'static str,
    label: &'static str,
    value: String,
}

#[derive(Debug, Clone)]
struct Row {
    seq: String,
    occurred_at: String,
    actor: String,
    action: String,
    target: String,
    outcome: String,
    ip: String,
}

fn text(entry: &Value, key: &str) -> String {
    match &entry[key] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Row {
    fn of(entry: &Value) -> Self {
        Row {
            seq: text(entry, "seq"),
            occurred_at: text(entry, "occurred_at"),
            actor: format!("{} {}", text(entry, "actor_type"), text(entry, "actor_id")),
            action: text(entry, "action"),
            target: format!(
                "{} {}",
                text(entry, "target_type"),
                text(entry, "target_id")
            ),
            outcome: text(entry, "outcome"),
            ip: text(entry, "ip"),
        }
    }
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    filters: Vec<FilterField>,
    rows: Vec<Row>,
    chain: Option<String>,
    chain_ok: bool,
    next: Option<String>,
    first: Option<String>,
    export: String,
}

/// `GET /console/audit?action=&...&cursor=`: newest first, a cursor page at a time.
async fn audit(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    query: web::Query<QueryMap>,
) -> Page {
    let per_page = per_page(&query)?;
    let cursor = query.get("cursor").map(String::as_str);
    let page = state
        .audit
        .list(&p, filter(&query)?, cursor, per_page)
        .await?;
    // The chain's status needs read-all: a read-own caller sees the list without it.
    let verification = state.audit.verify(&p, None).await.ok();
    let kept: Vec<(&str, String)> = FILTERS
        .iter()
        .map(|(name, _)| *name)
        .chain(["per_page"])
        .filter_map(|name| query.get(name).map(|v| (name, v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let link = |extra: Option<(&'static str, String)>| {
        let mut pairs = kept.clone();
        pairs.extend(extra);
        format!("/console/audit?{}", encode(&pairs))
    };
    let filters = FILTERS
        .iter()
        .map(|&(name, label)| FilterField {
            name,
            label,
            value: query.get(name).cloned().unwrap_or_default(),
        })
        .collect();
    ok(&AuditPage {
        chrome: Chrome::new(&req, &p, "Audit log"),
        filters,
        rows: page.entries.iter().map(|e| Row::of(&e.to_json())).collect(),
        chain_ok: verification.is_some_and(|v| v.valid),
        chain: verification.map(|v| match (v.valid, v.first_invalid_seq) {
            (true, _) => format!("intact: {} entries checked", v.checked),
            (false, Some(seq)) => format!("BROKEN at entry {seq} ({} checked)", v.checked),
            (false, None) => format!("BROKEN ({} checked)", v.checked),
        }),
        next: page.next_cursor.map(|c| link(Some(("cursor", c)))),
        first: cursor.map(|_| link(None)),
        export: format!("/console/audit/export?{}", encode(&kept)),
    })
}

/// `GET /console/audit/export?...`: the NDJSON export of the API.
async fn export(
    state: web::Data<AppState>,
    Console(p): Console,
    query: web::Query<QueryMap>,
) -> Page {
    let mut response = ndjson(&state, &p, &query)?;
    response.headers_mut().insert(
        actix_web::http::header::CONTENT_DISPOSITION,
        actix_web::http::header::HeaderValue::from_static("attachment; filename=\"audit.ndjson\""),
    );
    Ok(response)
}
