//! Conformance suite of [`LoginLockout`], for adapters built with [`POLICY`].

use castellan_domain::lockout::{Attempt, LockKind, LockoutPolicy};
use castellan_ports::LoginLockout;

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

async fn fail(lockout: &dyn LoginLockout, email: &str, address: &str) -> Option<LockKind> {
    assert_eq!(
        lockout.begin(email, address).await.unwrap(),
        Attempt::Allowed
    );
    lockout.failed(email, address).await.unwrap()
}

/// Failures in a row lock the pair (once), not the email from elsewhere; a success
/// resets; `clear` forgets everything.
pub async fn failures_in_a_row_lock_the_pair(lockout: &dyn LoginLockout) {
    let email = email();
    assert_eq!(fail(lockout, &email, "10.0.0.1").await, None);
    assert_eq!(fail(lockout, &email, "10.0.0.1").await, None);
    assert_eq!(
        lockout.begin(&email, "10.0.0.1").await.unwrap(),
        Attempt::Allowed
    );
    lockout.succeeded(&email, "10.0.0.1").await.unwrap();
    assert_eq!(fail(lockout, &email, "10.0.0.1").await, None);
    assert_eq!(fail(lockout, &email, "10.0.0.1").await, None);
    assert_eq!(
        fail(lockout, &email, "10.0.0.1").await,
        Some(LockKind::Address)
    );
    let Attempt::Locked { retry_after_secs } = lockout.begin(&email, "10.0.0.1").await.unwrap()
    else {
        panic!("not locked");
    };
    assert!(
        (899..=900).contains(&retry_after_secs),
        "{retry_after_secs}"
    );
    assert_eq!(
        lockout.begin(&email, "10.0.0.2").await.unwrap(),
        Attempt::Allowed
    );
    lockout.clear(&email).await.unwrap();
    assert_eq!(
        lockout.begin(&email, "10.0.0.1").await.unwrap(),
        Attempt::Allowed
    );
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
        lockout.begin(&email, "192.0.2.1").await.unwrap(),
        Attempt::Locked { .. }
    ));
    assert_eq!(
        lockout.begin(&self::email(), "192.0.2.1").await.unwrap(),
        Attempt::Allowed
    );
}

/// Concurrent attempts on one pair: exactly as many begin as a lock needs.
pub async fn concurrent_attempts_are_counted_exactly(lockout: &dyn LoginLockout) {
    let email = email();
    let attempts = (0..30).map(|_| lockout.begin(&email, "10.2.0.1"));
    let outcomes = futures::future::join_all(attempts).await;
    let allowed = outcomes
        .iter()
        .filter(|o| *o.as_ref().unwrap() == Attempt::Allowed)
        .count();
    assert_eq!(allowed, 3);
    let failures = (0..3).map(|_| lockout.failed(&email, "10.2.0.1"));
    let locks: Vec<_> = futures::future::join_all(failures)
        .await
        .into_iter()
        .filter_map(|r| r.unwrap())
        .collect();
    assert_eq!(locks, [LockKind::Address], "one lock, set once");
}
