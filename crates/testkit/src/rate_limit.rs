//! Conformance suite of [`RateLimiter`].

use castellan_ports::{Quota, RateLimiter};
use std::time::Duration;

fn key(name: &str) -> String {
    format!("{name}:{}", uuid::Uuid::new_v4())
}

/// A bucket allows its burst, then refuses with a `Retry-After`; refusals take nothing;
/// buckets are independent.
pub async fn burst_then_refusal(limiter: &dyn RateLimiter) {
    let quota = Quota {
        limit: 3,
        period_secs: 60,
    };
    let bucket = key("burst");
    for remaining in [2, 1, 0] {
        let d = limiter.hit(&bucket, quota).await.unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, remaining);
        assert_eq!(d.retry_after_secs, 0);
        assert!(d.reset_secs > 0 && d.reset_secs <= 60, "{d:?}");
    }
    for _ in 0..3 {
        let d = limiter.hit(&bucket, quota).await.unwrap();
        assert!(!d.allowed);
        assert_eq!(d.remaining, 0);
        assert!(
            (1..=20).contains(&d.retry_after_secs),
            "one token every 20 s: {d:?}"
        );
    }
    assert!(limiter.hit(&key("other"), quota).await.unwrap().allowed);
}

/// Tokens come back at the quota's rate.
pub async fn buckets_refill(limiter: &dyn RateLimiter) {
    let quota = Quota {
        limit: 2,
        period_secs: 1,
    };
    let bucket = key("refill");
    assert!(limiter.hit(&bucket, quota).await.unwrap().allowed);
    assert!(limiter.hit(&bucket, quota).await.unwrap().allowed);
    assert!(!limiter.hit(&bucket, quota).await.unwrap().allowed);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(limiter.hit(&bucket, quota).await.unwrap().allowed);
}
