//! Two servers on one PostgreSQL and one Redis: every counter is shared, and a deleted key
//! is refused by both at once.

use castellan_tests::{Backend, Options, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn replicas_share_every_counter_and_refuse_a_deleted_key_at_once() {
    let options = || Options {
        backend: Backend::Production,
        limits: vec![
            ("authenticated_per_minute", 4),
            ("lockout_failures_per_ip", 3),
            ("login_per_ip_email_per_minute", 6),
        ],
        ..Options::default()
    };
    let a = TestApp::spawn_with(options()).await;
    let b = a.replica(options()).await;
    let servers = [&a, &b];

    // The lockout counts failures on either server.
    let email = format!("shared-{}@example.com", uuid::Uuid::new_v4().simple());
    a.register(&email, PASSWORD).await;
    for server in [&a, &b, &a] {
        let status = server.login_raw(&email, "wrong-password").await.status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    for server in servers {
        let status = server.login_raw(&email, PASSWORD).await.status();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    // So does the per-IP + email login limit (6 per minute: 3 failures + 2 locked so far).
    assert_eq!(
        b.login_raw(&email, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let res = a.login_raw(&email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        res.headers()["ratelimit-remaining"].to_str().unwrap(),
        "0",
        "the per-IP + email bucket is spent across both servers"
    );

    // The per-user bucket: four requests in all, whichever server answers.
    let (_, user) = a.user().await;
    for server in [&a, &b, &a, &b] {
        assert_eq!(server.me_status(&user.access).await, StatusCode::OK);
    }
    for server in servers {
        assert_eq!(
            server.me_status(&user.access).await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    // A key deleted through one server is refused by both on its next request.
    let (_, owner) = b.user().await;
    let (status, created) = a
        .call(
            Method::POST,
            "/api-keys",
            &owner.access,
            Some(json!({"name": "k", "scopes": ["article:read"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["data"]["key"].as_str().unwrap().to_string();
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let with_key = |server: &TestApp| {
        server
            .api(Method::GET, "/articles", None)
            .header("X-API-Key", key.as_str())
            .send()
    };
    assert_eq!(with_key(&b).await.unwrap().status(), StatusCode::OK);
    let res = a
        .api(
            Method::DELETE,
            &format!("/api-keys/{id}"),
            Some(&owner.access),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for server in servers {
        assert_eq!(
            with_key(server).await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

/// The anonymous per-IP limit is decided by each replica and settled through Redis
/// (`rate_limit.anonymous_settle_ms`): an IP that spent its budget on one replica is
/// refused by the other once the first has settled.
#[tokio::test]
async fn replicas_settle_the_anonymous_limit_through_redis() {
    let options = || Options {
        backend: Backend::Production,
        limits: vec![("anonymous_per_minute", 5), ("anonymous_settle_ms", 20)],
        ..Options::default()
    };
    let a = TestApp::spawn_with(options()).await;
    let b = a.replica(options()).await;
    let anonymous = |server: &TestApp| {
        server
            .api(Method::GET, "/articles", None)
            .header("X-Forwarded-For", "198.51.100.7")
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            anonymous(&a).await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        anonymous(&a).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Well past one settlement of `a`: `b` reads the spent bucket on the IP's first request.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let res = anonymous(&b).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
}
