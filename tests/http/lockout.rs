//! Login lockout: per email and address, per email from everywhere, unknown emails alike,
//! reset by a success, exact under concurrency, audited once per lock.

use castellan_tests::{assert_error, read, Backend, Options, TestApp, PASSWORD};
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

async fn locking(backend: Backend, limits: &[(&'static str, u64)]) -> TestApp {
    let app = TestApp::spawn_with(Options {
        backend,
        limits: limits.to_vec(),
        trusted_proxies: vec!["127.0.0.0/8".into()],
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    app
}

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> Response {
    app.api(Method::POST, "/auth/login", None)
        .header("X-Forwarded-For", ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

fn retry_after(res: &Response) -> u64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Asserts a 429 `rate_limited` whose `Retry-After` is within the lock's 15 minutes.
async fn assert_locked(res: Response) {
    let retry = retry_after(&res);
    assert!((890..=900).contains(&retry), "Retry-After {retry}");
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_error(&body, "rate_limited", None);
}

async fn lockout_entries(app: &TestApp, email: &str) -> usize {
    let admin = app.demo_login("admin").await;
    let (_, log) = app
        .call(Method::GET, "/audit-logs?action=auth.lockout", &admin, None)
        .await;
    log["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["metadata"]["email"] == email)
        .count()
}

async fn failures_in_a_row_lock_the_email_from_that_address(backend: Backend) {
    let app = locking(backend, &[("lockout_failures_per_ip", 3)]).await;
    let email = format!("locked-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, PASSWORD).await;
    let unknown = format!("ghost-{}@example.com", uuid::Uuid::new_v4().simple());
    for who in [&email, &unknown] {
        for _ in 0..3 {
            let res = login_from(&app, "203.0.113.50", who, "wrong-password").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        // Locked: even the right password is not checked.
        assert_locked(login_from(&app, "203.0.113.50", who, PASSWORD).await).await;
        assert_locked(login_from(&app, "203.0.113.50", who, "wrong-password").await).await;
    }
    // Another address is not locked out.
    let res = login_from(&app, "203.0.113.51", &email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Audited once per lock, the unknown email too.
    assert_eq!(lockout_entries(&app, &email).await, 1);
    assert_eq!(lockout_entries(&app, &unknown).await, 1);
}

async fn a_success_resets_the_count(backend: Backend) {
    let app = locking(backend, &[("lockout_failures_per_ip", 3)]).await;
    let email = format!("reset-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, PASSWORD).await;
    for round in 0..3 {
        for _ in 0..2 {
            let res = login_from(&app, "203.0.113.60", &email, "wrong-password").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "round {round}");
        }
        let res = login_from(&app, "203.0.113.60", &email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "round {round}");
    }
}

async fn failures_from_many_addresses_lock_the_email_everywhere(backend: Backend) {
    let app = locking(
        backend,
        &[
            ("lockout_failures_per_ip", 100),
            ("lockout_failures_per_email", 4),
        ],
    )
    .await;
    let email = format!("spread-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, PASSWORD).await;
    for i in 0..4 {
        let res = login_from(&app, &format!("198.51.100.{i}"), &email, "wrong").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_locked(login_from(&app, "192.0.2.200", &email, PASSWORD).await).await;
    // Other emails are unaffected.
    let other = format!("fine-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&other, PASSWORD).await;
    let res = login_from(&app, "192.0.2.200", &other, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn parallel_failures_check_exactly_the_configured_number(backend: Backend) {
    let app = locking(backend, &[("lockout_failures_per_ip", 5)]).await;
    let email = format!("storm-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, PASSWORD).await;
    let attempts = (0..50).map(|_| login_from(&app, "203.0.113.70", &email, "wrong-password"));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(Response::status)
        .collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 45), "{statuses:?}");
    assert_locked(login_from(&app, "203.0.113.70", &email, PASSWORD).await).await;
    assert_eq!(lockout_entries(&app, &email).await, 1);
}

every_config!(
    failures_in_a_row_lock_the_email_from_that_address,
    a_success_resets_the_count,
    failures_from_many_addresses_lock_the_email_everywhere,
    parallel_failures_check_exactly_the_configured_number,
);
