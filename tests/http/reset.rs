//! Password reset by mail: the same answer for every email, a one-time token read from the
//! dev outbox (and carried by SMTP), checked before the fields, voided by a newer one;
//! redeeming it revokes every session, clears the lockout and keeps API keys.

use castellan_tests::{assert_error, read, Backend, Options, SmtpSink, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn app(backend: Backend, limits: &[(&'static str, u64)]) -> TestApp {
    let app = TestApp::spawn_with(Options {
        backend,
        limits: limits.to_vec(),
        extra_toml: "[mail]\ndev_outbox_route = true".into(),
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    app
}

async fn ask(app: &TestApp, email: &str) -> Value {
    let res = app
        .api(Method::POST, "/auth/password-reset", None)
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body
}

/// The reset mails in `email`'s outbox (mailing happens after the answer: wait for
/// `count` of them).
async fn reset_tokens(app: &TestApp, email: &str, count: usize) -> Vec<String> {
    let admin = app.demo_login("admin").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, mail) = app
            .call(
                Method::GET,
                &format!("/dev/outbox?to={email}"),
                &admin,
                None,
            )
            .await;
        let tokens: Vec<String> = mail["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["subject"] == "Reset your Castellan password")
            .filter_map(|m| token_in(m["body"].as_str().unwrap_or_default()))
            .collect();
        if tokens.len() >= count {
            return tokens;
        }
        assert!(
            Instant::now() < deadline,
            "no reset mail for {email}: {mail}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The token of a reset mail: the line of 43 base64url characters.
fn token_in(body: &str) -> Option<String> {
    body.lines()
        .map(str::trim)
        .find(|l| {
            l.len() == 43
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
}

async fn confirm(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let res = app
        .api(Method::POST, "/auth/password-reset/confirm", None)
        .json(&body)
        .send()
        .await
        .unwrap();
    read(res).await
}

fn confirmation(token: &str, password: &str) -> Value {
    json!({"token": token, "new_password": password, "repeat_password": password})
}

async fn a_reset_replaces_the_password_and_ends_every_session(backend: Backend) {
    let app = app(backend, &[]).await;
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

    // The same empty envelope for an active account and for an unknown email.
    let known = ask(&app, &email.to_uppercase()).await;
    let unknown = ask(&app, "nobody-here@example.com").await;
    assert_eq!(known, json!({"data": null, "errors": []}));
    assert_eq!(known, unknown);
    let token = reset_tokens(&app, &email, 1).await.remove(0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let admin = app.demo_login("admin").await;
    let (_, nothing) = app
        .call(
            Method::GET,
            "/dev/outbox?to=nobody-here@example.com",
            &admin,
            None,
        )
        .await;
    assert_eq!(nothing["data"], json!([]));

    // The token is checked first; then the fields, whose errors leave it usable.
    let (status, body) = confirm(&app, confirmation("not-a-token", "short")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_token", Some("token"));
    let (status, body) = confirm(&app, confirmation(&token, "short")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("new_password"));
    let (status, body) = confirm(
        &app,
        json!({"token": token, "new_password": NEW_PASSWORD, "repeat_password": "something else"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("repeat_password"));

    let (status, body) = confirm(&app, confirmation(&token, NEW_PASSWORD)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Every session and token is revoked; the API key survives.
    assert_eq!(
        app.me_status(&tokens.access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&tokens.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .api(Method::GET, "/articles", None)
        .header("X-API-Key", key.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The new password works, the old one does not.
    assert_eq!(
        app.login_raw(&email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.login(&email, NEW_PASSWORD).await;
    // Single use.
    let (status, body) = confirm(&app, confirmation(&token, "yet another passphrase")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_token", Some("token"));

    // Audited with the user as actor, the password masked.
    let (_, log) = app
        .call(
            Method::GET,
            "/audit-logs?action=auth.password_reset",
            &admin,
            None,
        )
        .await;
    let entry = &log["data"][0];
    assert_eq!(entry["actor_type"], "user", "{log}");
    assert!(!log.to_string().contains(NEW_PASSWORD));
}

async fn a_newer_request_voids_the_older_token(backend: Backend) {
    let app = app(backend, &[]).await;
    let (email, _) = app.user().await;
    ask(&app, &email).await;
    let first = reset_tokens(&app, &email, 1).await.remove(0);
    ask(&app, &email).await;
    let tokens = reset_tokens(&app, &email, 2).await;
    let newest = tokens[0].clone();
    assert_ne!(newest, first);
    let (status, body) = confirm(&app, confirmation(&first, NEW_PASSWORD)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_token", Some("token"));
    let (status, _) = confirm(&app, confirmation(&newest, NEW_PASSWORD)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn only_active_accounts_are_mailed(backend: Backend) {
    let app = app(backend, &[]).await;
    let (email, tokens) = app.user().await;
    let res = app
        .api(Method::DELETE, "/auth/me", Some(&tokens.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(ask(&app, &email).await, json!({"data": null, "errors": []}));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let admin = app.demo_login("admin").await;
    let (_, mail) = app
        .call(
            Method::GET,
            &format!("/dev/outbox?to={email}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(mail["data"], json!([]));
    // A malformed request names its field.
    let res = app
        .api(Method::POST, "/auth/password-reset", None)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("email"));
}

async fn a_reset_clears_the_lockout(backend: Backend) {
    let app = app(backend, &[("lockout_failures_per_ip", 2)]).await;
    let (email, _) = app.user().await;
    for _ in 0..2 {
        assert_eq!(
            app.login_raw(&email, "wrong-password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.login_raw(&email, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    ask(&app, &email).await;
    let token = reset_tokens(&app, &email, 1).await.remove(0);
    let (status, _) = confirm(&app, confirmation(&token, NEW_PASSWORD)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    app.login(&email, NEW_PASSWORD).await;
}

every_config!(
    a_reset_replaces_the_password_and_ends_every_session,
    a_newer_request_voids_the_older_token,
    only_active_accounts_are_mailed,
    a_reset_clears_the_lockout,
);

/// SMTP carries the reset mail as well as the dev outbox does.
#[tokio::test]
async fn smtp_carries_the_reset_mail() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(Options {
        extra_toml: format!("[mail]\nsmtp_url = \"smtp://127.0.0.1:{}\"", sink.port),
        ..Options::default()
    })
    .await;
    let (email, _) = app.user().await;
    ask(&app, &email).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let message = loop {
        if let Some(message) = sink.messages().into_iter().find(|m| m.contains(&email)) {
            break message;
        }
        assert!(Instant::now() < deadline, "no mail reached the SMTP server");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        message.contains("Reset your Castellan password"),
        "{message}"
    );
    assert!(message.lines().any(|l| token_in(l).is_some()), "{message}");
}
