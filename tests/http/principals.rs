//! The principal cache: a change to a user, role, rule or grant reaches a principal cached
//! on any replica on the very next request; a change no epoch sees (a row edited by hand)
//! lasts only until the cache's age bound; a Redis that restarts empty drops every entry.

use castellan_tests::{Backend, Options, TestApp, ThrowawayRedis, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// `GET /articles` as `token`: the status.
async fn articles(app: &TestApp, token: &str) -> StatusCode {
    app.call(Method::GET, "/articles", token, None).await.0
}

/// `GET /auth/me` as `token`: status and body.
async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.call(Method::GET, "/auth/me", token, None).await
}

/// Asserts `method path` as `admin` answered `expected`.
async fn admin_call(
    app: &TestApp,
    admin: &str,
    method: Method,
    path: &str,
    body: Value,
    expected: StatusCode,
) {
    let body = (method != Method::DELETE).then_some(body);
    let (status, answer) = app.call(method, path, admin, body).await;
    assert_eq!(status, expected, "{answer}");
}

#[tokio::test]
async fn a_change_through_one_replica_reaches_the_others_cached_principal_at_once() {
    let production = || Options {
        backend: Backend::Production,
        ..Options::default()
    };
    let a = TestApp::spawn_with(production()).await;
    let b = a.replica(production()).await;
    a.seed_demo().await;
    let admin = a.demo_login("admin").await;
    a.role(&admin, "Reader").await;
    let rule = a
        .rule(&admin, "Reader", "article", json!({"can_read_all": true}))
        .await;
    let (id, email) = a.member_account(&admin, "Reader").await;
    let reader = b.login(&email, PASSWORD).await.access;
    // Warm b's cache (twice: the second answer comes from it).
    for _ in 0..2 {
        assert_eq!(articles(&b, &reader).await, StatusCode::OK);
    }

    // A rule's flag.
    let flags = json!({"can_read_all": false, "can_read_own": false});
    admin_call(
        &a,
        &admin,
        Method::PATCH,
        &format!("/access-rules/{rule}"),
        flags,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        articles(&b, &reader).await,
        StatusCode::FORBIDDEN,
        "rule change"
    );
    let flags = json!({"can_read_all": true});
    admin_call(
        &a,
        &admin,
        Method::PATCH,
        &format!("/access-rules/{rule}"),
        flags,
        StatusCode::OK,
    )
    .await;
    assert_eq!(articles(&b, &reader).await, StatusCode::OK, "rule restored");

    // A role's name (the principal carries the role names).
    let (_, roles) = a
        .call(Method::GET, "/roles?search=Reader", &admin, None)
        .await;
    let role = roles["data"][0]["id"].as_str().unwrap().to_string();
    let rename = json!({"name": "Reviewer"});
    admin_call(
        &a,
        &admin,
        Method::PATCH,
        &format!("/roles/{role}"),
        rename,
        StatusCode::OK,
    )
    .await;
    let (status, body) = me(&b, &reader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["roles"], json!(["Reviewer"]), "rename");

    // A grant.
    let (_, grants) = a
        .call(
            Method::GET,
            &format!("/user-roles?user_id={id}"),
            &admin,
            None,
        )
        .await;
    let grant = grants["data"][0]["id"].as_str().unwrap().to_string();
    admin_call(
        &a,
        &admin,
        Method::DELETE,
        &format!("/user-roles/{grant}"),
        Value::Null,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(
        articles(&b, &reader).await,
        StatusCode::FORBIDDEN,
        "grant removed"
    );
    let grant = json!({"user_id": id, "role": "Reviewer"});
    admin_call(
        &a,
        &admin,
        Method::POST,
        "/user-roles",
        grant,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(articles(&b, &reader).await, StatusCode::OK, "grant given");

    // The account: deactivated, then active again (its old tokens stay dead).
    let inactive = json!({"is_active": false});
    admin_call(
        &a,
        &admin,
        Method::PATCH,
        &format!("/users/{id}"),
        inactive,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        articles(&b, &reader).await,
        StatusCode::UNAUTHORIZED,
        "deactivated"
    );
    let active = json!({"is_active": true});
    admin_call(
        &a,
        &admin,
        Method::PATCH,
        &format!("/users/{id}"),
        active,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        articles(&b, &reader).await,
        StatusCode::UNAUTHORIZED,
        "old token"
    );

    // The user's own password change, through the other replica.
    let tokens = b.login(&email, PASSWORD).await;
    assert_eq!(articles(&b, &tokens.access).await, StatusCode::OK);
    let change = json!({
        "current_password": PASSWORD,
        "new_password": "an0ther-Passw0rd!",
        "repeat_password": "an0ther-Passw0rd!",
    });
    let (status, body) = a
        .call(
            Method::POST,
            "/auth/password/change",
            &tokens.access,
            Some(change),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        articles(&b, &tokens.access).await,
        StatusCode::UNAUTHORIZED,
        "password"
    );
}

/// Deletes `user`'s grants behind the application's back.
async fn drop_grants_by_hand(app: &TestApp, user: &str) {
    app.raw_sql(&format!("DELETE FROM user_roles WHERE user_id = '{user}'"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_change_by_hand_lasts_only_until_the_age_bound() {
    let app = TestApp::spawn_with(Options {
        backend: Backend::Production,
        extra_toml: "principal_cache_ttl_secs = 3".into(),
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let (id, reader) = app.member(&admin, "Guest").await;
    assert_eq!(articles(&app, &reader).await, StatusCode::OK);
    drop_grants_by_hand(&app, &id).await;
    assert_eq!(
        articles(&app, &reader).await,
        StatusCode::OK,
        "no epoch moved: the cached principal still answers"
    );
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    assert_eq!(
        articles(&app, &reader).await,
        StatusCode::FORBIDDEN,
        "aged out"
    );
}

#[tokio::test]
async fn a_redis_that_restarts_empty_drops_every_cached_principal() {
    let mut redis = ThrowawayRedis::start();
    let app = TestApp::spawn_with(Options {
        backend: Backend::Production,
        redis_url: Some(redis.url()),
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let (id, reader) = app.member(&admin, "Guest").await;
    assert_eq!(articles(&app, &reader).await, StatusCode::OK);
    drop_grants_by_hand(&app, &id).await;
    assert_eq!(articles(&app, &reader).await, StatusCode::OK, "cached");

    redis.kill();
    assert_eq!(
        articles(&app, &reader).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "no revocation state: closed"
    );
    redis.restart();
    // The pool reconnects within a few requests.
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = articles(&app, &reader).await;
        if status != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the principal is read afresh"
    );
}
