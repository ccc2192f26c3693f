//! The token-store conformance suite against the in-process store over a real SQLite log,
//! and its persistence across a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use castellan_adapters_local::InProcessTokenStore;
use castellan_adapters_sql::sqlite::{run_migrations, SqliteConfig};
use castellan_adapters_sql::{Db, RevocationStore};
use castellan_domain::SessionId;
use castellan_ports::TokenStore;
use castellan_testkit::token_store as suite;
use std::sync::Arc;
use std::time::Duration;

async fn open(config: &SqliteConfig) -> InProcessTokenStore {
    run_migrations(config).await.unwrap();
    let log = RevocationStore::new(Db::sqlite(config).unwrap());
    let active = log.active(chrono::Utc::now()).await.unwrap();
    InProcessTokenStore::new(Arc::new(log), active)
}

fn config(dir: &tempfile::TempDir) -> SqliteConfig {
    SqliteConfig {
        url: format!("sqlite://{}/castellan.db", dir.path().display()),
        max_connections: 2,
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&config(&dir)).await;
    suite::revoked_access_tokens_are_reported(&store).await;
    suite::revoked_sessions_are_reported(&store).await;
    suite::entries_expire_after_their_ttl(&store).await;
}

#[tokio::test]
async fn revocations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (jti, sid) = (uuid::Uuid::now_v7(), SessionId::new());
    {
        let store = open(&config(&dir)).await;
        store.revoke_access(jti, 600).await.unwrap();
        store.revoke_sessions(&[sid], 600).await.unwrap();
    }
    let restarted = open(&config(&dir)).await;
    assert!(restarted.is_revoked(jti, SessionId::new()).await.unwrap());
    assert!(restarted
        .is_revoked(uuid::Uuid::now_v7(), sid)
        .await
        .unwrap());
    assert!(!restarted
        .is_revoked(uuid::Uuid::now_v7(), SessionId::new())
        .await
        .unwrap());
}

#[tokio::test]
async fn a_failed_write_is_not_remembered() {
    // A log whose database file cannot be opened: revocations fail, and are not cached.
    let config = SqliteConfig {
        url: "sqlite:///proc/castellan-nowhere/castellan.db".into(),
        max_connections: 1,
        timeout: Duration::from_millis(500),
    };
    let Ok(pool) = Db::sqlite(&config) else {
        return;
    };
    let store = InProcessTokenStore::new(Arc::new(RevocationStore::new(pool)), vec![]);
    let jti = uuid::Uuid::now_v7();
    assert!(store.revoke_access(jti, 60).await.is_err());
    assert!(!store.is_revoked(jti, SessionId::new()).await.unwrap());
    assert!(store.ping().await.is_err());
}

#[tokio::test]
async fn rate_limiter_burst_then_refusal() {
    let limiter = castellan_adapters_local::InProcessRateLimiter::default();
    castellan_testkit::rate_limit::burst_then_refusal(&limiter).await;
}

#[tokio::test]
async fn rate_limiter_buckets_refill() {
    let limiter = castellan_adapters_local::InProcessRateLimiter::default();
    castellan_testkit::rate_limit::buckets_refill(&limiter).await;
}

#[tokio::test]
async fn rate_limiter_reset_times() {
    let limiter = castellan_adapters_local::InProcessRateLimiter::default();
    castellan_testkit::rate_limit::reset_times(&limiter).await;
}

#[tokio::test]
async fn rate_limiter_is_atomic_under_concurrency() {
    let limiter = castellan_adapters_local::InProcessRateLimiter::default();
    castellan_testkit::rate_limit::atomic_under_concurrency(&limiter).await;
}

fn lockout() -> castellan_adapters_local::InProcessLockout {
    castellan_adapters_local::InProcessLockout::new(
        castellan_testkit::lockout::POLICY,
        Arc::new(castellan_adapters_local::InProcessRateLimiter::default()),
    )
}

#[tokio::test]
async fn lockout_failures_in_a_row_lock_the_pair() {
    castellan_testkit::lockout::failures_in_a_row_lock_the_pair(&lockout()).await;
}

#[tokio::test]
async fn lockout_failures_everywhere_lock_the_email() {
    castellan_testkit::lockout::failures_everywhere_lock_the_email(&lockout()).await;
}

#[tokio::test]
async fn lockout_concurrent_attempts_are_counted_exactly() {
    castellan_testkit::lockout::concurrent_attempts_are_counted_exactly(&lockout()).await;
}

#[tokio::test]
async fn lockout_buckets_come_first() {
    let limiter = castellan_adapters_local::InProcessRateLimiter::default();
    let lockout = castellan_adapters_local::InProcessLockout::new(
        castellan_testkit::lockout::POLICY,
        Arc::new(limiter.clone()),
    );
    castellan_testkit::lockout::buckets_come_first(&lockout, &limiter).await;
}

#[tokio::test]
async fn admission_checks_both_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = Arc::new(open(&config(&dir)).await);
    let limiter = Arc::new(castellan_adapters_local::InProcessRateLimiter::default());
    let admission = castellan_adapters_local::SplitAdmission::new(tokens.clone(), limiter);
    castellan_testkit::rate_limit::admission_checks_both(&admission, tokens.as_ref()).await;
}

#[tokio::test]
async fn admission_reads_the_epochs_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = Arc::new(open(&config(&dir)).await);
    let limiter = Arc::new(castellan_adapters_local::InProcessRateLimiter::default());
    let epochs = castellan_adapters_local::InProcessEpochs::default();
    let admission =
        castellan_adapters_local::SplitAdmission::new(tokens, limiter).with_epochs(epochs.clone());
    castellan_testkit::rate_limit::epochs_move_on_every_change(&admission, &epochs).await;
}
