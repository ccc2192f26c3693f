//! The `castellan` binary's commands: what `main` runs (in the library, so that the
//! black-box tests can build a binary of their own that behaves the same).

use crate::cli::{AuditCommand, Cli, Command, JobsCommand, KeysCommand, RlsCommand};
use crate::settings::Settings;
use crate::startup::{self, Application};
use crate::telemetry;
use castellan_application::jobs::Job;
use castellan_application::vault::{RotationOptions, RotationProgress};
use castellan_application::{SeedOptions, SeedReport};
use clap::Parser;
use std::process::ExitCode;

/// Parses the command line, loads the configuration and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        return print_openapi();
    }
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&settings.log);
    let result = actix_web::rt::System::new().block_on(run(cli.command, settings));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "castellan failed");
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn print_openapi() -> ExitCode {
    match serde_json::to_string_pretty(&castellan_api::openapi()) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve => {
            let app = Application::build(&settings).await?;
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            let applied = startup::migrate(&settings).await?;
            println!("applied {applied} migration(s)");
        }
        Command::CreateSuperuser { email } => {
            let password = match std::env::var("CASTELLAN_SUPERUSER_PASSWORD") {
                Ok(password) => password,
                Err(_) => rpassword::prompt_password("Password: ")?,
            };
            startup::migrate(&settings).await?;
            let auth = startup::services(&settings).await?.auth;
            let user = auth
                .create_superuser(&email, password)
                .await
                .map_err(|e| match e {
                    castellan_application::AppError::Validation(errors) => errors
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                })?;
            println!("created superuser {} ({})", user.user.email, user.user.id);
        }
        Command::Seed {
            demo: _,
            pharma,
            reset,
        } => {
            startup::migrate(&settings).await?;
            let services = startup::services(&settings).await?;
            let report = services.seed.run(SeedOptions { reset, pharma }).await?;
            print_seed_report(&report, &settings);
        }
        Command::Rls {
            command: RlsCommand::Status,
        } => {
            let url = settings.database.url.trim();
            if !url.starts_with("postgres") {
                println!("row-level security is PostgreSQL-only; database.url is {url}");
                return Ok(());
            }
            let tables = castellan_adapters_sql::postgres::rls_status(url).await?;
            println!("{:<24} {:<8} {:<7} policies", "table", "enabled", "forced");
            for t in tables {
                let policies = t.policies.unwrap_or_else(|| "-".into());
                println!(
                    "{:<24} {:<8} {:<7} {policies}",
                    t.table, t.enabled, t.forced
                );
            }
        }
        Command::Audit {
            command: AuditCommand::Verify { tenant },
        } => verify_audit(&settings, tenant.map(|chain| chain.0)).await?,
        Command::Jobs {
            command: JobsCommand::Run { name },
        } => {
            startup::migrate(&settings).await?;
            let jobs = startup::services(&settings).await?.jobs;
            let chosen = name.map_or_else(|| Job::ALL.to_vec(), |job| vec![job]);
            for job in chosen {
                println!("{}", jobs.run(job).await?);
            }
        }
        Command::Keys {
            command: KeysCommand::RotateKek { batch, pause_ms },
        } => rotate_kek(&settings, batch, pause_ms).await?,
        Command::Openapi => {}
    }
    Ok(())
}

/// `castellan audit verify`: one line per chain; an error (exit status 1) when any is broken.
async fn verify_audit(
    settings: &Settings,
    tenant: Option<Option<uuid::Uuid>>,
) -> Result<(), Box<dyn std::error::Error>> {
    startup::migrate(settings).await?;
    let audit = startup::services(settings).await?.audit;
    let reports = audit.verify_chains(tenant).await?;
    println!("{:<38} {:>9}  status", "chain", "checked");
    let mut broken = 0;
    for (chain, report) in &reports {
        let chain = chain.map_or_else(|| "none (no tenant)".to_string(), |id| id.to_string());
        let status = match report.first_invalid_seq {
            None => "valid".to_string(),
            Some(seq) => {
                broken += 1;
                format!("BROKEN at seq {seq}")
            }
        };
        println!("{chain:<38} {:>9}  {status}", report.checked);
    }
    match broken {
        0 => {
            println!("{} chain(s) valid", reports.len());
            Ok(())
        }
        n => Err(format!("{n} audit chain(s) broken").into()),
    }
}

/// `castellan keys rotate-kek`: a new KEK version, every data key re-wrapped (or an
/// interrupted rotation finished), with a progress line per batch.
async fn rotate_kek(
    settings: &Settings,
    batch: usize,
    pause_ms: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    startup::migrate(settings).await?;
    let rotation = startup::services(settings).await?.key_rotation;
    let options = RotationOptions {
        batch,
        pause: std::time::Duration::from_millis(pause_ms),
        // Servers look at the key file about once a second.
        settle: castellan_adapters_crypto::vault::RECHECK * 2,
    };
    let report = rotation
        .run(options, |p: RotationProgress| {
            println!(
                "re-wrapped {}/{} data key(s) to KEK version {}",
                p.rewrapped, p.total, p.version
            );
        })
        .await?;
    let how = match report.resumed {
        true => "resumed an interrupted rotation",
        false => "created",
    };
    println!(
        "KEK version {} ({how}): {} data key(s) re-wrapped, {} replaced meanwhile",
        report.version, report.rewrapped, report.replaced_meanwhile
    );
    for (id, reason) in &report.failed {
        eprintln!("credential {id}: {reason}");
    }
    match report.failed.len() {
        0 => Ok(()),
        n => Err(format!("{n} data key(s) could not be re-wrapped (listed above)").into()),
    }
}

/// What the demo seed did, and how to log in.
fn print_seed_report(report: &SeedReport, settings: &Settings) {
    if report.removed > 0 {
        println!("removed {} row(s) of earlier demo seeds", report.removed);
    }
    let mut created = vec![
        format!("{} user(s)", report.users_created),
        format!("{} role(s)", report.roles_created),
        format!("{} article(s)", report.articles_created),
    ];
    created.extend(
        report
            .objects_created
            .iter()
            .map(|(plural, count)| format!("{count} {plural}")),
    );
    println!(
        "demo seed: created {} (what existed is kept)",
        created.join(", ")
    );
    println!(
        "once `castellan serve` runs, log in with POST http://{}/api/v1/auth/login {{\"email\", \"password\"}} as:",
        settings.server.bind
    );
    for (email, password, role) in &report.logins {
        println!("  {email:<24} {password:<14} {role}");
    }
}
