//! Conformance suite of [`RateLimiter`], [`SharedBuckets`], [`Admission`] and
//! [`AccessEpochs`].

use castellan_domain::SessionId;
use castellan_ports::{
    AccessEpochs, Admission, Admitted, Check, Debt, Quota, RateLimiter, SharedBuckets, TokenStore,
};
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

/// `RateLimit-Reset` counts the seconds until the bucket is full again; a refusal's
/// `Retry-After` the seconds until one token is back.
pub async fn reset_times(limiter: &dyn RateLimiter) {
    let quota = Quota {
        limit: 60,
        period_secs: 60,
    };
    let bucket = key("reset");
    let d = limiter.hit(&bucket, quota).await.unwrap();
    assert_eq!(
        (d.remaining, d.reset_secs),
        (59, 1),
        "one token a second: {d:?}"
    );
    for _ in 0..59 {
        assert!(limiter.hit(&bucket, quota).await.unwrap().allowed);
    }
    let refused = limiter.hit(&bucket, quota).await.unwrap();
    assert!(!refused.allowed);
    assert!((1..=2).contains(&refused.retry_after_secs), "{refused:?}");
    assert!((58..=60).contains(&refused.reset_secs), "{refused:?}");
}

/// Concurrent requests on one bucket take exactly its burst: the check and the take are
/// one step.
pub async fn atomic_under_concurrency(limiter: &dyn RateLimiter) {
    let quota = Quota {
        limit: 10,
        period_secs: 3600,
    };
    let bucket = key("atomic");
    let hits = (0..40).map(|_| limiter.hit(&bucket, quota));
    let decisions = futures::future::join_all(hits).await;
    let allowed = decisions
        .iter()
        .filter(|d| d.as_ref().unwrap().allowed)
        .count();
    assert_eq!(allowed, 10);
}

/// [`SharedBuckets`]: debts are taken from their buckets in one call, each answering what
/// it has left; a debt of 0 only reads; a bucket goes into debt down to minus its capacity
/// and refills from there; the buckets are those of [`RateLimiter::hit`] (`limiter`, on the
/// same store).
pub async fn shared_buckets_settle(shared: &dyn SharedBuckets, limiter: &dyn RateLimiter) {
    let quota = Quota {
        limit: 10,
        period_secs: 3600,
    };
    let (a, b) = (key("settle-a"), key("settle-b"));
    let debt = |key: &str, taken| Debt {
        key: key.to_string(),
        quota,
        taken,
    };
    let left = shared.settle(&[debt(&a, 3), debt(&b, 0)]).await.unwrap();
    assert_eq!(left.len(), 2);
    assert!((6.9..7.1).contains(&left[0]), "{left:?}");
    assert!(
        (9.9..=10.0).contains(&left[1]),
        "an unknown bucket is full: {left:?}"
    );
    let d = limiter.hit(&a, quota).await.unwrap();
    assert_eq!(d.remaining, 6, "hit sees what was settled: {d:?}");
    let left = shared.settle(&[debt(&a, 25)]).await.unwrap();
    assert!(
        (-10.0..-9.9).contains(&left[0]),
        "debt floored at -capacity: {left:?}"
    );
    let d = limiter.hit(&a, quota).await.unwrap();
    assert!(!d.allowed, "{d:?}");
    assert!(d.retry_after_secs > 3600, "11 tokens to wait for: {d:?}");
    assert!(shared.settle(&[]).await.unwrap().is_empty());
}

/// Two replicas' limiters settled with one store (`settle` settles `a`, then `b`): a
/// bucket spent on one is refused by the other when the other first sees it after the
/// spending one settled; a bucket both hold is refused by each as soon as its own
/// settlement shows it spent (until then a replica decides on what it last learnt).
pub async fn settled_limiters_share_buckets<S, F>(
    a: &dyn RateLimiter,
    b: &dyn RateLimiter,
    settle: S,
) where
    S: Fn() -> F,
    F: std::future::Future<Output = ()>,
{
    let quota = Quota {
        limit: 5,
        period_secs: 3600,
    };
    // Spent on `a`, then first seen by `b`: read from the store.
    let bucket = key("settled-first-seen");
    for _ in 0..5 {
        assert!(a.hit(&bucket, quota).await.unwrap().allowed);
    }
    assert!(!a.hit(&bucket, quota).await.unwrap().allowed);
    settle().await;
    let d = b.hit(&bucket, quota).await.unwrap();
    assert!(!d.allowed, "spent on the other replica: {d:?}");
    // Held by both, spent on both: each pays its share and learns the others'.
    let bucket = key("settled-held");
    assert!(b.hit(&bucket, quota).await.unwrap().allowed);
    for _ in 0..4 {
        assert!(a.hit(&bucket, quota).await.unwrap().allowed);
    }
    settle().await; // `a` pays 4 (1 left), then `b` pays 1 (0 left)
    let d = b.hit(&bucket, quota).await.unwrap();
    assert!(!d.allowed, "`b` learnt `a`'s four: {d:?}");
    let d = a.hit(&bucket, quota).await.unwrap();
    assert!(d.allowed, "`a` last learnt 1 left: {d:?}");
    settle().await;
    let d = a.hit(&bucket, quota).await.unwrap();
    assert!(!d.allowed, "`a` learnt `b`'s one: {d:?}");
}

/// One admission check of a fresh user's token under `quota`.
async fn admit(
    admission: &dyn Admission,
    jti: uuid::Uuid,
    sid: SessionId,
    bucket: &str,
    quota: Quota,
) -> Admitted {
    let check = Check {
        jti,
        sid,
        user: uuid::Uuid::now_v7(),
        bucket: Some((bucket, quota)),
    };
    admission.admit(check).await.unwrap()
}

/// [`Admission`]: the revocation state and the caller's bucket, in one call; a revoked
/// token's request takes nothing from the bucket; without a bucket nothing is taken.
pub async fn admission_checks_both(admission: &dyn Admission, tokens: &dyn TokenStore) {
    let quota = Quota {
        limit: 2,
        period_secs: 60,
    };
    let (jti, sid, bucket) = (uuid::Uuid::now_v7(), SessionId::new(), key("admit"));
    let admitted = admit(admission, jti, sid, &bucket, quota).await;
    assert!(!admitted.revoked);
    let taken = admitted.decision.map(|d| (d.allowed, d.remaining));
    assert_eq!(taken, Some((true, 1)));
    tokens.revoke_access(jti, 60).await.unwrap();
    for _ in 0..3 {
        let admitted = admit(admission, jti, sid, &bucket, quota).await;
        assert!(admitted.revoked);
        assert_eq!(admitted.decision, None, "nothing taken for a revoked token");
        assert_eq!(admitted.epoch, None, "no epoch for a revoked token");
    }
    let unlimited = Check {
        jti: uuid::Uuid::now_v7(),
        sid: SessionId::new(),
        user: uuid::Uuid::now_v7(),
        bucket: None,
    };
    let admitted = admission.admit(unlimited).await.unwrap();
    assert!(!admitted.revoked && admitted.decision.is_none());
    let (other, other_sid) = (uuid::Uuid::now_v7(), SessionId::new());
    let admitted = admit(admission, other, other_sid, &bucket, quota).await;
    assert!(!admitted.revoked);
    let taken = admitted.decision.map(|d| (d.allowed, d.remaining));
    assert_eq!(taken, Some((true, 0)), "the unlimited check took nothing");
    tokens.revoke_sessions(&[other_sid], 60).await.unwrap();
    let fresh = uuid::Uuid::now_v7();
    let admitted = admit(admission, fresh, other_sid, &bucket, quota).await;
    assert!(
        admitted.revoked,
        "the session's revocation covers every token of it"
    );
    let admitted = admit(
        admission,
        uuid::Uuid::now_v7(),
        SessionId::new(),
        &bucket,
        quota,
    )
    .await;
    assert_eq!(
        admitted.decision.map(|d| d.allowed),
        Some(false),
        "the bucket is spent"
    );
}

/// The epoch [`Admission`] reads for `user`.
async fn epoch_of(admission: &dyn Admission, user: uuid::Uuid) -> String {
    let check = Check {
        jti: uuid::Uuid::now_v7(),
        sid: SessionId::new(),
        user,
        bucket: None,
    };
    let admitted = admission.admit(check).await.unwrap();
    admitted.epoch.expect("this admission tracks epochs")
}

/// [`AccessEpochs`] as [`Admission`] reads them: steady while nothing changes; a user's
/// change moves that user's epoch only; a change of access moves everyone's; an epoch
/// never comes back.
pub async fn epochs_move_on_every_change(admission: &dyn Admission, epochs: &dyn AccessEpochs) {
    let (alice, bob) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let (a1, b1) = (
        epoch_of(admission, alice).await,
        epoch_of(admission, bob).await,
    );
    assert_eq!(
        epoch_of(admission, alice).await,
        a1,
        "steady without change"
    );
    epochs.user_changed(alice).await.unwrap();
    let a2 = epoch_of(admission, alice).await;
    assert_ne!(a2, a1, "alice's change moves her epoch");
    assert_eq!(epoch_of(admission, bob).await, b1, "and not bob's");
    epochs.access_changed().await.unwrap();
    let (a3, b2) = (
        epoch_of(admission, alice).await,
        epoch_of(admission, bob).await,
    );
    assert!(a3 != a2 && b2 != b1, "a change of access moves every epoch");
    epochs.user_changed(alice).await.unwrap();
    let a4 = epoch_of(admission, alice).await;
    assert!(![&a1, &a2, &a3].contains(&&a4), "an epoch never comes back");
}
