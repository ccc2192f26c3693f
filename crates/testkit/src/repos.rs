//! Conformance suites of [`UserRepository`] and [`SessionRepository`]. Each expects a
//! freshly migrated database (the `default` tenant and its system roles present).

use crate::audit::event;
use castellan_domain::audit::Event;
use castellan_domain::{Email, Profile, Session, SessionId, TenantId, User, UserId};
use castellan_ports::{
    NewSession, RefreshOutcome, RepoError, SessionRepository, UserKey, UserRepository,
};
use chrono::{Duration, Utc};

const DEFAULT: Option<uuid::Uuid> = Some(TenantId::DEFAULT.0);

/// The event of a write to `user` (in the default tenant).
fn on_user(action: &str, user: UserId) -> Event {
    event(action, DEFAULT).target("user", user)
}

/// The event of a refresh of `session`, as `rotate` wants it.
fn on_refresh(session: &Session) -> Event {
    event("session.refresh", Some(session.tenant_id.0)).target("session", session.id)
}

/// A new active user in the default tenant with a unique email.
pub fn new_user(local: &str) -> User {
    let now = Utc::now();
    User {
        id: UserId::new(),
        tenant_id: TenantId::DEFAULT,
        email: Email::parse(&format!("{local}-{}@example.com", uuid::Uuid::new_v4())).unwrap(),
        password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into(),
        profile: Profile::default(),
        is_active: true,
        is_superuser: false,
        token_version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Insert, find by id and by email (case-insensitively stored lower-case), roles.
pub async fn users_round_trip(repo: &dyn UserRepository) {
    let user = new_user("Round");
    repo.insert(&user, &["User"], &on_user("user.create", user.id))
        .await
        .unwrap();
    let by_id = repo.by_id(user.id).await.unwrap().unwrap();
    assert_eq!(by_id.email, user.email);
    assert_eq!(by_id.token_version, 1);
    assert!(by_id.is_active);
    let by_email = repo.by_email(&user.email).await.unwrap().unwrap();
    assert_eq!(by_email.id, user.id);
    assert_eq!(
        repo.role_names(user.id).await.unwrap(),
        vec!["User".to_string()]
    );
    assert!(repo.by_id(UserId::new()).await.unwrap().is_none());
    for key in [UserKey::Id(user.id), UserKey::Email(&user.email)] {
        let (found, roles) = repo.with_roles(key).await.unwrap().unwrap();
        assert_eq!(found, by_id, "{key:?}");
        assert_eq!(roles, vec!["User".to_string()], "{key:?}");
    }
    assert!(repo
        .with_roles(UserKey::Id(UserId::new()))
        .await
        .unwrap()
        .is_none());
    repo.ping().await.unwrap();
}

/// A second account with the same email is a conflict on `email`.
pub async fn duplicate_email_conflicts(repo: &dyn UserRepository) {
    let user = new_user("dup");
    repo.insert(&user, &["User"], &on_user("user.create", user.id))
        .await
        .unwrap();
    let mut twin = new_user("dup");
    twin.email = user.email.clone();
    match repo
        .insert(&twin, &["User"], &on_user("user.create", twin.id))
        .await
    {
        Err(RepoError::Conflict(subject)) => assert_eq!(subject, "email"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// Account update, password change and logout-all: only the latter two and deactivation
/// bump the token version; deactivation keeps the row; reactivation keeps the version.
pub async fn user_updates(repo: &dyn UserRepository) {
    let user = new_user("upd");
    repo.insert(&user, &[], &on_user("user.create", user.id))
        .await
        .unwrap();
    let profile = Profile {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        patronymic: String::new(),
    };
    let updated = repo
        .update_account(
            user.id,
            &profile,
            true,
            Utc::now(),
            &on_user("user.update", user.id),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.profile, profile);
    assert!(updated.is_active);
    assert_eq!(
        updated.token_version, 1,
        "a profile edit keeps tokens alive"
    );
    assert!(
        repo.update_account(
            UserId::new(),
            &profile,
            true,
            Utc::now(),
            &on_user("user.update", user.id),
        )
        .await
        .unwrap()
        .is_none(),
        "no such user"
    );
    assert_eq!(
        repo.set_password(
            user.id,
            "$new",
            Utc::now(),
            &on_user("user.password_change", user.id)
        )
        .await
        .unwrap(),
        2
    );
    assert_eq!(
        repo.bump_token_version(user.id, Utc::now(), &on_user("user.logout_all", user.id))
            .await
            .unwrap(),
        3
    );
    let deactivated = repo
        .update_account(
            user.id,
            &profile,
            false,
            Utc::now(),
            &on_user("user.deactivate", user.id),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!deactivated.is_active);
    assert!(
        deactivated.token_version > 3,
        "deactivation ends every token"
    );
    let stored = repo.by_id(user.id).await.unwrap().unwrap();
    assert!(!stored.is_active);
    assert_eq!(stored.password_hash, "$new");
    assert_eq!(stored.profile, profile);
    assert_eq!(stored.token_version, deactivated.token_version);
    assert!(repo.role_names(user.id).await.unwrap().is_empty());
    let (found, roles) = repo
        .with_roles(UserKey::Id(user.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found, roles),
        (stored, vec![]),
        "an inactive user without roles"
    );
    let reactivated = repo
        .update_account(
            user.id,
            &profile,
            true,
            Utc::now(),
            &on_user("user.reactivate", user.id),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(reactivated.is_active);
    assert_eq!(
        reactivated.token_version, deactivated.token_version,
        "reactivation keeps old tokens dead"
    );
}

fn session_for(user: &User, ttl: Duration) -> Session {
    let now = Utc::now();
    Session {
        id: SessionId::new(),
        user_id: user.id,
        tenant_id: user.tenant_id,
        created_at: now,
        last_used_at: now,
        expires_at: now + ttl,
        revoked_at: None,
        ip: Some("127.0.0.1".into()),
        user_agent: Some("testkit".into()),
    }
}

/// Refresh rotation: the current token rotates once, with the session's user and their
/// roles as they are; presenting it again is reuse; an unknown token is invalid; a revoked
/// session's token is invalid.
pub async fn refresh_rotation_and_reuse(
    users: &dyn UserRepository,
    sessions: &dyn SessionRepository,
) {
    let user = new_user("rot");
    users
        .insert(&user, &["User"], &on_user("user.create", user.id))
        .await
        .unwrap();
    let session = session_for(&user, Duration::days(1));
    sessions
        .create(
            &NewSession {
                session: session.clone(),
                refresh_hash: vec![1; 32],
            },
            Some(&event("auth.login", DEFAULT).target("session", session.id)),
        )
        .await
        .unwrap();
    let now = Utc::now();
    let revoke = event("session.revoke", DEFAULT).target("session", session.id);
    match sessions
        .rotate(&[1; 32], &[2; 32], now, Box::new(on_refresh))
        .await
        .unwrap()
    {
        RefreshOutcome::Rotated(r) => {
            assert_eq!(r.session.id, session.id);
            assert_eq!(r.session.last_used_at.timestamp(), now.timestamp());
            assert_eq!((r.user.id, &r.user.email), (user.id, &user.email));
            assert_eq!(r.roles, ["User"]);
        }
        other => panic!("expected rotation, got {other:?}"),
    }
    match sessions
        .rotate(&[1; 32], &[3; 32], now, Box::new(on_refresh))
        .await
        .unwrap()
    {
        RefreshOutcome::Reused(s) => assert_eq!(s.id, session.id),
        other => panic!("expected reuse, got {other:?}"),
    }
    assert_eq!(
        sessions
            .rotate(&[9; 32], &[4; 32], now, Box::new(on_refresh))
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );
    assert!(sessions.revoke(session.id, now, &revoke).await.unwrap());
    assert!(!sessions.revoke(session.id, now, &revoke).await.unwrap());
    assert_eq!(
        sessions
            .rotate(&[2; 32], &[5; 32], now, Box::new(on_refresh))
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );
}

/// Listing shows only active sessions, newest first; revoke-all ends them all.
pub async fn session_listing_and_revoke_all(
    users: &dyn UserRepository,
    sessions: &dyn SessionRepository,
) {
    let user = new_user("list");
    users
        .insert(&user, &[], &on_user("user.create", user.id))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..3u8 {
        let session = session_for(&user, Duration::days(1));
        ids.push(session.id);
        sessions
            .create(
                &NewSession {
                    session,
                    refresh_hash: vec![100 + n; 32],
                },
                None,
            )
            .await
            .unwrap();
    }
    let expired = session_for(&user, Duration::seconds(-5));
    sessions
        .create(
            &NewSession {
                session: expired,
                refresh_hash: vec![200; 32],
            },
            None,
        )
        .await
        .unwrap();
    let now = Utc::now();
    let listed: Vec<SessionId> = sessions
        .list_active(user.id, now)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(listed, newest_first);
    assert_eq!(
        sessions
            .by_id(ids[0])
            .await
            .unwrap()
            .unwrap()
            .user_agent
            .as_deref(),
        Some("testkit")
    );
    let revoked = sessions.revoke_all(user.id, now).await.unwrap();
    assert_eq!(revoked.len(), 3);
    assert!(sessions.list_active(user.id, now).await.unwrap().is_empty());
    assert_eq!(
        sessions
            .rotate(&[100; 32], &[201; 32], now, Box::new(on_refresh))
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );
}
