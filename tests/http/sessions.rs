//! Sessions list and revoke, password change.

use castellan_tests::{assert_error, read, Backend, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn sessions_are_listed_and_revocable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, first) = app.user().await;
    let second = app.login(&email, PASSWORD).await;
    let (status, body) = read(
        app.api(Method::GET, "/auth/sessions", Some(&second.access))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["meta"]["total"], 2);
    let sessions = body["data"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    for key in [
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "ip",
        "user_agent",
    ] {
        assert!(sessions[0].get(key).is_some(), "{key}");
    }
    let other_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Revoking the first device's session kills its access token at once, and its refresh.
    let res = app
        .api(
            Method::DELETE,
            &format!("/auth/sessions/{other_id}"),
            Some(&second.access),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&first.access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&first.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.me_status(&second.access).await, StatusCode::OK);

    // Unknown, already revoked, malformed, or another user's session → 404.
    let (_, stranger) = app.user().await;
    let (_, body) = read(
        app.api(Method::GET, "/auth/sessions", Some(&stranger.access))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let stranger_session = body["data"][0]["id"].as_str().unwrap().to_string();
    for id in [
        other_id.as_str(),
        &uuid::Uuid::now_v7().to_string(),
        "not-a-uuid",
        &stranger_session,
    ] {
        let (status, body) = read(
            app.api(
                Method::DELETE,
                &format!("/auth/sessions/{id}"),
                Some(&second.access),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        assert_error(&body, "not_found", None);
    }
    assert_eq!(app.me_status(&stranger.access).await, StatusCode::OK);
}

async fn password_change_revokes_everything_and_returns_a_fresh_pair(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (email, first) = app.user().await;
    let other = app.login(&email, PASSWORD).await;
    let new_password = "indigo-lighthouse-77";

    let res = app
        .api(Method::POST, "/auth/password/change", Some(&first.access))
        .json(&json!({"current_password": "wrong-one-123", "new_password": new_password, "repeat_password": new_password}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("current_password"));

    let res = app
        .api(Method::POST, "/auth/password/change", Some(&first.access))
        .json(&json!({"current_password": PASSWORD, "new_password": "123456", "repeat_password": "123456"}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("new_password"));

    let res = app
        .api(Method::POST, "/auth/password/change", Some(&first.access))
        .json(&json!({"current_password": PASSWORD, "new_password": new_password, "repeat_password": new_password}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fresh = castellan_tests::Tokens::from_data(&body["data"]);
    assert_eq!(app.me_status(&first.access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&other.access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&other.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&first.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.me_status(&fresh.access).await, StatusCode::OK);
    assert_eq!(
        app.login_raw(&email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.login(&email, new_password).await;
}

every_config!(
    sessions_are_listed_and_revocable,
    password_change_revokes_everything_and_returns_a_fresh_pair
);
