//! `castellan-audit-fill`: appends synthetic audit entries to the database the usual
//! configuration names (`CASTELLAN__DATABASE__URL`, ...), through the same use case and
//! adapters the server uses, spread over several tenant chains written concurrently. For
//! measuring the export of a large audit log (`scripts/audit-export.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark tool: a panic is the report

use castellan_domain::audit::{diff, Actor, Event};
use castellan_server::settings::Settings;
use castellan_server::startup;
use clap::Parser;
use serde_json::json;
use std::time::Instant;

/// Appends synthetic audit entries.
#[derive(Debug, Parser)]
struct Args {
    /// How many entries in all.
    #[arg(long, default_value_t = 100_000)]
    entries: usize,
    /// Over how many tenant chains (written concurrently).
    #[arg(long, default_value_t = 16)]
    chains: usize,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let settings = Settings::load().expect("configuration");
    startup::migrate(&settings).await.expect("migrations");
    let audit = startup::services(&settings).await.expect("services").audit;
    let started = Instant::now();
    let per_chain = args.entries.div_ceil(args.chains.max(1));
    let tasks: Vec<_> = (0..args.chains.max(1))
        .map(|chain| {
            let audit = audit.clone();
            tokio::spawn(async move {
                let tenant = uuid::Uuid::now_v7();
                let actor = Actor::user(uuid::Uuid::now_v7());
                for i in 0..per_chain {
                    let event =
                        Event::new("article.update", actor, Some(tenant), chrono::Utc::now())
                            .target("article", uuid::Uuid::now_v7())
                            .request(
                                Some(format!("fill-{chain}-{i}")),
                                Some("127.0.0.1".into()),
                                None,
                            )
                            .changes(diff(
                                &json!({"title": "before"}),
                                &json!({"title": format!("after {i}")}),
                            ));
                    audit.record(&event).await.expect("append");
                    if chain == 0 && (i + 1) % 1000 == 0 {
                        eprintln!(
                            "{} of ~{} entries",
                            (i + 1) * args.chains,
                            per_chain * args.chains
                        );
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    println!(
        "appended {} entries over {} chains in {:.1} s",
        per_chain * args.chains.max(1),
        args.chains.max(1),
        started.elapsed().as_secs_f64()
    );
}
