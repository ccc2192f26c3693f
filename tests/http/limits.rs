//! Per-IP rate limits on the public routes: headers, 429 with Retry-After, refusals not
//! counted, and the switch.

use castellan_tests::{assert_error, read, Backend, Options, TestApp, PASSWORD};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

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

/// A server with the given `[rate_limit]` keys (the others too high to meet).
async fn with_limits(backend: Backend, limits: &[(&'static str, u64)]) -> TestApp {
    TestApp::spawn_with(Options {
        backend,
        limits: limits.to_vec(),
        trusted_proxies: vec!["127.0.0.0/8".into()],
        ..Options::default()
    })
    .await
}

/// Sends `request` `allowed` times expecting `ok` and the headers of a `limit`, then once
/// more expecting 429 `rate_limited` with `Retry-After`.
async fn meets_limit<F>(request: F, limit: u64, ok: StatusCode)
where
    F: Fn() -> reqwest::RequestBuilder,
{
    for remaining in (0..limit).rev() {
        let res = request().send().await.unwrap();
        assert_eq!(res.status(), ok);
        assert_eq!(header(&res, "ratelimit-limit"), Some(limit));
        assert_eq!(header(&res, "ratelimit-remaining"), Some(remaining));
        assert!(header(&res, "ratelimit-reset").is_some_and(|s| s > 0));
        assert!(res.headers().get("retry-after").is_none());
    }
    let res = request().send().await.unwrap();
    let retry = header(&res, "retry-after");
    assert!(retry.is_some_and(|s| s >= 1), "{retry:?}");
    assert_eq!(header(&res, "ratelimit-remaining"), Some(0));
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_error(&body, "rate_limited", None);
}

async fn public_routes_are_limited(backend: Backend) {
    let app = with_limits(
        backend,
        &[
            ("login_per_ip_per_minute", 3),
            ("register_per_hour", 2),
            ("password_reset_per_hour", 2),
            ("anonymous_per_minute", 1000),
        ],
    )
    .await;
    let from = |ip: &'static str, method: Method, path: &'static str, body: Value| {
        let app = &app;
        move || {
            app.api(method.clone(), path, None)
                .header("X-Forwarded-For", ip)
                .json(&body)
        }
    };
    // Login per IP, whatever the email; another IP has its own bucket.
    let wrong = json!({"email": "nobody@example.com", "password": "wrong"});
    meets_limit(
        from("203.0.113.1", Method::POST, "/auth/login", wrong.clone()),
        3,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let res = from("203.0.113.2", Method::POST, "/auth/login", wrong)()
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Missing fields, or no JSON object at all: the per-IP limit all the same, first.
    meets_limit(
        from("203.0.113.5", Method::POST, "/auth/login", json!({})),
        3,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let res = from(
        "203.0.113.5",
        Method::POST,
        "/auth/login",
        json!(["no object"]),
    )()
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Register per IP, before the body is read.
    meets_limit(
        from("203.0.113.3", Method::POST, "/auth/register", json!({})),
        2,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // Password reset per IP + email.
    let reset = json!({"email": "someone@example.com"});
    meets_limit(
        from("203.0.113.4", Method::POST, "/auth/password-reset", reset),
        2,
        StatusCode::ACCEPTED,
    )
    .await;
    let other = json!({"email": "someone-else@example.com"});
    let res = from("203.0.113.4", Method::POST, "/auth/password-reset", other)()
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

async fn logins_are_limited_per_ip_and_email(backend: Backend) {
    let app = with_limits(backend, &[("login_per_ip_email_per_minute", 2)]).await;
    let attempt = |email: &'static str| {
        let app = &app;
        move || {
            app.api(Method::POST, "/auth/login", None)
                .json(&json!({"email": email, "password": "wrong"}))
        }
    };
    meets_limit(attempt("Alice@example.com"), 2, StatusCode::UNAUTHORIZED).await;
    // The same email however it is written; another email is not limited by it.
    let res = attempt("alice@example.com ")().send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = attempt("bob@example.com")().send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn anonymous_requests_are_limited_per_ip(backend: Backend) {
    let app = with_limits(backend, &[("anonymous_per_minute", 3)]).await;
    let anonymous = || {
        app.api(Method::GET, "/articles", None)
            .header("X-Forwarded-For", "203.0.113.20")
    };
    meets_limit(anonymous, 3, StatusCode::UNAUTHORIZED).await;
    // Health, readiness, the schema, the docs and the JWKS are never limited.
    for path in [
        "/api/v1/health",
        "/api/v1/ready",
        "/api/v1/schema",
        "/api/v1/docs/",
        "/.well-known/jwks.json",
    ] {
        for _ in 0..5 {
            let res = app
                .request(Method::GET, path)
                .header("X-Forwarded-For", "203.0.113.20")
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            assert!(res.headers().get("ratelimit-limit").is_none(), "{path}");
        }
    }
    // The console's public pages never authenticate: a made-up session cookie does not
    // take them out of the anonymous bucket.
    let console = || {
        app.request(Method::GET, "/console/login")
            .header("X-Forwarded-For", "203.0.113.21")
            .header("Cookie", "castellan_access=made-up")
    };
    meets_limit(console, 3, StatusCode::OK).await;
    // A caller with a token is limited per user instead.
    let (_, tokens) = app.user().await;
    let res = app
        .api(Method::GET, "/auth/me", Some(&tokens.access))
        .header("X-Forwarded-For", "203.0.113.20")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

async fn authenticated_requests_are_limited_per_user_and_per_key(backend: Backend) {
    let app = with_limits(backend, &[("authenticated_per_minute", 3)]).await;
    let (_, alice) = app.user().await;
    let (_, bob) = app.user().await;
    meets_limit(
        || app.api(Method::GET, "/auth/me", Some(&alice.access)),
        3,
        StatusCode::OK,
    )
    .await;
    // Per user: another user is not held to Alice's bucket, nor is Alice's key.
    let res = app
        .api(Method::GET, "/auth/me", Some(&bob.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, created) = app
        .call(
            Method::POST,
            "/api-keys",
            &bob.access,
            Some(json!({"name": "k", "scopes": ["article:read"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["data"]["key"].as_str().unwrap().to_string();
    meets_limit(
        || {
            app.api(Method::GET, "/articles", None)
                .header("X-API-Key", key.as_str())
        },
        3,
        StatusCode::OK,
    )
    .await;
}

async fn bad_credentials_count_as_anonymous(backend: Backend) {
    let app = with_limits(backend, &[("anonymous_per_minute", 4)]).await;
    let bad = |path: &'static str, header: &'static str| {
        app.api(Method::POST, path, None)
            .header("Authorization", header)
            .json(&json!({}))
    };
    // A bad token on a guarded route, any header on a public one: one anonymous bucket.
    let statuses = [
        bad("/articles", "Bearer junk")
            .send()
            .await
            .unwrap()
            .status(),
        bad("/articles", "ApiKey cst_nonsense")
            .send()
            .await
            .unwrap()
            .status(),
        bad("/auth/refresh", "Bearer junk")
            .send()
            .await
            .unwrap()
            .status(),
        bad("/auth/refresh", "whatever")
            .send()
            .await
            .unwrap()
            .status(),
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::BAD_REQUEST,
            StatusCode::BAD_REQUEST
        ]
    );
    let res = bad("/articles", "Bearer junk").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = bad("/auth/refresh", "Bearer junk").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn a_revoked_token_takes_nothing_from_its_users_bucket(backend: Backend) {
    let app = with_limits(backend, &[("authenticated_per_minute", 3)]).await;
    let (email, revoked) = app.user().await;
    let res = app
        .api(Method::POST, "/auth/logout", Some(&revoked.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for _ in 0..5 {
        assert_eq!(
            app.me_status(&revoked.access).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let fresh = app.login(&email, PASSWORD).await;
    // The logout took one token of the three; the refused requests none.
    for _ in 0..2 {
        assert_eq!(app.me_status(&fresh.access).await, StatusCode::OK);
    }
    assert_eq!(
        app.me_status(&fresh.access).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

every_config!(
    bad_credentials_count_as_anonymous,
    a_revoked_token_takes_nothing_from_its_users_bucket,
    public_routes_are_limited,
    logins_are_limited_per_ip_and_email,
    anonymous_requests_are_limited_per_ip,
    authenticated_requests_are_limited_per_user_and_per_key,
    forwarded_for_counts_only_behind_a_trusted_proxy,
    tenant_creation_is_limited_per_ip,
    invitation_accepts_are_limited_per_ip,
    limits_can_be_switched_off
);
