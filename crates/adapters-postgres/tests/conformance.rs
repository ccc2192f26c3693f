//! The repository conformance suites against a real PostgreSQL, one fresh database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use castellan_adapters_postgres::{
    run_migrations, PgConfig, PgPool, PgSessionRepository, PgUserRepository,
};
use castellan_testkit::repos as suite;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::time::Duration;

fn admin_url() -> String {
    std::env::var("CASTELLAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates and migrates a throwaway database; returns its URL (as the admin login role).
async fn fresh_database() -> String {
    let admin = admin_url();
    let name = format!("castellan_ct_{}", uuid::Uuid::new_v4().simple());
    let mut conn = AsyncPgConnection::establish(&admin).await.unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    let url = format!("{base}/{name}");
    run_migrations(&url).await.unwrap();
    url
}

/// A pool on `url` that works as the application does: under row-level security.
fn app_pool(url: &str) -> PgPool {
    PgPool::new(&PgConfig {
        url: url.to_string(),
        max_connections: 4,
        timeout: Duration::from_secs(2),
        app_role: Some(castellan_adapters_postgres::APP_ROLE.into()),
    })
    .unwrap()
}

/// Creates and migrates a throwaway database; returns a pool on it.
async fn fresh_pool() -> PgPool {
    app_pool(&fresh_database().await)
}

#[tokio::test]
async fn users_round_trip() {
    suite::users_round_trip(&PgUserRepository::new(fresh_pool().await)).await;
}

#[tokio::test]
async fn duplicate_email_conflicts() {
    suite::duplicate_email_conflicts(&PgUserRepository::new(fresh_pool().await)).await;
}

#[tokio::test]
async fn user_updates() {
    suite::user_updates(&PgUserRepository::new(fresh_pool().await)).await;
}

#[tokio::test]
async fn refresh_rotation_and_reuse() {
    let pool = fresh_pool().await;
    suite::refresh_rotation_and_reuse(
        &PgUserRepository::new(pool.clone()),
        &PgSessionRepository::new(pool),
    )
    .await;
}

#[tokio::test]
async fn session_listing_and_revoke_all() {
    let pool = fresh_pool().await;
    suite::session_listing_and_revoke_all(
        &PgUserRepository::new(pool.clone()),
        &PgSessionRepository::new(pool),
    )
    .await;
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable() {
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/none",
        castellan_testkit::free_port()
    );
    let pool = PgPool::new(&PgConfig {
        url,
        max_connections: 2,
        timeout: Duration::from_secs(1),
        app_role: None,
    })
    .unwrap();
    let started = std::time::Instant::now();
    let err = castellan_ports::UserRepository::ping(&PgUserRepository::new(pool))
        .await
        .unwrap_err();
    assert!(
        matches!(err, castellan_ports::RepoError::Unavailable(_)),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

mod token_store {
    use super::fresh_pool;
    use castellan_adapters_postgres::{PgConfig, PgPool, PgTokenStore};
    use castellan_testkit::token_store as suite;
    use std::time::Duration;

    #[tokio::test]
    async fn revoked_access_tokens_are_reported() {
        suite::revoked_access_tokens_are_reported(&PgTokenStore::new(fresh_pool().await)).await;
    }

    #[tokio::test]
    async fn revoked_sessions_are_reported() {
        suite::revoked_sessions_are_reported(&PgTokenStore::new(fresh_pool().await)).await;
    }

    #[tokio::test]
    async fn entries_expire_after_their_ttl() {
        suite::entries_expire_after_their_ttl(&PgTokenStore::new(fresh_pool().await)).await;
    }

    #[tokio::test]
    async fn an_unreachable_store_fails_closed_quickly() {
        let url = format!(
            "postgres://postgres@127.0.0.1:{}/none",
            castellan_testkit::free_port()
        );
        let pool = PgPool::new(&PgConfig {
            url,
            max_connections: 2,
            timeout: Duration::from_secs(1),
            app_role: None,
        })
        .unwrap();
        suite::unreachable_store_fails_closed(&PgTokenStore::new(pool)).await;
    }
}

mod access {
    use super::fresh_pool;
    use castellan_adapters_postgres::{
        PgAccessRepository, PgArticleRepository, PgInvitationRepository, PgOutbox,
        PgRoleRepository, PgTenantRepository, PgUserRepository,
    };
    use castellan_testkit::access as suite;

    #[tokio::test]
    async fn catalog_and_rules_for_user() {
        let pool = fresh_pool().await;
        suite::catalog_and_rules_for_user(
            &PgUserRepository::new(pool.clone()),
            &PgAccessRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn articles_crud_and_listing() {
        let pool = fresh_pool().await;
        suite::articles_crud_and_listing(
            &PgUserRepository::new(pool.clone()),
            &PgArticleRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn roles_rules_and_grants() {
        let pool = fresh_pool().await;
        suite::roles_rules_and_grants(
            &PgUserRepository::new(pool.clone()),
            &PgRoleRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn tenant_bootstrap_is_atomic() {
        let pool = fresh_pool().await;
        suite::tenant_bootstrap_is_atomic(
            &PgUserRepository::new(pool.clone()),
            &PgTenantRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn invitations_are_single_use() {
        let pool = fresh_pool().await;
        suite::invitations_are_single_use(
            &PgUserRepository::new(pool.clone()),
            &PgInvitationRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn outbox_keeps_messages() {
        let pool = fresh_pool().await;
        suite::outbox_keeps_messages(&PgOutbox::new(pool.clone()), &PgOutbox::new(pool)).await;
    }
}

mod audit {
    use super::{app_pool, fresh_database, fresh_pool};
    use castellan_adapters_postgres::{
        PgArticleRepository, PgAuditLog, PgSessionRepository, PgUserRepository, APP_ROLE,
    };
    use castellan_ports::AuditLog;
    use castellan_testkit::audit::{self as suite, event, verification, verified_chain};
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
    use std::sync::Arc;

    #[tokio::test]
    async fn chains_are_linked_per_tenant() {
        suite::chains_are_linked_per_tenant(&PgAuditLog::new(fresh_pool().await)).await;
    }

    #[tokio::test]
    async fn list_filters_and_pages() {
        suite::list_filters_and_pages(&PgAuditLog::new(fresh_pool().await)).await;
    }

    #[tokio::test]
    async fn audited_writes_are_atomic() {
        let pool = fresh_pool().await;
        suite::audited_writes_are_atomic(
            &PgUserRepository::new(pool.clone()),
            &PgArticleRepository::new(pool.clone()),
            &PgAuditLog::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn session_writes_are_audited() {
        let pool = fresh_pool().await;
        suite::session_writes_are_audited(
            &PgUserRepository::new(pool.clone()),
            &PgSessionRepository::new(pool.clone()),
            &PgAuditLog::new(pool),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_appends_stay_gapless() {
        suite::concurrent_appends_stay_gapless(Arc::new(PgAuditLog::new(fresh_pool().await))).await;
    }

    /// The trigger refuses to change or remove an entry even to the login role that owns
    /// the tables (a superuser, to whom neither grants nor row-level security apply); the
    /// application's role lacks the grants as well. With the trigger disabled, the chain
    /// shows what was done.
    #[tokio::test]
    async fn entries_cannot_be_changed_or_removed() {
        let url = fresh_database().await;
        let log = PgAuditLog::new(app_pool(&url));
        let tenant = Some(uuid::Uuid::now_v7());
        let first = log
            .append(&event("article.create", tenant).target("article", 1))
            .await
            .unwrap();
        let second = log.append(&event("article.delete", tenant)).await.unwrap();

        let mut owner = AsyncPgConnection::establish(&url).await.unwrap();
        for sql in [
            "UPDATE audit_logs SET action = 'x'",
            "DELETE FROM audit_logs",
            "DELETE FROM audit_logs WHERE seq = 2",
            "TRUNCATE audit_logs",
        ] {
            let err = diesel::sql_query(sql)
                .execute(&mut owner)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        let mut app = AsyncPgConnection::establish(&url).await.unwrap();
        app.batch_execute(&format!(
            "SET ROLE {APP_ROLE}; SELECT set_config('app.tenant_id', '*', false)"
        ))
        .await
        .unwrap();
        for sql in [
            "UPDATE audit_logs SET action = 'x'",
            "DELETE FROM audit_logs",
        ] {
            let err = diesel::sql_query(sql).execute(&mut app).await.unwrap_err();
            assert!(
                err.to_string().contains("permission denied"),
                "{sql}: {err}"
            );
        }
        assert_eq!(verified_chain(&log, tenant).await, vec![first, second]);

        // Past the trigger (disabled by someone who may change the schema), the chain
        // still tells: an edited entry fails its hash, a removed tail its head.
        owner
            .batch_execute("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only")
            .await
            .unwrap();
        diesel::sql_query("UPDATE audit_logs SET action = 'article.read' WHERE seq = 1")
            .execute(&mut owner)
            .await
            .unwrap();
        let broken = verification(&log, tenant).await;
        assert_eq!(broken.first_invalid_seq, Some(1), "{broken:?}");
        diesel::sql_query("UPDATE audit_logs SET action = 'article.create' WHERE seq = 1")
            .execute(&mut owner)
            .await
            .unwrap();
        assert!(verification(&log, tenant).await.valid, "restored");
        diesel::sql_query("DELETE FROM audit_logs WHERE seq = 2")
            .execute(&mut owner)
            .await
            .unwrap();
        let truncated = verification(&log, tenant).await;
        assert_eq!(truncated.first_invalid_seq, Some(2), "{truncated:?}");
    }
}
