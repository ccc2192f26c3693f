//! The latest verification of every audit chain, kept current in the background so that
//! readers (the dashboard) never walk a chain.
//!
//! A watch verifies each chain whole on its first pass (at server start), then, whenever
//! a chain has grown by `every` entries since its last verification, the entries appended
//! since (continuing from the last verified hash) and the head. `GET /audit-logs/verify`
//! and `castellan audit verify` still walk whole chains on demand.

use crate::audit::walk;
use crate::error::AppError;
use castellan_domain::audit::{ChainVerifier, Verification};
use castellan_ports::{AuditLog, Clock};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use uuid::Uuid;

/// A chain's latest verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainReport {
    /// No entry was altered, inserted or removed.
    pub valid: bool,
    /// Entries checked so far.
    pub checked: u64,
    /// When it was last verified.
    pub verified_at: DateTime<Utc>,
}

/// Where the watch is with one chain.
#[derive(Debug, Clone)]
struct Watched {
    verifier: ChainVerifier,
    verified_seq: i64,
    report: ChainReport,
}

#[derive(Debug, Default)]
struct State {
    chains: HashMap<Option<Uuid>, Watched>,
    /// When the last pass over every chain ended.
    last_pass: Option<DateTime<Utc>>,
}

/// The background verifier of the audit chains; cheap to clone (one shared state). The
/// server calls [`ChainWatch::pass`] at start and then every few seconds.
#[derive(Debug, Clone)]
pub struct ChainWatch {
    log: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    every: u64,
    state: Arc<RwLock<State>>,
}

impl ChainWatch {
    /// A watch over `log` that re-verifies a chain once it has grown by `every` entries
    /// (at least 1).
    pub fn new(log: Arc<dyn AuditLog>, clock: Arc<dyn Clock>, every: u64) -> Self {
        Self {
            log,
            clock,
            every: every.max(1),
            state: Arc::default(),
        }
    }

    /// The latest verification of `tenant`'s chain: `None` before the first pass; a chain
    /// without entries is valid with nothing checked, as of the last pass.
    pub fn latest(&self, tenant: Option<Uuid>) -> Option<ChainReport> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        match state.chains.get(&tenant) {
            Some(watched) => Some(watched.report),
            None => state.last_pass.map(|verified_at| ChainReport {
                valid: true,
                checked: 0,
                verified_at,
            }),
        }
    }

    /// The latest verification of every chain verified so far (`None`: the entries outside
    /// any tenant).
    pub fn reports(&self) -> Vec<(Option<Uuid>, ChainReport)> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state
            .chains
            .iter()
            .map(|(tenant, watched)| (*tenant, watched.report))
            .collect()
    }

    /// One pass: verifies every chain never verified or grown by `every` entries since;
    /// returns how many chains it verified.
    pub async fn pass(&self) -> Result<usize, AppError> {
        let heads = self.log.heads(None).await?;
        let mut verified = 0;
        for head in heads {
            let known = self
                .state
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .chains
                .get(&head.tenant_id)
                .cloned();
            let (mut verifier, after) = match known {
                // A broken chain stays broken: nothing more to learn from it.
                Some(w) if !w.report.valid => continue,
                Some(w) if head.last_seq - w.verified_seq < self.every as i64 => continue,
                Some(w) => (w.verifier, w.verified_seq),
                None => (ChainVerifier::default(), 0),
            };
            walk(self.log.as_ref(), &mut verifier, &head, after).await?;
            let Verification { valid, checked, .. } = verifier.finish();
            if !valid {
                tracing::error!(tenant_id = ?head.tenant_id, "audit chain is broken");
            }
            let report = ChainReport {
                valid,
                checked,
                verified_at: self.clock.now(),
            };
            let watched = Watched {
                verifier,
                verified_seq: head.last_seq,
                report,
            };
            self.state
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .chains
                .insert(head.tenant_id, watched);
            verified += 1;
        }
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .last_pass = Some(self.clock.now());
        Ok(verified)
    }
}
