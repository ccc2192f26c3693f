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
