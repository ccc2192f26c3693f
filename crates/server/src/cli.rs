//! The command line.

use clap::{Parser, Subcommand};

/// Castellan: identity and access control.
#[derive(Debug, Parser)]
#[command(
    name = "castellan",
    version,
    about = "Castellan: identity and access control (JWT sign-in with revocation, RBAC, tenants, audit trail).",
    long_about = "Castellan: identity and access control (JWT sign-in with revocation, RBAC, tenants, audit trail).\n\n\
        `castellan serve` starts the HTTP API. With no configuration it runs on the embedded default: \
        a SQLite database at ./data/castellan.db and an in-process token store, listening on 127.0.0.1:8080.\n\n\
        Configuration: the built-in defaults, then the TOML file named by CASTELLAN_CONFIG, then \
        environment variables CASTELLAN__<SECTION>__<KEY> (e.g. CASTELLAN__DATABASE__URL=postgres://... \
        and CASTELLAN__REDIS__URL=redis://... for production)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Create a superuser (password from a prompt or CASTELLAN_SUPERUSER_PASSWORD).
    CreateSuperuser {
        /// The superuser's email.
        #[arg(long)]
        email: String,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// PostgreSQL row-level security.
    Rls {
        /// What to do.
        #[command(subcommand)]
        command: RlsCommand,
    },
    /// The audit trail.
    Audit {
        /// What to do.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Background jobs.
    Jobs {
        /// What to do.
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// The credential vault's keys.
    Keys {
        /// What to do.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Load data (idempotent).
    Seed {
        /// The demo users (admin, user, guest) and their articles.
        #[arg(long, required = true)]
        demo: bool,
        /// Also the Pharma roles (QA, Operator), their users (qa@example.com / qapass,
        /// operator@example.com / operatorpass) and a small data set: 2 sites, 5 batches,
        /// 50 serializations, inspections.
        #[arg(long)]
        pharma: bool,
        /// First remove what earlier demo seeds created (and nothing else).
        #[arg(long)]
        reset: bool,
    },
}

/// `castellan rls ...`.
#[derive(Debug, Subcommand)]
pub enum RlsCommand {
    /// Print every table with its row-level-security state and policies.
    Status,
}

/// `castellan jobs ...`.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run a job once now (every job without NAME): sessions, invitations, audit_chains.
    Run {
        /// The job.
        #[arg(value_parser = parse_job)]
        name: Option<castellan_application::jobs::Job>,
    },
}

fn parse_job(raw: &str) -> Result<castellan_application::jobs::Job, String> {
    castellan_application::jobs::Job::parse(raw)
        .ok_or_else(|| format!("{raw:?} is not a job (sessions, invitations, audit_chains)"))
}

/// `castellan keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a key-encryption key version and re-wrap every data key with it, in batches,
    /// while servers keep running. Interrupted (even by kill -9), run it again: it finishes
    /// the same rotation instead of starting another.
    RotateKek {
        /// Data keys per batch.
        #[arg(long, default_value_t = 500, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
        batch: usize,
        /// Milliseconds to pause after each batch (to spare a busy database).
        #[arg(long, default_value_t = 0)]
        pause_ms: u64,
    },
}

/// `castellan audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chains: prints one line per chain and the first broken `seq`; exits
    /// with status 1 when any chain is broken.
    Verify {
        /// Only this tenant's chain (a UUID, or `none` for the entries outside any tenant).
        #[arg(long, value_parser = parse_chain)]
        tenant: Option<Chain>,
    },
}

/// A chain named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain(pub Option<uuid::Uuid>);

fn parse_chain(raw: &str) -> Result<Chain, String> {
    match raw {
        "none" => Ok(Chain(None)),
        other => other
            .parse()
            .map(|id| Chain(Some(id)))
            .map_err(|_| format!("{other:?} is neither a tenant UUID nor `none`")),
    }
}
