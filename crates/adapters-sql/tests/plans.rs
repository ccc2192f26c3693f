//! Every list query the API can send for a business resource stays an index scan on
//! PostgreSQL at 100,000 objects per resource, with row-level security on: the default
//! page and page 1,000, every ordering both ways, every filter, read-own and search (the
//! page and its total), each `EXPLAIN`ed as the tenant's connection (role
//! `castellan_app`, `app.tenant_id` set).
//!
//! The objects are spread over four tenants, the one listing holding a quarter (25,000):
//! what an index buys is not reading the other tenants' rows. (When one tenant holds a
//! whole table, counting its rows by a sequential scan is the right plan, and PostgreSQL
//! picks it.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use castellan_adapters_sql::postgres::{PgConfig, APP_ROLE};
use castellan_adapters_sql::{Db, ResourceStore, UserStore};
use castellan_domain::resource::{ResourceDef, Value};
use castellan_domain::resources::ALL;
use castellan_domain::TenantId;
use castellan_ports::scope::{scoped, DataScope};
use castellan_ports::{ListQuery, Ordering, ResourceRepository, UserRepository};
use castellan_testkit::audit::event;
use castellan_testkit::repos::new_user;
use castellan_testkit::resources::synthetic;
use common::fresh_database;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::time::Duration;
use uuid::Uuid;

/// Objects per resource.
const ROWS: usize = 100_000;
/// Parents a child's objects spread over.
const PARENTS: usize = 100;
/// Tenants sharing the tables; the first is the one listing.
const TENANTS: usize = 4;

/// The list queries of `def` a client can cause, named.
fn queries(
    def: &'static ResourceDef,
    tenant: Uuid,
    owner: Uuid,
    sample: &[Value],
) -> Vec<(String, ListQuery)> {
    let page = |ordering: Vec<Ordering>| ListQuery {
        tenant_id: Some(tenant),
        ordering,
        page: 1,
        per_page: 20,
        ..ListQuery::default()
    };
    let newest = || {
        vec![Ordering {
            field: "created_at".into(),
            descending: true,
        }]
    };
    let mut queries = vec![
        ("default".to_string(), page(newest())),
        (
            "page 1000".into(),
            ListQuery {
                page: 1000,
                ..page(newest())
            },
        ),
        (
            "read-own".into(),
            ListQuery {
                owner_id: Some(owner),
                ..page(newest())
            },
        ),
    ];
    for column in def.orderable() {
        for descending in [false, true] {
            queries.push((
                format!("ordering {}{column}", if descending { "-" } else { "" }),
                page(vec![Ordering {
                    field: column.into(),
                    descending,
                }]),
            ));
        }
    }
    for field in def.filterable() {
        let Some(value) = def.index_of(field.name).and_then(|i| sample.get(i)) else {
            continue;
        };
        queries.push((
            format!("filter {}", field.name),
            ListQuery {
                filters: vec![(field.name, value.clone())],
                ..page(newest())
            },
        ));
    }
    if def.searchable().next().is_some() {
        queries.push((
            "search".into(),
            ListQuery {
                search: Some("n042".into()),
                ..page(newest())
            },
        ));
    }
    queries
}

#[tokio::test]
async fn every_list_query_is_an_index_scan_at_100k_rows_per_resource() {
    let url = fresh_database().await;
    let db = Db::postgres(&PgConfig {
        url: url.clone(),
        max_connections: 2,
        lanes: 1,
        timeout: Duration::from_secs(30),
        app_role: Some(APP_ROLE.into()),
    })
    .unwrap();
    let users = UserStore::new(db.clone());
    let store = ResourceStore::new(db.clone());
    let tenant = TenantId::DEFAULT.0;
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    let mut tenants = vec![tenant];
    for i in 1..TENANTS {
        let id = Uuid::now_v7();
        conn.batch_execute(&format!(
            "INSERT INTO tenants (id, name, slug, is_active, created_at) \
             VALUES ('{id}', 'Other {i}', 'other-{i}', true, now())"
        ))
        .await
        .unwrap();
        tenants.push(id);
    }
    let owner = new_user("plans");
    users
        .insert(
            &owner,
            &[],
            &event("user.create", Some(tenant)).target("user", owner.id.0),
        )
        .await
        .unwrap();
    let owner = owner.id.0;

    // Parents first (ALL lists them before their children); children spread over the
    // first PARENTS objects of each parent.
    let mut parents: Vec<(&'static str, Vec<Uuid>)> = Vec::new();
    let mut samples = Vec::new();
    for &def in ALL {
        let records: Vec<_> = (0..ROWS)
            .map(|n| synthetic(def, tenants[n % TENANTS], owner, n, &parents))
            .collect();
        let written = store.bulk_insert(def, &records).await.unwrap();
        assert_eq!(written as usize, ROWS, "{}", def.plural);
        parents.push((
            def.plural,
            records.iter().take(PARENTS).map(|r| r.id).collect(),
        ));
        samples.push((def, records[8].values.clone()));
    }
    // Multi-row statements keep the tenants' totals too: each holds a quarter.
    for &def in ALL {
        let whole = ListQuery {
            tenant_id: Some(tenant),
            page: 1000,
            per_page: 2,
            ..ListQuery::default()
        };
        let listed = scoped(DataScope::Tenant(tenant), store.list(def, &whole))
            .await
            .unwrap();
        assert_eq!(listed.total as usize, ROWS / TENANTS, "{}", def.plural);
    }
    // What autovacuum does in production: statistics, and the visibility map that lets a
    // count read the index alone.
    conn.batch_execute("VACUUM ANALYZE").await.unwrap();

    let mut scans = Vec::new();
    let mut checked = 0;
    for (def, sample) in &samples {
        for (name, query) in queries(def, tenant, owner, sample) {
            let plan = scoped(DataScope::Tenant(tenant), store.explain_list(def, &query))
                .await
                .unwrap();
            assert!(!plan.is_empty(), "{} {name}: no plan", def.plural);
            checked += 1;
            // resource_totals holds a row per tenant and resource: 32 rows here, one page,
            // which PostgreSQL rightly reads whole; its primary key serves it once it grows.
            let scanned = |line: &&String| {
                line.contains("Seq Scan") && !line.contains("Seq Scan on resource_totals")
            };
            if plan.iter().any(|line| scanned(&line)) {
                scans.push(format!("{} {name}:\n{}", def.plural, plan.join("\n")));
            }
        }
    }
    assert!(checked > 8 * 5, "{checked} queries");
    assert!(
        scans.is_empty(),
        "sequential scans:\n\n{}",
        scans.join("\n\n")
    );
}
