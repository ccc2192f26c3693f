//! Conformance suite of [`LoginLockout`], for adapters built with [`POLICY`].

use castellan_domain::lockout::{Attempt, LockKind, LockoutPolicy};
use castellan_ports::{Attempted, Bucket, LoginLockout, Quota, RateLimiter};

/// The thresholds the suite expects the adapter under test to be built with.
pub const POLICY: LockoutPolicy = LockoutPolicy {
    address_failures: 3,
    email_failures: 5,
    window_secs: 3600,
    lock_secs: 900,
};

fn email() -> String {
    format!("lockout-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// `begin` of an attempt alone, no bucket.
async fn begin(lockout: &dyn LoginLockout, email: &str, address: &str) -> Attempt {
    let gate = lockout
        .begin(&[], Some(Attempted { email, address }))
        .await
        .unwrap();
    assert!(gate.limits.is_empty());
    gate.attempt.expect("an attempt named is answered")
}

async fn fail(lockout: &dyn LoginLockout, email: &str, address: &str) -> Option<LockKind> {
    assert_eq!(begin(lockout, email, address).await, Attempt::Allowed);
    lockout.failed(email, address).await.unwrap()
}

/// Failures in a row lock the pair (once), not the email from elsewhere; a success
/// resets; `clear` forgets everything.
pub async fn failures_in_a_row_lock_the_pair(lockout: &dyn LoginLockout) {
    let email = email();
    assert_eq!(fail(lockout, &email, "10.0.0.1").await, None);
    assert_eq!(fail(lockout, &email, "10.0.0.1").await, None);
    assert_eq!(begin(lockout, &email, "10.0.0.1").await, Attempt::Allowed);
    lockout.succeeded(&email, "10.0.0.1").await.unwrap();
    assert_eq!(fail(lockout, &email, "10.0.0.1").await, None);
    assert_eq!(fail(lockout, &email, "10.0.0.1").await, None);
    assert_eq!(
        fail(lockout, &email, "10.0.0.1").await,
        Some(LockKind::Address)
    );
    let Attempt::Locked { retry_after_secs } = begin(lockout, &email, "10.0.0.1").await else {
        panic!("not locked");
    };
    assert!(
        (899..=900).contains(&retry_after_secs),
        "{retry_after_secs}"
    );
    assert_eq!(begin(lockout, &email, "10.0.0.2").await, Attempt::Allowed);
    lockout.clear(&email).await.unwrap();
    assert_eq!(begin(lockout, &email, "10.0.0.1").await, Attempt::Allowed);
}

/// Failures from many addresses lock the email everywhere.
pub async fn failures_everywhere_lock_the_email(lockout: &dyn LoginLockout) {
    let email = email();
    for i in 0..4 {
        assert_eq!(fail(lockout, &email, &format!("10.1.0.{i}")).await, None);
    }
    assert_eq!(
        fail(lockout, &email, "10.1.0.9").await,
        Some(LockKind::Email)
    );
    assert!(matches!(
        begin(lockout, &email, "192.0.2.1").await,
        Attempt::Locked { .. }
    ));
    assert_eq!(
        begin(lockout, &self::email(), "192.0.2.1").await,
        Attempt::Allowed
    );
}

/// Concurrent attempts on one pair: exactly as many begin as a lock needs.
pub async fn concurrent_attempts_are_counted_exactly(lockout: &dyn LoginLockout) {
    let email = email();
    let attempts = (0..30).map(|_| begin(lockout, &email, "10.2.0.1"));
    let outcomes = futures::future::join_all(attempts).await;
    let allowed = outcomes.iter().filter(|o| **o == Attempt::Allowed).count();
    assert_eq!(allowed, 3);
    let failures = (0..3).map(|_| lockout.failed(&email, "10.2.0.1"));
    let locks: Vec<_> = futures::future::join_all(failures)
        .await
        .into_iter()
        .filter_map(|r| r.unwrap())
        .collect();
    assert_eq!(locks, [LockKind::Address], "one lock, set once");
}

fn bucket(limit: u32) -> Bucket {
    Bucket {
        key: format!("lockout-test:{}", uuid::Uuid::new_v4().simple()),
        quota: Quota {
            limit,
            period_secs: 3600,
        },
    }
}

/// The buckets come first, in order, and are the rate limiter's (`limiter`, on the same
/// store): a refusal stops there, asking no later bucket and counting no attempt; without
/// an attempt only the buckets are taken.
pub async fn buckets_come_first(lockout: &dyn LoginLockout, limiter: &dyn RateLimiter) {
    let email = email();
    let attempt = || {
        Some(Attempted {
            email: &email,
            address: "10.3.0.1",
        })
    };
    let (first, second) = (bucket(2), bucket(5));
    let buckets = [first.clone(), second.clone()];
    let gate = lockout.begin(&buckets, attempt()).await.unwrap();
    assert_eq!(gate.attempt, Some(Attempt::Allowed));
    let remaining: Vec<_> = gate
        .limits
        .iter()
        .map(|d| (d.allowed, d.remaining))
        .collect();
    assert_eq!(remaining, [(true, 1), (true, 4)]);
    // The limiter sees the token taken: the first bucket's last one goes here.
    let last = limiter.hit(&first.key, first.quota).await.unwrap();
    assert_eq!((last.allowed, last.remaining), (true, 0));
    let gate = lockout.begin(&buckets, attempt()).await.unwrap();
    assert!(!gate.within_limits());
    assert_eq!(gate.limits.len(), 1, "the second bucket is not asked");
    assert!(gate.limits[0].retry_after_secs > 0);
    assert_eq!(gate.attempt, None);
    let untouched = limiter.hit(&second.key, second.quota).await.unwrap();
    assert_eq!(untouched.remaining, 3, "only the first gate took from it");
    // The refused gate counted no attempt: two failures do not lock the pair (three do).
    assert_eq!(fail(lockout, &email, "10.3.0.1").await, None);
    assert_eq!(
        fail(lockout, &email, "10.3.0.1").await,
        Some(LockKind::Address)
    );
    // Buckets alone: taken, no attempt counted or refused (the pair is locked).
    let third = bucket(1);
    let gate = lockout
        .begin(std::slice::from_ref(&third), None)
        .await
        .unwrap();
    assert_eq!(gate.attempt, None);
    assert!(gate.within_limits());
    assert!(!limiter.hit(&third.key, third.quota).await.unwrap().allowed);
}
