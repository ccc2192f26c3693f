//! The audit trail's use cases: the events the other use cases record (built here, with
//! the current request's facts), denials, and reading, exporting and verifying the log.
//!
//! Changes are recorded by the repositories in the transaction of the change (their write
//! methods take the [`Event`]); only events without a change of their own (a failed
//! login, a denial) are appended here directly.

use crate::auth::Principal;
use crate::error::{AppError, Denial};
use crate::guard::{visible_rows, Listing};
use castellan_domain::audit::{Actor, ChainVerifier, Entry, Event, Outcome, Verification};
use castellan_domain::rbac::Scope;
use castellan_ports::audit::current_request;
use castellan_ports::scope::{self, scoped};
use castellan_ports::{AuditLog, AuditQuery, ChainHead, Clock};
use chrono::{DateTime, Utc};
use futures::stream::{self, Stream};
use futures::TryStreamExt;
use std::sync::Arc;
use uuid::Uuid;

/// The element key.
pub const ELEMENT: &str = "audit_log";
/// Entries read per round trip while exporting or verifying.
const BATCH: u32 = 500;

/// Checks one chain's entries after `after` up to its head (`seq <= head.last_seq`: entries
/// appended meanwhile wait for the next walk), reading them in batches, then the head.
pub(crate) async fn walk(
    log: &dyn AuditLog,
    verifier: &mut ChainVerifier,
    head: &ChainHead,
    mut after: i64,
) -> Result<(), AppError> {
    while after < head.last_seq {
        let batch = log.chain(head.tenant_id, after, BATCH).await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.seq;
        let intact = batch
            .iter()
            .take_while(|entry| entry.seq <= head.last_seq)
            .all(|entry| verifier.check(entry));
        if !intact || batch.len() < BATCH as usize {
            break;
        }
    }
    verifier.check_head(head.last_seq, &head.last_hash);
    Ok(())
}

/// `action` by `actor` in `tenant` at `now`, with the current request's id, address and
/// user agent.
pub fn event(action: &str, actor: Actor, tenant: Option<Uuid>, now: DateTime<Utc>) -> Event {
    let facts = current_request();
    let ip = facts.ip.map(|ip| ip.to_string());
    Event::new(action, actor, tenant, now).request(facts.request_id, ip, facts.user_agent)
}

impl Principal {
    /// Who the caller is, for the audit trail: the user, or the API key acting for them.
    pub fn actor(&self) -> Actor {
        match self.api_key() {
            Some(key) => Actor::api_key(key.id),
            None => Actor::user(self.user.id.0),
        }
    }

    /// `action` by the caller on something of `tenant` (a key's entries name its owner in
    /// `metadata.owner_id`).
    pub fn event(&self, action: &str, tenant: Uuid, now: DateTime<Utc>) -> Event {
        let event = event(action, self.actor(), Some(tenant), now);
        match self.api_key() {
            Some(key) => event.meta("owner_id", key.owner_id.to_string()),
            None => event,
        }
    }
}

/// What a list or export selects (validated by the API layer).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// `?actor_id=`.
    pub actor_id: Option<Uuid>,
    /// `?action=`.
    pub action: Option<String>,
    /// `?target_type=`.
    pub target_type: Option<String>,
    /// `?target_id=`.
    pub target_id: Option<String>,
    /// `?outcome=`.
    pub outcome: Option<Outcome>,
    /// `?since=`.
    pub since: Option<DateTime<Utc>>,
    /// `?until=`.
    pub until: Option<DateTime<Utc>>,
    /// `?tenant_id=` (superusers only).
    pub tenant_id: Option<Uuid>,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct AuditListPage {
    /// Newest first.
    pub entries: Vec<Entry>,
    /// Pass as `?cursor=` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// The audit trail's use cases.
#[derive(Debug, Clone)]
pub struct AuditService {
    log: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
}

impl AuditService {
    /// A service over `log`.
    pub fn new(log: Arc<dyn AuditLog>, clock: Arc<dyn Clock>) -> Self {
        Self { log, clock }
    }

    /// Appends an event that has no change of its own (a failed login, say).
    pub async fn record(&self, event: &Event) -> Result<(), AppError> {
        self.log.append(event).await?;
        Ok(())
    }

    /// Records a refusal (every 403): the caller (anonymous without one), the element and
    /// action refused, in the caller's tenant.
    pub async fn record_denial(
        &self,
        caller: Option<&Principal>,
        denial: &Denial,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let element = denial.element.as_deref().unwrap_or("unknown");
        let verb = denial.action.as_deref().unwrap_or("access");
        let action = format!("{element}.{verb}");
        let mut event = match caller {
            Some(p) => p.event(&action, p.tenant_id().0, now),
            None => event(&action, Actor::anonymous(), None, now),
        }
        .outcome(Outcome::Denied)
        .meta("element", element)
        .meta("action", verb)
        .meta("reason", denial.message.as_str());
        event.target_type = Some(element.to_string());
        event.target_id.clone_from(&denial.target_id);
        self.record(&event).await
    }

    /// A page of the entries the caller may read, newest first: the caller's tenant with
    /// read-all, only what they did themselves with read-own; superusers see every tenant
    /// (or the one they filter on) and the entries outside any tenant.
    pub async fn list(
        &self,
        p: &Principal,
        filter: AuditFilter,
        cursor: Option<&str>,
        per_page: u32,
    ) -> Result<AuditListPage, AppError> {
        let before = cursor.map(parse_cursor).transpose()?;
        let Some(query) = Self::query(p, filter)? else {
            return Ok(AuditListPage {
                entries: Vec::new(),
                next_cursor: None,
            });
        };
        let query = AuditQuery {
            before,
            limit: per_page,
            ..query
        };
        let page = self.log.list(&query).await?;
        Ok(AuditListPage {
            entries: page.entries,
            next_cursor: page.next.map(|position| format!("{position:x}")),
        })
    }

    /// Every entry [`AuditService::list`] would page through, as a stream read in batches
    /// (so an export of any size holds one batch in memory). Checks access up front.
    pub fn export(
        &self,
        p: &Principal,
        filter: AuditFilter,
    ) -> Result<impl Stream<Item = Result<Entry, AppError>> + Send + 'static, AppError> {
        // Nothing to see: the stream starts finished.
        let query = Self::query(p, filter)?;
        let log = Arc::clone(&self.log);
        // The stream is polled by the HTTP layer, outside the request's task: carry the
        // request's data scope along so row-level security still applies.
        let data_scope = scope::current();
        let pages = stream::try_unfold(query, move |next| {
            let log = Arc::clone(&log);
            async move {
                let Some(query) = next else {
                    return Ok(None);
                };
                let page = scoped(data_scope, log.list(&query)).await?;
                let following = page.next.map(|before| AuditQuery {
                    before: Some(before),
                    ..query
                });
                Ok::<_, AppError>(Some((page.entries, following)))
            }
        });
        Ok(pages
            .map_ok(|entries| stream::iter(entries.into_iter().map(Ok::<_, AppError>)))
            .try_flatten())
    }

    /// Checks the caller's tenant's chain (superusers: the `tenant` they name, or every
    /// chain). Needs read-all on `audit_log`.
    pub async fn verify(
        &self,
        p: &Principal,
        tenant: Option<Uuid>,
    ) -> Result<Verification, AppError> {
        if p.subject.list_scope(ELEMENT) != Ok(Scope::All) {
            return Err(Denial::new(ELEMENT, "read")
                .because("verifying the audit trail needs read-all on audit_log")
                .into());
        }
        let chains = match (p.subject.is_superuser(), tenant) {
            (true, None) => None,
            (true, Some(tenant)) => Some(Some(tenant)),
            (false, None) => Some(Some(p.tenant_id().0)),
            (false, Some(_)) => {
                return Err(AppError::field(
                    "tenant_id",
                    "only superusers may filter by tenant",
                ))
            }
        };
        let reports = self.verify_chains(chains).await?;
        Ok(combine(reports.iter().map(|(_, report)| *report)))
    }

    /// Checks chains one by one (`None`: every chain the data scope lets through;
    /// `Some(None)`: the chain without a tenant), reading each in batches.
    pub async fn verify_chains(
        &self,
        chains: Option<Option<Uuid>>,
    ) -> Result<Vec<(Option<Uuid>, Verification)>, AppError> {
        let heads = self.log.heads(chains).await?;
        let mut reports = Vec::with_capacity(heads.len());
        for head in heads {
            let mut verifier = ChainVerifier::default();
            walk(self.log.as_ref(), &mut verifier, &head, 0).await?;
            let report = verifier.finish();
            if !report.valid {
                tracing::error!(
                    tenant_id = ?head.tenant_id,
                    first_invalid_seq = ?report.first_invalid_seq,
                    "audit chain is broken"
                );
            }
            reports.push((head.tenant_id, report));
        }
        Ok(reports)
    }

    /// The port query for the caller's view of the log: the guard's rows of `audit_log`,
    /// where an entry's "owner" is its actor (read-own: what the caller did).
    fn query(p: &Principal, filter: AuditFilter) -> Result<Option<AuditQuery>, AppError> {
        let Listing::Rows(rows) = visible_rows(p, ELEMENT, filter.tenant_id, filter.actor_id)?
        else {
            return Ok(None);
        };
        Ok(Some(AuditQuery {
            tenant_id: rows.tenant_id,
            actor_id: rows.owner_id,
            action: filter.action,
            target_type: filter.target_type,
            target_id: filter.target_id,
            outcome: filter.outcome,
            since: filter.since,
            until: filter.until,
            before: None,
            limit: BATCH,
        }))
    }
}

/// A cursor as the position it stands for.
fn parse_cursor(cursor: &str) -> Result<i64, AppError> {
    let digits = (1..=15).contains(&cursor.len()) && cursor.bytes().all(|b| b.is_ascii_hexdigit());
    digits
        .then(|| i64::from_str_radix(cursor, 16).ok())
        .flatten()
        .ok_or_else(|| AppError::field("cursor", "not a cursor this API returned"))
}

/// Several chains' reports as one: valid when all are; the first broken chain's `seq`.
fn combine(reports: impl Iterator<Item = Verification>) -> Verification {
    reports.fold(
        Verification {
            valid: true,
            checked: 0,
            first_invalid_seq: None,
        },
        |total, report| Verification {
            valid: total.valid && report.valid,
            checked: total.checked + report.checked,
            first_invalid_seq: total.first_invalid_seq.or(report.first_invalid_seq),
        },
    )
}
