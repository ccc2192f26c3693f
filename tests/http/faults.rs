//! Real failures: a killed Redis and an unreachable PostgreSQL.

use castellan_tests::{
    assert_error, assert_has_error, read, Backend, Options, TestApp, ThrowawayPostgres,
    ThrowawayRedis, PASSWORD,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn redis_down_fails_closed_and_recovers() {
    let mut redis = ThrowawayRedis::start();
    let app = TestApp::spawn_with(Options {
        redis_url: Some(redis.url()),
        ..Default::default()
    })
    .await;
    let (_, tokens) = app.user().await;
    assert_eq!(app.me_status(&tokens.access).await, StatusCode::OK);

    redis.kill();
    let started = Instant::now();
    let (status, body) = read(
        app.api(Method::GET, "/auth/me", Some(&tokens.access))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_error(&body, "service_unavailable", None);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let (status, body) = read(
        app.api(Method::POST, "/auth/logout", Some(&tokens.access))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_error(&body, "service_unavailable", None);

    let (status, body) = read(app.api(Method::GET, "/ready", None).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["data"]["status"], "down");
    assert_eq!(body["data"]["checks"]["token_store"]["status"], "down");
    assert_eq!(body["data"]["checks"]["database"]["status"], "ok");
    assert_has_error(&body, "service_unavailable", Some("token_store"));

    // Back by itself: the failed logout changed nothing, so the token still works.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.me_status(&tokens.access).await != StatusCode::OK {
        assert!(Instant::now() < deadline, "did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = app
        .api(Method::POST, "/auth/logout", Some(&tokens.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.me_status(&tokens.access).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_dead_redis_url_is_503_on_authenticated_requests() {
    let healthy = TestApp::spawn(Backend::Production).await;
    let (_, tokens) = healthy.user().await;
    // The same database and key, but a Redis URL where nothing listens.
    let dead = TestApp::spawn_with(Options {
        redis_url: Some(format!(
            "redis://127.0.0.1:{}",
            castellan_tests::free_port()
        )),
        database_url: Some(healthy.settings.database.url.clone()),
        extra_toml: format!("signing_key_pem = '''{}'''", healthy.signing_key_pem()),
        ..Options::default()
    })
    .await;
    let started = Instant::now();
    let (status, body) = read(
        dead.api(Method::GET, "/auth/me", Some(&tokens.access))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let res = dead
        .api(Method::POST, "/auth/logout", Some(&tokens.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        healthy.me_status(&tokens.access).await,
        StatusCode::OK,
        "nothing half-done"
    );
}

#[tokio::test]
async fn database_down_is_503() {
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/nothing",
        castellan_tests::free_port()
    );
    let app = TestApp::spawn_with(Options {
        database_url: Some(url),
        extra_toml: "[migrations]\nrun_on_start = false".into(),
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    let res = app
        .api(Method::POST, "/auth/register", None)
        .json(
            &json!({"email": "db@example.com", "password": PASSWORD, "repeat_password": PASSWORD}),
        )
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_error(&body, "service_unavailable", Some("database"));
    assert!(started.elapsed() < Duration::from_secs(3));
    let (status, body) = read(app.api(Method::GET, "/ready", None).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["data"]["checks"]["database"]["status"], "down");
    assert_has_error(&body, "service_unavailable", Some("database"));
}

#[tokio::test]
async fn database_restart_is_503_then_recovers() {
    // A PostgreSQL of our own, stopped and started for real under a running server.
    let pg = ThrowawayPostgres::start();
    let app = TestApp::spawn_with(Options {
        database_url: Some(pg.url()),
        ..Default::default()
    })
    .await;
    let (_, tokens) = app.user().await;
    assert_eq!(app.me_status(&tokens.access).await, StatusCode::OK);

    pg.stop();
    let started = Instant::now();
    let res = app
        .api(Method::GET, "/auth/me", Some(&tokens.access))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_error(&body, "service_unavailable", Some("database"));
    assert!(started.elapsed() < Duration::from_secs(3));

    // Back again: the pool drops its dead connections and requests succeed, no restart.
    pg.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = app.me_status(&tokens.access).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {status} after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _) = app
        .call(
            Method::POST,
            "/articles",
            &tokens.access,
            Some(json!({"title": "after"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn without_redis_revocations_live_in_postgres() {
    let app = TestApp::spawn_with(Options {
        redis_url: Some(String::new()),
        ..Default::default()
    })
    .await;
    let (email, first) = app.user().await;
    let second = app.login(&email, PASSWORD).await;
    let (status, body) = read(app.api(Method::GET, "/ready", None).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = app
        .api(Method::POST, "/auth/logout", Some(&first.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&first.access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&second.access).await, StatusCode::OK);
    // A second replica on the same database honours the logout at once.
    let replica = TestApp::spawn_with(Options {
        redis_url: Some(String::new()),
        database_url: Some(app.settings.database.url.clone()),
        extra_toml: format!("signing_key_pem = '''{}'''", app.signing_key_pem()),
        ..Options::default()
    })
    .await;
    assert_eq!(
        replica.me_status(&first.access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(replica.me_status(&second.access).await, StatusCode::OK);
}

/// Redis stopped under a running server: logins (and their lockout) fail closed, API-key
/// reads go on with their limits open, bearer tokens fail closed on the revocation check;
/// all recover without a restart.
#[tokio::test]
async fn redis_down_closes_logins_and_opens_the_other_limits() {
    let mut redis = ThrowawayRedis::start();
    let app = TestApp::spawn_with(Options {
        backend: Backend::Production,
        redis_url: Some(redis.url()),
        ..Default::default()
    })
    .await;
    let (email, tokens) = app.user().await;
    let (status, created) = app
        .call(
            Method::POST,
            "/api-keys",
            &tokens.access,
            Some(json!({"name": "k", "scopes": ["article:read"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["data"]["key"].as_str().unwrap().to_string();
    let read_with_key = || {
        app.api(Method::GET, "/articles", None)
            .header("X-API-Key", key.as_str())
            .send()
    };

    redis.kill();
    let (status, body) = read(app.login_raw(&email, PASSWORD).await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_error(&body, "service_unavailable", None);
    let res = read_with_key().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "limits open");
    assert!(res.headers().get("ratelimit-limit").is_none());
    let res = app
        .api(Method::GET, "/articles", None)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "anonymous limit open"
    );
    assert_eq!(
        app.me_status(&tokens.access).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "revocation fails closed"
    );

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.login_raw(&email, PASSWORD).await.status() != StatusCode::OK {
        assert!(Instant::now() < deadline, "logins did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = read_with_key().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("ratelimit-limit").is_some());
}
