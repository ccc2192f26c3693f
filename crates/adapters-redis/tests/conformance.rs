//! The token-store conformance suite against a real Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use castellan_adapters_local::SettledRateLimiter;
use castellan_adapters_redis::{RedisConfig, RedisTokenStore};
use castellan_domain::SessionId;
use castellan_testkit::token_store as suite;
use std::sync::Arc;
use std::time::Duration;

fn config(url: &str) -> RedisConfig {
    RedisConfig {
        url: url.to_string(),
        key_prefix: format!("test:{}:", uuid::Uuid::new_v4()),
        max_connections: 4,
        lanes: 1,
        timeout: Duration::from_secs(1),
    }
}

fn store(url: &str) -> RedisTokenStore {
    RedisTokenStore::new(&config(url)).unwrap()
}

/// A pool per lane: an HTTP worker's connections do their I/O on the worker's thread.
#[test]
fn each_lane_opens_its_own_connections() {
    use castellan_ports::TokenStore;
    let laned = RedisConfig {
        lanes: 3,
        max_connections: 6,
        ..config(&redis_url())
    };
    let store = RedisTokenStore::new(&laned).unwrap();
    let caller = store.clone();
    castellan_testkit::lanes::each_lane_opens_its_own(
        move || {
            let store = caller.clone();
            async move { store.ping().await.unwrap() }
        },
        || {
            let (idle, busy) = store.usage();
            idle + busy
        },
    );
}

/// A lane's calls share one multiplexed connection: many at once open no second one, and
/// the connection stays drawn between calls (no checkout, no recycle `PING`, per call).
#[tokio::test]
async fn a_lanes_calls_share_one_connection() {
    use castellan_ports::TokenStore;
    let store = store(&redis_url());
    store.ping().await.unwrap();
    let calls = (0..32).map(|_| store.is_revoked(uuid::Uuid::new_v4(), SessionId::new()));
    for revoked in futures::future::join_all(calls).await {
        assert!(!revoked.unwrap());
    }
    assert_eq!(store.usage(), (0, 1), "(idle, busy)");
}

/// A Redis that restarts costs no failed call: the lane's held connection is dead, so the
/// next call notices, draws a fresh one and runs there.
#[tokio::test]
async fn a_redis_restart_costs_no_failed_call() {
    use castellan_ports::TokenStore;
    let mut redis = castellan_testkit::ThrowawayRedis::start();
    let store = store(&redis.url());
    store.ping().await.unwrap();
    assert_eq!(store.usage(), (0, 1), "the lane holds its connection");
    redis.kill();
    redis.restart();
    let revoked = store
        .is_revoked(uuid::Uuid::new_v4(), SessionId::new())
        .await;
    assert!(!revoked.unwrap());
    store.ping().await.unwrap();
    assert_eq!(store.usage(), (0, 1), "the dead connection left the pool");
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
async fn shared_buckets_settle_debts_in_one_script() {
    let limiter = castellan_adapters_redis::RedisRateLimiter::new(store(&redis_url()));
    castellan_testkit::rate_limit::shared_buckets_settle(&limiter, &limiter).await;
}

/// Two replicas' settled limiters on one Redis (settling on demand here; `serve` settles
/// every `rate_limit.anonymous_settle_ms`).
fn settled_replicas() -> [SettledRateLimiter; 2] {
    let shared = Arc::new(castellan_adapters_redis::RedisRateLimiter::new(store(
        &redis_url(),
    )));
    let replica = || SettledRateLimiter::start(shared.clone(), Duration::from_secs(3600));
    [replica(), replica()]
}

#[tokio::test]
async fn settled_limiters_share_buckets_through_redis() {
    let [a, b] = settled_replicas();
    let settle = || async {
        a.settle().await.unwrap();
        b.settle().await.unwrap();
    };
    castellan_testkit::rate_limit::settled_limiters_share_buckets(&a, &b, settle).await;
}

#[tokio::test]
async fn a_settled_limiter_is_a_rate_limiter() {
    let [a, _] = settled_replicas();
    castellan_testkit::rate_limit::burst_then_refusal(&a).await;
    castellan_testkit::rate_limit::buckets_refill(&a).await;
    castellan_testkit::rate_limit::reset_times(&a).await;
    castellan_testkit::rate_limit::atomic_under_concurrency(&a).await;
}

#[tokio::test]
async fn a_settled_limiter_limits_in_process_while_redis_is_unreachable() {
    let dead = castellan_adapters_redis::RedisRateLimiter::new(store(&format!(
        "redis://127.0.0.1:{}",
        castellan_testkit::free_port()
    )));
    let limiter = SettledRateLimiter::start(Arc::new(dead), Duration::from_secs(3600));
    castellan_testkit::rate_limit::burst_then_refusal(&limiter).await;
    assert!(limiter.settle().await.is_err(), "the debts wait");
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

#[tokio::test]
async fn lockout_buckets_come_first() {
    let store = store(&redis_url());
    let limiter = castellan_adapters_redis::RedisRateLimiter::new(store.clone());
    let lockout =
        castellan_adapters_redis::RedisLockout::new(store, castellan_testkit::lockout::POLICY);
    castellan_testkit::lockout::buckets_come_first(&lockout, &limiter).await;
}

/// Attempts on one email from ever new addresses: the idle ones (a lock's length after
/// their last attempt) are forgotten as new ones come, so the email's hash stays bounded.
#[tokio::test]
async fn lockout_forgets_idle_addresses() {
    use castellan_domain::lockout::LockoutPolicy;
    use castellan_ports::{Attempted, LoginLockout};
    let config = config(&redis_url());
    let key = format!("{}lockout:sprayed@example.com", config.key_prefix);
    let policy = LockoutPolicy {
        address_failures: 1_000,
        email_failures: 100_000,
        window_secs: 3_600,
        lock_secs: 1,
    };
    let lockout =
        castellan_adapters_redis::RedisLockout::new(RedisTokenStore::new(&config).unwrap(), policy);
    let spray = |from: u32| {
        let lockout = &lockout;
        async move {
            for i in from..from + 300 {
                let address = format!("10.{}.{}.1", i / 256, i % 256);
                let attempt = Attempted {
                    email: "sprayed@example.com",
                    address: &address,
                };
                let gate = lockout.begin(&[], Some(attempt)).await.unwrap();
                assert_eq!(
                    gate.attempt,
                    Some(castellan_domain::lockout::Attempt::Allowed)
                );
                assert_eq!(
                    lockout
                        .failed("sprayed@example.com", &address)
                        .await
                        .unwrap(),
                    None
                );
            }
        }
    };
    let hlen = || async {
        let client = deadpool_redis::redis::Client::open(redis_url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        deadpool_redis::redis::cmd("HLEN")
            .arg(&key)
            .query_async::<usize>(&mut conn)
            .await
            .unwrap()
    };
    spray(0).await;
    let first = hlen().await;
    assert!(first >= 600, "every recent address is kept: {first}");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    spray(300).await;
    // Without forgetting: 600 addresses, two fields each.
    let after = hlen().await;
    assert!(after < 900, "{after} fields");
}
