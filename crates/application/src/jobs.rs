//! Background jobs: the housekeeping `castellan serve` schedules (and `castellan jobs run`
//! runs once). Leased jobs run once per period across every replica: a run first claims
//! its period in the job's lease row. The audit-chain verification is not leased: each
//! replica keeps its own verdict (read-only, incremental), which its dashboard and its
//! `audit_chain_valid` gauge report.

use crate::chain_watch::ChainWatch;
use crate::error::AppError;
use castellan_ports::{Clock, Housekeeping, JobLeases};
use chrono::Duration;
use std::fmt;
use std::sync::Arc;

/// A background job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Expired sessions (with their refresh tokens) and blocklist entries removed.
    Sessions,
    /// Invitations never accepted removed some time after they expired.
    Invitations,
    /// The audit chains verified (incrementally); a broken chain is logged as an error.
    AuditChains,
}

impl Job {
    /// Every job.
    pub const ALL: [Job; 3] = [Job::Sessions, Job::Invitations, Job::AuditChains];

    /// Its name (`castellan jobs run <name>`, the `job` label of its metrics).
    pub const fn name(self) -> &'static str {
        match self {
            Job::Sessions => "sessions",
            Job::Invitations => "invitations",
            Job::AuditChains => "audit_chains",
        }
    }

    /// The job named `name`.
    ///
    /// ```
    /// use castellan_application::jobs::Job;
    /// assert_eq!(Job::parse("sessions"), Some(Job::Sessions));
    /// assert_eq!(Job::parse("coffee"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|job| job.name() == name)
    }

    /// Whether replicas share one run per period (a lease) or each run their own.
    pub const fn is_leased(self) -> bool {
        !matches!(self, Job::AuditChains)
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobReport {
    /// The job.
    pub job: Job,
    /// Rows removed, or chains verified.
    pub done: u64,
}

impl fmt::Display for JobReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.job {
            Job::AuditChains => write!(f, "{}: {} chain(s) verified", self.job, self.done),
            _ => write!(f, "{}: {} row(s) removed", self.job, self.done),
        }
    }
}

/// The ports the jobs need.
#[derive(Debug, Clone)]
pub struct JobPorts {
    /// The lease rows.
    pub leases: Arc<dyn JobLeases>,
    /// The expired data.
    pub housekeeping: Arc<dyn Housekeeping>,
    /// The audit chains' verifier.
    pub chains: ChainWatch,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// Runs the jobs.
#[derive(Debug, Clone)]
pub struct JobRunner {
    ports: JobPorts,
    invitation_retention: Duration,
}

impl JobRunner {
    /// A runner; invitations are removed `invitation_retention_secs` after they expired.
    pub fn new(ports: JobPorts, invitation_retention_secs: i64) -> Self {
        Self {
            ports,
            invitation_retention: Duration::seconds(invitation_retention_secs),
        }
    }

    /// Runs `job` now, whatever its lease says (`castellan jobs run`).
    pub async fn run(&self, job: Job) -> Result<JobReport, AppError> {
        let now = self.ports.clock.now();
        let done = match job {
            Job::Sessions => {
                let sessions = self.ports.housekeeping.purge_sessions(now).await?;
                let revocations = self.ports.housekeeping.purge_revocations(now).await?;
                sessions + revocations
            }
            Job::Invitations => {
                let before = now - self.invitation_retention;
                self.ports.housekeeping.purge_invitations(before).await?
            }
            // The watch logs an error line when it finds a chain broken.
            Job::AuditChains => u64::try_from(self.ports.chains.pass().await?).unwrap_or(u64::MAX),
        };
        Ok(JobReport { job, done })
    }

    /// Runs `job` when this replica claims its period of `period_secs` (leased jobs), or
    /// always (the others); `None` when another replica has this period.
    pub async fn run_if_due(
        &self,
        job: Job,
        period_secs: u64,
    ) -> Result<Option<JobReport>, AppError> {
        if job.is_leased() {
            let now = self.ports.clock.now();
            if !self
                .ports
                .leases
                .claim(job.name(), period_secs, now)
                .await?
            {
                return Ok(None);
            }
        }
        self.run(job).await.map(Some)
    }
}
