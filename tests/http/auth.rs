//! Register, login, refresh, logout, logout-all, me.

use castellan_tests::{assert_error, read, Backend, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn register_validates_and_refuses_duplicates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let user = app.register("New.Person@Example.com", PASSWORD).await;
    assert_eq!(user["email"], "new.person@example.com");
    assert_eq!(user["roles"], json!(["User"]));
    assert_eq!(user["tenant_id"], "00000000-0000-0000-0000-000000000001");
    assert_eq!(user["is_active"], true);
    assert_eq!(user["is_superuser"], false);
    assert!(user.get("password_hash").is_none());

    let cases = [
        (
            json!({"email": "NEW.person@example.com", "password": PASSWORD, "repeat_password": PASSWORD}),
            StatusCode::CONFLICT,
            "conflict",
            None,
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "repeat_password": "other-thing-99"}),
            StatusCode::BAD_REQUEST,
            "validation_error",
            Some("repeat_password"),
        ),
        (
            json!({"email": "a@example.com", "password": "short", "repeat_password": "short"}),
            StatusCode::BAD_REQUEST,
            "validation_error",
            Some("password"),
        ),
        (
            json!({"email": "a@example.com", "password": "password123", "repeat_password": "password123"}),
            StatusCode::BAD_REQUEST,
            "validation_error",
            Some("password"),
        ),
        (
            json!({"email": "marcus@example.com", "password": "xxMarcus-2024", "repeat_password": "xxMarcus-2024"}),
            StatusCode::BAD_REQUEST,
            "validation_error",
            Some("password"),
        ),
        (
            json!({"email": "not-an-email", "password": PASSWORD, "repeat_password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "validation_error",
            Some("email"),
        ),
        (
            json!({"password": PASSWORD, "repeat_password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "validation_error",
            Some("email"),
        ),
    ];
    // One error per wrong field: a weak password and a different repeat, together.
    let (status, response) = read(
        app.api(Method::POST, "/auth/register", None)
            .json(
                &json!({"email": "b@example.com", "password": "short", "repeat_password": "other"}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&response, "validation_error", Some("password"));
    assert_error(&response, "validation_error", Some("repeat_password"));
    assert_eq!(
        response["errors"].as_array().unwrap().len(),
        2,
        "{response}"
    );
    for (body, status, code, field) in cases {
        let res = app
            .api(Method::POST, "/auth/register", None)
            .json(&body)
            .send()
            .await
            .unwrap();
        let (got, response) = read(res).await;
        assert_eq!(got, status, "{body} → {response}");
        assert_error(&response, code, field);
    }
}

async fn registration_can_be_disabled(backend: Backend) {
    let app = castellan_tests::TestApp::spawn_with(castellan_tests::Options {
        backend,
        extra_toml: "allow_registration = false".into(),
        ..Default::default()
    })
    .await;
    let res = app
        .api(Method::POST, "/auth/register", None)
        .json(&json!({"email": "x@example.com", "password": PASSWORD, "repeat_password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "forbidden", None);
}

async fn login_succeeds_and_fails_uniformly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("login@example.com", PASSWORD).await;
    let (status, body) = read(app.login_raw("LOGIN@example.com", PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["expires_in"], 900);
    assert_eq!(data["user"]["email"], "login@example.com");
    assert!(data["access"].as_str().unwrap().split('.').count() == 3);
    assert!(data["refresh"].as_str().unwrap().len() >= 43);

    for (email, password) in [
        ("login@example.com", "wrong-password-1"),
        ("nobody@example.com", PASSWORD),
    ] {
        let res = app.login_raw(email, password).await;
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let (status, body) = read(res).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_error(&body, "invalid_credentials", None);
    }
    let res = app
        .api(Method::POST, "/auth/login", None)
        .json(&json!({"email": "login@example.com"}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("password"));
}

async fn refresh_rotates_and_reuse_revokes_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, first) = app.user().await;

    let (status, body) = app.refresh(&first.refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["token_type"], "Bearer");
    let second = castellan_tests::Tokens::from_data(&body["data"]);
    assert_ne!(second.refresh, first.refresh);
    assert_eq!(app.me_status(&second.access).await, StatusCode::OK);

    // Presenting the rotated token again: 401, and the whole session dies.
    let (status, body) = app.refresh(&first.refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "unauthenticated", None);
    assert_eq!(
        app.refresh(&second.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.me_status(&second.access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.me_status(&first.access).await, StatusCode::UNAUTHORIZED);
}

async fn refresh_refuses_access_tokens_and_garbage(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = app.user().await;
    for bad in [tokens.access.as_str(), "garbage", "x".repeat(43).as_str()] {
        let (status, body) = app.refresh(bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_error(&body, "unauthenticated", None);
    }
    let res = app
        .api(Method::POST, "/auth/refresh", None)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("refresh"));
}

/// Every 401 carries its own reason, however often the same one was sent before (the
/// envelopes of static reasons are built once per worker and reused), with
/// `WWW-Authenticate: Bearer`.
async fn each_401_says_why(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = app.user().await;
    let res = app
        .api(Method::POST, "/auth/logout", Some(&tokens.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cases = [
        (None, "missing bearer token or API key"),
        (Some("not.a.token"), "invalid or expired token"),
        (Some(tokens.access.as_str()), "token has been revoked"),
    ];
    for _ in 0..3 {
        for (token, reason) in cases {
            let res = app
                .api(Method::GET, "/auth/me", token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()["www-authenticate"], "Bearer");
            let (status, body) = read(res).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_error(&body, "unauthenticated", None);
            assert_eq!(body["errors"][0]["message"], reason, "{body}");
            assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
        }
    }
}

async fn logout_kills_the_access_token_and_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = app.user().await;
    assert_eq!(app.me_status(&tokens.access).await, StatusCode::OK);
    let res = app
        .api(Method::POST, "/auth/logout", Some(&tokens.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .api(Method::GET, "/auth/me", Some(&tokens.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "unauthenticated", None);
    assert_eq!(
        app.refresh(&tokens.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );

    // With the optional body, too; and without a token at all → 401.
    let (_, other) = app.user().await;
    let res = app
        .api(Method::POST, "/auth/logout", Some(&other.access))
        .json(&json!({"refresh": other.refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.refresh(&other.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .api(Method::POST, "/auth/logout", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn logout_all_kills_every_device(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, laptop) = app.user().await;
    let phone = app.login(&email, PASSWORD).await;
    let res = app
        .api(Method::POST, "/auth/logout-all", Some(&laptop.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.me_status(&laptop.access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.me_status(&phone.access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&phone.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&laptop.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    // A new login works.
    let fresh = app.login(&email, PASSWORD).await;
    assert_eq!(app.me_status(&fresh.access).await, StatusCode::OK);
}

async fn me_read_and_patch(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, tokens) = app.user().await;
    let (status, body) = read(
        app.api(Method::GET, "/auth/me", Some(&tokens.access))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["email"], email.as_str());
    assert_eq!(body["data"]["roles"], json!(["User"]));
    assert!(body["data"]["permissions"].is_object());

    let res = app
        .api(Method::PATCH, "/auth/me", Some(&tokens.access))
        .json(&json!({"first_name": "Ada", "patronymic": "Augusta"}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["first_name"], "Ada");
    assert_eq!(body["data"]["patronymic"], "Augusta");
    assert_eq!(body["data"]["last_name"], "");

    for field in ["email", "is_superuser", "roles"] {
        let res = app
            .api(Method::PATCH, "/auth/me", Some(&tokens.access))
            .json(&json!({"first_name": "Eve", field: "x"}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(res).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, "validation_error", Some(field));
    }
    let (_, body) = read(
        app.api(Method::GET, "/auth/me", Some(&tokens.access))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        body["data"]["first_name"], "Ada",
        "nothing changed by refused patches"
    );
    assert_eq!(body["data"]["is_superuser"], false);
}

async fn soft_delete_blocks_login_and_refresh(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, tokens) = app.user().await;
    let res = app
        .api(Method::DELETE, "/auth/me", Some(&tokens.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.me_status(&tokens.access).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = read(app.login_raw(&email, PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "invalid_credentials", None);
    assert_eq!(
        app.refresh(&tokens.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The email stays taken.
    let res = app
        .api(Method::POST, "/auth/register", None)
        .json(&json!({"email": email, "password": PASSWORD, "repeat_password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

every_config!(
    register_validates_and_refuses_duplicates,
    registration_can_be_disabled,
    login_succeeds_and_fails_uniformly,
    refresh_rotates_and_reuse_revokes_the_session,
    refresh_refuses_access_tokens_and_garbage,
    each_401_says_why,
    logout_kills_the_access_token_and_the_session,
    logout_all_kills_every_device,
    me_read_and_patch,
    soft_delete_blocks_login_and_refresh
);
