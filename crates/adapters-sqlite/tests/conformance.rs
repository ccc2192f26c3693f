//! The repository and revocation-log conformance suites against a real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use castellan_adapters_sqlite::{
    run_migrations, SqliteConfig, SqlitePool, SqliteRevocationStore, SqliteSessionRepository,
    SqliteUserRepository,
};
use castellan_testkit::{repos, token_store};
use std::time::Duration;

/// A freshly migrated database in its own directory (kept alive by the returned guard).
async fn fresh_pool() -> (SqlitePool, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = SqliteConfig {
        url: format!("sqlite://{}/nested/castellan.db", dir.path().display()),
        max_connections: 4,
        timeout: Duration::from_secs(5),
    };
    run_migrations(&config).await.unwrap();
    (SqlitePool::new(&config).unwrap(), dir)
}

#[tokio::test]
async fn users_round_trip() {
    let (pool, _dir) = fresh_pool().await;
    repos::users_round_trip(&SqliteUserRepository::new(pool)).await;
}

#[tokio::test]
async fn duplicate_email_conflicts() {
    let (pool, _dir) = fresh_pool().await;
    repos::duplicate_email_conflicts(&SqliteUserRepository::new(pool)).await;
}

#[tokio::test]
async fn user_updates() {
    let (pool, _dir) = fresh_pool().await;
    repos::user_updates(&SqliteUserRepository::new(pool)).await;
}

#[tokio::test]
async fn refresh_rotation_and_reuse() {
    let (pool, _dir) = fresh_pool().await;
    repos::refresh_rotation_and_reuse(
        &SqliteUserRepository::new(pool.clone()),
        &SqliteSessionRepository::new(pool),
    )
    .await;
}

#[tokio::test]
async fn session_listing_and_revoke_all() {
    let (pool, _dir) = fresh_pool().await;
    repos::session_listing_and_revoke_all(
        &SqliteUserRepository::new(pool.clone()),
        &SqliteSessionRepository::new(pool),
    )
    .await;
}

#[tokio::test]
async fn revocation_log_is_a_token_store() {
    let (pool, _dir) = fresh_pool().await;
    let store = SqliteRevocationStore::new(pool);
    token_store::revoked_access_tokens_are_reported(&store).await;
    token_store::revoked_sessions_are_reported(&store).await;
    token_store::entries_expire_after_their_ttl(&store).await;
}

mod access {
    use super::fresh_pool;
    use castellan_adapters_sqlite::{
        SqliteAccessRepository, SqliteArticleRepository, SqliteInvitationRepository, SqliteOutbox,
        SqliteRoleRepository, SqliteTenantRepository, SqliteUserRepository,
    };
    use castellan_testkit::access as suite;

    #[tokio::test]
    async fn catalog_and_rules_for_user() {
        let (pool, _dir) = fresh_pool().await;
        suite::catalog_and_rules_for_user(
            &SqliteUserRepository::new(pool.clone()),
            &SqliteAccessRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn articles_crud_and_listing() {
        let (pool, _dir) = fresh_pool().await;
        suite::articles_crud_and_listing(
            &SqliteUserRepository::new(pool.clone()),
            &SqliteArticleRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn roles_rules_and_grants() {
        let (pool, _dir) = fresh_pool().await;
        suite::roles_rules_and_grants(
            &SqliteUserRepository::new(pool.clone()),
            &SqliteRoleRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn tenant_bootstrap_is_atomic() {
        let (pool, _dir) = fresh_pool().await;
        suite::tenant_bootstrap_is_atomic(
            &SqliteUserRepository::new(pool.clone()),
            &SqliteTenantRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn invitations_are_single_use() {
        let (pool, _dir) = fresh_pool().await;
        suite::invitations_are_single_use(
            &SqliteUserRepository::new(pool.clone()),
            &SqliteInvitationRepository::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn outbox_keeps_messages() {
        let (pool, _dir) = fresh_pool().await;
        suite::outbox_keeps_messages(&SqliteOutbox::new(pool.clone()), &SqliteOutbox::new(pool))
            .await;
    }
}

mod audit {
    use super::fresh_pool;
    use castellan_adapters_sqlite::{
        SqliteArticleRepository, SqliteAuditLog, SqliteSessionRepository, SqliteUserRepository,
    };
    use castellan_ports::AuditLog;
    use castellan_testkit::audit::{self as suite, event, verification, verified_chain};
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};
    use std::sync::Arc;

    #[tokio::test]
    async fn chains_are_linked_per_tenant() {
        let (pool, _dir) = fresh_pool().await;
        suite::chains_are_linked_per_tenant(&SqliteAuditLog::new(pool)).await;
    }

    #[tokio::test]
    async fn list_filters_and_pages() {
        let (pool, _dir) = fresh_pool().await;
        suite::list_filters_and_pages(&SqliteAuditLog::new(pool)).await;
    }

    #[tokio::test]
    async fn audited_writes_are_atomic() {
        let (pool, _dir) = fresh_pool().await;
        suite::audited_writes_are_atomic(
            &SqliteUserRepository::new(pool.clone()),
            &SqliteArticleRepository::new(pool.clone()),
            &SqliteAuditLog::new(pool),
        )
        .await;
    }

    #[tokio::test]
    async fn session_writes_are_audited() {
        let (pool, _dir) = fresh_pool().await;
        suite::session_writes_are_audited(
            &SqliteUserRepository::new(pool.clone()),
            &SqliteSessionRepository::new(pool.clone()),
            &SqliteAuditLog::new(pool),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_appends_stay_gapless() {
        let (pool, _dir) = fresh_pool().await;
        suite::concurrent_appends_stay_gapless(Arc::new(SqliteAuditLog::new(pool))).await;
    }

    /// The triggers refuse to change or remove an entry, even on a raw connection; and
    /// with them dropped, the chain shows what was done.
    #[tokio::test]
    async fn entries_cannot_be_changed_or_removed() {
        let (pool, dir) = fresh_pool().await;
        let log = SqliteAuditLog::new(pool);
        let tenant = Some(uuid::Uuid::now_v7());
        let first = log
            .append(&event("article.create", tenant).target("article", 1))
            .await
            .unwrap();
        let second = log.append(&event("article.delete", tenant)).await.unwrap();
        let path = dir.path().join("nested/castellan.db");
        let mut raw = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        for sql in [
            "UPDATE audit_logs SET action = 'x'",
            "DELETE FROM audit_logs",
            "DELETE FROM audit_logs WHERE seq = 2",
        ] {
            let err = diesel::sql_query(sql).execute(&mut raw).unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(verified_chain(&log, tenant).await, vec![first, second]);

        // Past the triggers (dropped by someone who may change the schema), the chain
        // still tells: an edited entry fails its hash, a removed tail its head.
        raw.batch_execute("DROP TRIGGER audit_logs_no_update; DROP TRIGGER audit_logs_no_delete")
            .unwrap();
        diesel::sql_query("UPDATE audit_logs SET action = 'article.read' WHERE seq = 1")
            .execute(&mut raw)
            .unwrap();
        let broken = verification(&log, tenant).await;
        assert_eq!(broken.first_invalid_seq, Some(1), "{broken:?}");
        diesel::sql_query("UPDATE audit_logs SET action = 'article.create' WHERE seq = 1")
            .execute(&mut raw)
            .unwrap();
        assert!(verification(&log, tenant).await.valid, "restored");
        diesel::sql_query("DELETE FROM audit_logs WHERE seq = 2")
            .execute(&mut raw)
            .unwrap();
        let truncated = verification(&log, tenant).await;
        assert_eq!(truncated.first_invalid_seq, Some(2), "{truncated:?}");
    }
}
