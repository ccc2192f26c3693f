//! Per-IP rate limits on the public routes: headers, 429 with Retry-After, refusals not
//! counted, and the switch.

use castellan_tests::{assert_error, read, Backend, Options, TestApp};
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

both!(
    tenant_creation_is_limited_per_ip,
    invitation_accepts_are_limited_per_ip,
    limits_can_be_switched_off
);
