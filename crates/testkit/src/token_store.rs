//! Conformance suite of [`TokenStore`].

use castellan_domain::SessionId;
use castellan_ports::TokenStore;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A blocklisted `jti` is reported revoked; another is not.
pub async fn revoked_access_tokens_are_reported(store: &dyn TokenStore) {
    let (jti, other, sid) = (Uuid::now_v7(), Uuid::now_v7(), SessionId::new());
    assert!(!store.is_revoked(jti, sid).await.unwrap());
    store.revoke_access(jti, 60).await.unwrap();
    assert!(store.is_revoked(jti, sid).await.unwrap());
    assert!(!store.is_revoked(other, sid).await.unwrap());
    store.ping().await.unwrap();
}

/// A revoked session revokes every token naming it; other sessions are untouched.
pub async fn revoked_sessions_are_reported(store: &dyn TokenStore) {
    let (a, b, c) = (SessionId::new(), SessionId::new(), SessionId::new());
    store.revoke_sessions(&[a, b], 60).await.unwrap();
    store.revoke_sessions(&[], 60).await.unwrap();
    assert!(store.is_revoked(Uuid::now_v7(), a).await.unwrap());
    assert!(store.is_revoked(Uuid::now_v7(), b).await.unwrap());
    assert!(!store.is_revoked(Uuid::now_v7(), c).await.unwrap());
}

/// Entries disappear once their TTL has passed (revocations outlive their tokens only
/// as long as needed).
pub async fn entries_expire_after_their_ttl(store: &dyn TokenStore) {
    let (jti, sid) = (Uuid::now_v7(), SessionId::new());
    store.revoke_access(jti, 1).await.unwrap();
    store.revoke_sessions(&[sid], 1).await.unwrap();
    assert!(store.is_revoked(jti, SessionId::new()).await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let access = store.is_revoked(jti, SessionId::new()).await.unwrap();
        let session = store.is_revoked(Uuid::now_v7(), sid).await.unwrap();
        if !access && !session {
            return;
        }
        assert!(Instant::now() < deadline, "entries outlived their TTL");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An unreachable store answers every call with an error within 2 s: never "not revoked".
pub async fn unreachable_store_fails_closed(store: &dyn TokenStore) {
    let started = Instant::now();
    assert!(store
        .is_revoked(Uuid::now_v7(), SessionId::new())
        .await
        .is_err());
    assert!(store.revoke_access(Uuid::now_v7(), 60).await.is_err());
    assert!(store
        .revoke_sessions(&[SessionId::new()], 60)
        .await
        .is_err());
    assert!(store.ping().await.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}
