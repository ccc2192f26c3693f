//! Row-level security at the database level: with the tenant setting of A, raw SQL without
//! any tenant filter sees no row of B and cannot write one; without a setting it sees nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use castellan_adapters_sql::postgres::{rls_status, PgConfig, APP_ROLE};
use castellan_adapters_sql::{Db, ResourceStore, TenantStore};
use castellan_domain::resource::{Record, Value};
use castellan_domain::resources::ARTICLES;
use castellan_domain::{Role, Tenant};
use castellan_ports::{ResourceRepository, TenantBootstrap, TenantRepository};
use castellan_testkit::audit::event;
use castellan_testkit::repos::new_user;
use common::fresh_database;
use diesel::sql_types::BigInt;
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use std::time::Duration;
use uuid::Uuid;

const TABLES: [&str; 8] = [
    "users",
    "roles",
    "user_roles",
    "articles",
    "invitations",
    "access_rules",
    "audit_logs",
    "audit_chains",
];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .unwrap()
        .n
}

/// A tenant with an admin, its Admin role (and a rule) and an article, and the audit
/// entries of their creation in its chain.
async fn tenant(pool: &Db, url: &str) -> Uuid {
    let now = chrono::Utc::now();
    let tenant = Tenant {
        id: Uuid::now_v7(),
        name: "t".into(),
        slug: format!("t-{}", Uuid::new_v4().simple()),
        is_active: true,
        created_at: now,
    };
    let role = Role {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        name: "Admin".into(),
        description: String::new(),
        is_system: true,
        created_at: now,
        updated_at: now,
    };
    let rule = castellan_domain::StoredRule {
        tenant_id: tenant.id,
        rule: castellan_domain::rbac::AccessRule {
            id: Uuid::now_v7(),
            role_id: role.id,
            role: "Admin".into(),
            element: "article".into(),
            flags: castellan_domain::rbac::AccessFlags::all(),
        },
    };
    let mut admin = new_user("rls");
    admin.tenant_id = castellan_domain::TenantId(tenant.id);
    let owner = admin.id.0;
    TenantStore::new(pool.clone())
        .bootstrap(
            &TenantBootstrap {
                tenant: tenant.clone(),
                roles: vec![role],
                rules: vec![rule],
                admin,
                admin_roles: vec!["Admin".into()],
            },
            &event("tenant.create", Some(tenant.id)).target("tenant", tenant.id),
        )
        .await
        .unwrap();
    let article = Record {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        owner_id: owner,
        created_at: now,
        updated_at: now,
        values: vec![Value::Text("t".into()), Value::Text(String::new())],
    };
    ResourceStore::new(pool.clone())
        .insert(
            &ARTICLES,
            &article,
            &event("article.create", Some(tenant.id)).target("article", article.id),
        )
        .await
        .unwrap();
    // Invitations through raw SQL as the owner (the repository needs a token; any will do).
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    diesel::sql_query(format!(
        "INSERT INTO invitations (id, tenant_id, email, role_id, token_hash, created_at, expires_at) \
         SELECT '{}', tenant_id, 'x@y.z', id, '\\x{}', now(), now() + interval '1 hour' FROM roles WHERE tenant_id = '{}'",
        Uuid::now_v7(), Uuid::new_v4().simple(), tenant.id
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    tenant.id
}

#[tokio::test]
async fn policies_confine_raw_sql_to_the_tenant_setting() {
    let url = fresh_database().await;
    let pool = Db::postgres(&PgConfig {
        url: url.clone(),
        max_connections: 2,
        lanes: 1,
        timeout: Duration::from_secs(2),
        app_role: Some(APP_ROLE.into()),
    })
    .unwrap();
    let (a, b) = (tenant(&pool, &url).await, tenant(&pool, &url).await);

    // As the application's role, with A's setting.
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    conn.batch_execute(&format!(
        "SET ROLE {APP_ROLE}; SELECT set_config('app.tenant_id', '{a}', false)"
    ))
    .await
    .unwrap();
    for table in TABLES {
        assert_eq!(
            count(
                &mut conn,
                &format!("SELECT count(*) AS n FROM {table} WHERE tenant_id = '{b}'")
            )
            .await,
            0,
            "{table} shows B's rows"
        );
        assert!(
            count(&mut conn, &format!("SELECT count(*) AS n FROM {table}")).await > 0,
            "{table} shows none of A's rows"
        );
    }
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM tenants").await,
        1
    );
    let insert = diesel::sql_query(format!(
        "INSERT INTO articles (id, tenant_id, owner_id, title, content, created_at, updated_at) \
         SELECT '{}', '{b}', owner_id, 'sneaky', '', now(), now() FROM articles LIMIT 1",
        Uuid::now_v7()
    ))
    .execute(&mut conn)
    .await;
    let err = insert.expect_err("writing a row of B must fail");
    assert!(err.to_string().contains("row-level security"), "{err}");
    let moved = diesel::sql_query(format!("UPDATE articles SET tenant_id = '{b}'"))
        .execute(&mut conn)
        .await;
    assert!(moved.is_err(), "moving A's rows into B must fail");

    // Without any tenant setting: nothing at all.
    let mut bare = AsyncPgConnection::establish(&url).await.unwrap();
    bare.batch_execute(&format!("SET ROLE {APP_ROLE}"))
        .await
        .unwrap();
    for table in TABLES {
        assert_eq!(
            count(&mut bare, &format!("SELECT count(*) AS n FROM {table}")).await,
            0,
            "{table} without a setting"
        );
    }

    // And the status report names every policy.
    let status = rls_status(&url).await.unwrap();
    for table in TABLES.iter().chain(&["tenants", "sessions"]) {
        let row = status.iter().find(|r| r.table == *table).unwrap();
        assert!(row.enabled && row.forced, "{table}: {row:?}");
        assert!(
            row.policies
                .as_deref()
                .unwrap_or_default()
                .contains("tenant_isolation"),
            "{row:?}"
        );
    }
    assert!(
        !status
            .iter()
            .find(|r| r.table == "business_elements")
            .unwrap()
            .enabled
    );
}

/// The audit trail under row-level security: a tenant-scoped connection reads and appends
/// to its own tenant's chain only; the chain without a tenant is system work.
#[tokio::test]
async fn audit_chains_follow_the_tenant_setting() {
    use castellan_adapters_sql::AuditStore as PgAuditLog;
    use castellan_ports::scope::{scoped, DataScope};
    use castellan_ports::{AuditLog, AuditQuery};
    use castellan_testkit::audit::verified_chain;

    let url = fresh_database().await;
    let pool = Db::postgres(&PgConfig {
        url,
        max_connections: 2,
        lanes: 1,
        timeout: Duration::from_secs(2),
        app_role: Some(APP_ROLE.into()),
    })
    .unwrap();
    let log = PgAuditLog::new(pool);
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    // System work writes every chain.
    for tenant in [Some(a), Some(b), None] {
        log.append(&event("seed", tenant)).await.unwrap();
    }

    scoped(DataScope::Tenant(a), async {
        let entry = log.append(&event("article.create", Some(a))).await.unwrap();
        assert_eq!(entry.seq, 2, "A's chain continues");
        for other in [Some(b), None] {
            let refused = log.append(&event("sneaky", other)).await;
            assert!(refused.is_err(), "{other:?}: {refused:?}");
        }
        let listed = log
            .list(&AuditQuery {
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.entries.len(), 2);
        assert!(listed.entries.iter().all(|e| e.event.tenant_id == Some(a)));
        let heads = log.heads(None).await.unwrap();
        assert_eq!(
            heads.iter().map(|h| h.tenant_id).collect::<Vec<_>>(),
            vec![Some(a)]
        );
        assert!(log.chain(Some(b), 0, 10).await.unwrap().is_empty());
        assert!(log.chain(None, 0, 10).await.unwrap().is_empty());
        verified_chain(&log, Some(a)).await;
    })
    .await;

    // Nothing of the refused appends reached B's chain or the one without a tenant.
    for tenant in [Some(b), None] {
        assert_eq!(verified_chain(&log, tenant).await.len(), 1, "{tenant:?}");
    }
}
