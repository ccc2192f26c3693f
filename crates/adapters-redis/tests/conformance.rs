//! The token-store conformance suite against a real Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use castellan_adapters_redis::{RedisConfig, RedisTokenStore};
use castellan_testkit::token_store as suite;
use std::time::Duration;

fn store(url: &str) -> RedisTokenStore {
    let config = RedisConfig {
        url: url.to_string(),
        key_prefix: format!("test:{}:", uuid::Uuid::new_v4()),
        max_connections: 4,
        timeout: Duration::from_secs(1),
    };
    RedisTokenStore::new(&config).unwrap()
}

fn redis_url() -> String {
    std::env::var("CASTELLAN_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

#[tokio::test]
async fn revoked_access_tokens_are_reported() {
    suite::revoked_access_tokens_are_reported(&store(&redis_url())).await;
}

#[tokio::test]
async fn revoked_sessions_are_reported() {
    suite::revoked_sessions_are_reported(&store(&redis_url())).await;
}

#[tokio::test]
async fn entries_expire_after_their_ttl() {
    suite::entries_expire_after_their_ttl(&store(&redis_url())).await;
}

#[tokio::test]
async fn an_unreachable_store_fails_closed_quickly() {
    // A port nothing listens on: the real failure, not a mock.
    let dead = store(&format!(
        "redis://127.0.0.1:{}",
        castellan_testkit::free_port()
    ));
    suite::unreachable_store_fails_closed(&dead).await;
}

#[tokio::test]
async fn rate_limiter_burst_then_refusal() {
    let limiter = castellan_adapters_redis::RedisRateLimiter::new(store(&redis_url()));
    castellan_testkit::rate_limit::burst_then_refusal(&limiter).await;
}

#[tokio::test]
async fn rate_limiter_buckets_refill() {
    let limiter = castellan_adapters_redis::RedisRateLimiter::new(store(&redis_url()));
    castellan_testkit::rate_limit::buckets_refill(&limiter).await;
}

#[tokio::test]
async fn rate_limiter_reset_times() {
    let limiter = castellan_adapters_redis::RedisRateLimiter::new(store(&redis_url()));
    castellan_testkit::rate_limit::reset_times(&limiter).await;
}

#[tokio::test]
async fn rate_limiter_is_atomic_under_concurrency() {
    let limiter = castellan_adapters_redis::RedisRateLimiter::new(store(&redis_url()));
    castellan_testkit::rate_limit::atomic_under_concurrency(&limiter).await;
}

#[tokio::test]
async fn admission_checks_both_in_one_script() {
    let tokens = store(&redis_url());
    let admission = castellan_adapters_redis::RedisAdmission::new(tokens.clone());
    castellan_testkit::rate_limit::admission_checks_both(&admission, &tokens).await;
}

#[tokio::test]
async fn admission_reads_the_epochs_in_the_same_script() {
    let tokens = store(&redis_url());
    let admission = castellan_adapters_redis::RedisAdmission::new(tokens.clone());
    let epochs = castellan_adapters_redis::RedisEpochs::new(tokens);
    castellan_testkit::rate_limit::epochs_move_on_every_change(&admission, &epochs).await;
}

fn lockout() -> castellan_adapters_redis::RedisLockout {
    castellan_adapters_redis::RedisLockout::new(
        store(&redis_url()),
        castellan_testkit::lockout::POLICY,
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
