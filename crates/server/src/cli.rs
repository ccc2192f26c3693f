//! The command line.

use clap::{Parser, Subcommand};

/// Castellan: identity and access control.
#[derive(Debug, Parser)]
#[command(name = "castellan", version, about)]
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
    /// Load data (idempotent).
    Seed {
        /// The demo users (admin, user, guest) and their articles.
        #[arg(long, required = true)]
        demo: bool,
        /// First remove what an earlier demo seed created (and nothing else).
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
