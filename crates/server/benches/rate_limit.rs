//! What a rate-limit check costs per request, on each adapter, and what it adds to the
//! authenticated hot path: the revocation check alone (limits off) against the revocation
//! check with the caller's bucket and the access epoch (limits on: one script on Redis, one
//! after the other in process).
//! Redis at `CASTELLAN_TEST_REDIS_URL` (default the local one); skipped when it is down.

use castellan_adapters_local::{InProcessRateLimiter, SplitAdmission};
use castellan_adapters_redis::{RedisAdmission, RedisConfig, RedisRateLimiter, RedisTokenStore};
use castellan_domain::SessionId;
use castellan_ports::{Admission, Check, Quota, RateLimiter, TokenStore};
use criterion::{criterion_group, criterion_main, Criterion};
use std::sync::Arc;
use std::time::Duration;

/// Never refused within a run: the cost measured is the check's.
const QUOTA: Quota = Quota {
    limit: 1_000_000_000,
    period_secs: 60,
};

fn redis() -> Option<RedisTokenStore> {
    let url = std::env::var("CASTELLAN_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let store = RedisTokenStore::new(&RedisConfig {
        url,
        key_prefix: format!("bench:{}:", uuid::Uuid::new_v4().simple()),
        max_connections: 4,
        lanes: 1,
        timeout: Duration::from_secs(1),
    })
    .ok()?;
    Some(store)
}

fn bench(c: &mut Criterion) {
    let Ok(rt) = tokio::runtime::Runtime::new() else {
        return;
    };
    let (jti, sid) = (uuid::Uuid::now_v7(), SessionId::new());
    let check = Check {
        jti,
        sid,
        user: uuid::Uuid::now_v7(),
        bucket: Some(("user:bench", QUOTA)),
    };
    let unlimited = Check {
        bucket: None,
        ..check
    };

    let limiter = InProcessRateLimiter::default();
    c.bench_function("rate_limit_hit_in_process", |b| {
        b.to_async(&rt).iter(|| limiter.hit("user:bench", QUOTA))
    });

    let Some(store) = redis() else {
        eprintln!("rate_limit bench: no Redis, Redis cases skipped");
        return;
    };
    if rt.block_on(store.ping()).is_err() {
        eprintln!("rate_limit bench: Redis unreachable, Redis cases skipped");
        return;
    }
    let limiter = RedisRateLimiter::new(store.clone());
    c.bench_function("rate_limit_hit_redis", |b| {
        b.to_async(&rt).iter(|| limiter.hit("user:bench", QUOTA))
    });
    c.bench_function("hot_path_redis_limits_off_revocation_only", |b| {
        b.to_async(&rt).iter(|| store.is_revoked(jti, sid))
    });
    let admission = RedisAdmission::new(store.clone());
    c.bench_function("hot_path_redis_limits_on_one_script", |b| {
        b.to_async(&rt).iter(|| admission.admit(check))
    });
    c.bench_function("hot_path_redis_limits_off_one_script_with_epoch", |b| {
        b.to_async(&rt).iter(|| admission.admit(unlimited))
    });
    let split = SplitAdmission::new(
        Arc::new(store.clone()) as Arc<dyn TokenStore>,
        Arc::new(RedisRateLimiter::new(store)),
    );
    c.bench_function("hot_path_redis_limits_on_two_round_trips", |b| {
        b.to_async(&rt).iter(|| split.admit(check))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
