//! Per-IP rate limits on the public routes: headers, 429 with Retry-After, refusals not
//! counted, and the switch.

use castellan_tests::{assert_error, read, Backend, Options, TestApp, PASSWORD};
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

fn header(res: &Response, name: &str) -> Option<u64> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

async fn limited(backend: Backend, tenants: u32, accepts: u32) -> TestApp {
    TestApp::spawn_with(Options {
        backend,
        rate_limit: Some((true, tenants, accepts)),
        ..Options::default()
    })
    .await
}

async fn tenant_creation_is_limited_per_ip(backend: Backend) {
    let app = limited(backend, 2, 100).await;
    for remaining in [1, 0] {
        // Invalid bodies count too: the limit comes before anything else.
        let res = app
            .api(Method::POST, "/tenants", None)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(header(&res, "ratelimit-limit"), Some(2));
        assert_eq!(header(&res, "ratelimit-remaining"), Some(remaining));
        let reset = header(&res, "ratelimit-reset");
        assert!(reset.is_some_and(|s| s > 0 && s <= 3600), "{reset:?}");
    }
    for _ in 0..2 {
        let res = app
            .api(Method::POST, "/tenants", None)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let retry = header(&res, "retry-after");
        assert!(retry.is_some_and(|s| (1..=1800).contains(&s)), "{retry:?}");
        assert_eq!(header(&res, "ratelimit-remaining"), Some(0));
        let (status, body) = read(res).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_error(&body, "rate_limited", None);
    }
    // Other routes are not limited by it.
    assert_eq!(
        app.api(Method::GET, "/health", None)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

async fn invitation_accepts_are_limited_per_ip(backend: Backend) {
    let app = limited(backend, 100, 3).await;
    let attempt = json!({"token": "guess", "password": "x", "repeat_password": "x"});
    for _ in 0..3 {
        let res = app
            .api(Method::POST, "/invitations/accept", None)
            .json(&attempt)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
    let res = app
        .api(Method::POST, "/invitations/accept", None)
        .json(&attempt)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&res, "retry-after").is_some());
}

async fn limits_can_be_switched_off(backend: Backend) {
    let app = TestApp::spawn_with(Options {
        backend,
        rate_limit: Some((false, 1, 1)),
        ..Options::default()
    })
    .await;
    for _ in 0..3 {
        let res = app
            .api(Method::POST, "/tenants", None)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.headers().get("ratelimit-limit").is_none());
    }
}

/// `POST /tenants` from the client `forwarded` says (through the test's loopback peer).
async fn create_tenant_as(app: &TestApp, forwarded: &str) -> StatusCode {
    let res = app
        .api(Method::POST, "/tenants", None)
        .header("X-Forwarded-For", forwarded)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    res.status()
}

async fn forwarded_for_counts_only_behind_a_trusted_proxy(backend: Backend) {
    // The loopback peer is a trusted proxy: each forwarded client has its own bucket, and
    // the audit trail and sessions record the client, not the proxy.
    let app = TestApp::spawn_with(Options {
        backend,
        rate_limit: Some((true, 1, 100)),
        trusted_proxies: vec!["127.0.0.0/8".into()],
        ..Options::default()
    })
    .await;
    assert_eq!(
        create_tenant_as(&app, "203.0.113.7").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        create_tenant_as(&app, "203.0.113.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        create_tenant_as(&app, "198.51.100.1, 203.0.113.8").await,
        StatusCode::BAD_REQUEST
    );

    let email = format!("fwd-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, PASSWORD).await;
    let login = |password: &'static str| {
        app.api(Method::POST, "/auth/login", None)
            .header("X-Forwarded-For", "203.0.113.9")
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    assert_eq!(
        login("not-this-one").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = read(login(PASSWORD).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["data"]["access"].as_str().unwrap().to_string();
    let (_, sessions) = app.call(Method::GET, "/auth/sessions", &access, None).await;
    assert_eq!(sessions["data"][0]["ip"], "203.0.113.9", "{sessions}");
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let (_, body) = app
        .call(
            Method::GET,
            "/audit-logs?action=auth.login&outcome=failure",
            &admin,
            None,
        )
        .await;
    assert_eq!(body["data"][0]["ip"], "203.0.113.9", "{body}");

    // Without trusted proxies the header is ignored: everyone behind it shares one bucket.
    let app = limited(backend, 1, 100).await;
    assert_eq!(
        create_tenant_as(&app, "203.0.113.7").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        create_tenant_as(&app, "203.0.113.8").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

every_config!(
    forwarded_for_counts_only_behind_a_trusted_proxy,
    tenant_creation_is_limited_per_ip,
    invitation_accepts_are_limited_per_ip,
    limits_can_be_switched_off
);
