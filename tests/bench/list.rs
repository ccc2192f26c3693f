//! `castellan-list-bench`: list latency of every business resource at 100,000 objects
//! each, on PostgreSQL (row-level security on, as the tenant's connection) and SQLite, for
//! `just bench`. Fills a fresh database per backend with synthetic objects (all in one
//! tenant: the worst case for counting), then times the repository's list, page 1 and
//! page 1,000 of 20, a fixed number of times each, and prints p50 and p99. Bounded by its
//! iteration count; touches only the local PostgreSQL and a temporary SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark tool: a panic is the report

use castellan_adapters_sql::postgres::{run_migrations, PgConfig, APP_ROLE};
use castellan_adapters_sql::sqlite::SqliteConfig;
use castellan_adapters_sql::{Db, ResourceStore, UserStore};
use castellan_domain::resources::ALL;
use castellan_domain::TenantId;
use castellan_ports::scope::{scoped, DataScope};
use castellan_ports::{ListQuery, Ordering, ResourceRepository, UserRepository};
use castellan_testkit::audit::event;
use castellan_testkit::repos::new_user;
use castellan_testkit::resources::synthetic;
use clap::{Parser, ValueEnum};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Postgres,
    Sqlite,
    Both,
}

/// List latency at scale.
#[derive(Debug, Parser)]
struct Args {
    /// Objects per resource.
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// Timed lists per resource and page.
    #[arg(long, default_value_t = 100)]
    iterations: usize,
    /// Objects per page.
    #[arg(long, default_value_t = 20)]
    per_page: u32,
    /// Which backend.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    backend: Which,
}

/// A fresh PostgreSQL database (the tests' helper), migrated: its URL and name.
async fn postgres_database() -> (String, String) {
    let url = castellan_tests::fresh_database().await;
    run_migrations(&url).await.unwrap();
    let name = url.rsplit_once('/').unwrap().1.to_string();
    (url, name)
}

async fn drop_postgres_database(name: &str) {
    let mut conn = AsyncPgConnection::establish(&castellan_tests::pg_admin_url())
        .await
        .unwrap();
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
}

/// The `q`th quantile of sorted durations, in milliseconds.
fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Fills `db` with `rows` objects per resource (parents first) in the default tenant.
async fn fill(db: &Db, rows: usize) -> Uuid {
    let tenant = TenantId::DEFAULT.0;
    let owner = new_user("list-bench");
    UserStore::new(db.clone())
        .insert(
            &owner,
            &[],
            &event("user.create", Some(tenant)).target("user", owner.id.0),
        )
        .await
        .unwrap();
    let store = ResourceStore::new(db.clone());
    let mut parents: Vec<(&'static str, Vec<Uuid>)> = Vec::new();
    for &def in ALL {
        let started = Instant::now();
        let records: Vec<_> = (0..rows)
            .map(|n| synthetic(def, tenant, owner.id.0, n, &parents))
            .collect();
        store.bulk_insert(def, &records).await.unwrap();
        eprintln!(
            "  {:>15}: {rows} objects in {:.1?}",
            def.plural,
            started.elapsed()
        );
        parents.push((def.plural, records.iter().take(100).map(|r| r.id).collect()));
    }
    tenant
}

async fn measure<F, Fut>(name: &str, db: Db, args: &Args, after_fill: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    println!(
        "== {name}: {} objects per resource, page size {}",
        args.rows, args.per_page
    );
    let tenant = fill(&db, args.rows).await;
    after_fill().await;
    let store = ResourceStore::new(db);
    println!(
        "{:<16} {:>12} {:>12} {:>15} {:>15}",
        "resource", "p1 p50 ms", "p1 p99 ms", "p1000 p50 ms", "p1000 p99 ms"
    );
    for &def in ALL {
        let mut figures = Vec::new();
        for page in [1, 1000] {
            let query = ListQuery {
                tenant_id: Some(tenant),
                ordering: vec![Ordering {
                    field: "created_at".into(),
                    descending: true,
                }],
                page,
                per_page: args.per_page,
                ..ListQuery::default()
            };
            let mut times = Vec::with_capacity(args.iterations);
            for _ in 0..args.iterations {
                let started = Instant::now();
                let listed = scoped(DataScope::Tenant(tenant), store.list(def, &query))
                    .await
                    .unwrap();
                times.push(started.elapsed());
                assert_eq!(listed.total as usize, args.rows, "{}", def.plural);
            }
            times.sort();
            figures.push((quantile(&times, 0.5), quantile(&times, 0.99)));
        }
        println!(
            "{:<16} {:>12.2} {:>12.2} {:>15.2} {:>15.2}",
            def.plural, figures[0].0, figures[0].1, figures[1].0, figures[1].1
        );
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if matches!(args.backend, Which::Postgres | Which::Both) {
        let (url, name) = postgres_database().await;
        let db = Db::postgres(&PgConfig {
            url: url.clone(),
            max_connections: 2,
            lanes: 1,
            timeout: Duration::from_secs(60),
            app_role: Some(APP_ROLE.into()),
        })
        .unwrap();
        let analyze = || async {
            // What autovacuum does after a bulk load: statistics and the visibility map.
            let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
            conn.batch_execute("VACUUM ANALYZE").await.unwrap();
        };
        measure(
            "PostgreSQL (row-level security on)",
            db.clone(),
            &args,
            analyze,
        )
        .await;
        drop(db);
        drop_postgres_database(&name).await;
    }
    if matches!(args.backend, Which::Sqlite | Which::Both) {
        let dir = tempfile::tempdir().unwrap();
        let config = SqliteConfig {
            url: format!("sqlite://{}", dir.path().join("bench.db").display()),
            max_connections: 2,
            timeout: Duration::from_secs(60),
        };
        castellan_adapters_sql::sqlite::run_migrations(&config)
            .await
            .unwrap();
        let db = Db::sqlite(&config).unwrap();
        measure("SQLite", db, &args, || async {}).await;
    }
}
