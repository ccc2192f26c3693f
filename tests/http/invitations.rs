//! Invitations: create, mail, accept once, revoke, expire; the dev outbox.

use castellan_tests::{assert_error, read, Backend, Options, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn app_with(backend: Backend, extra: &str) -> TestApp {
    let app = TestApp::spawn_with(Options {
        backend,
        extra_toml: format!("[mail]\ndev_outbox_route = true\n{extra}"),
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    app
}

/// A fresh tenant: (id, admin token).
async fn tenant(app: &TestApp) -> (String, String) {
    app.tenant(&format!("T {}", uuid::Uuid::new_v4().simple()))
        .await
}

async fn accept(app: &TestApp, body: Value) -> (StatusCode, Value) {
    read(
        app.api(Method::POST, "/invitations/accept", None)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn acceptance(token: &str) -> Value {
    json!({"token": token, "password": PASSWORD, "repeat_password": PASSWORD, "first_name": "Invited"})
}

async fn lifecycle(backend: Backend) {
    let app = app_with(backend, "").await;
    let (tenant_id, admin) = tenant(&app).await;
    let email = "newcomer@example.com";
    let (status, created) = app
        .call(
            Method::POST,
            &format!("/tenants/{tenant_id}/invitations"),
            &admin,
            Some(json!({"email": "NewComer@example.com", "role": "Guest"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let invitation = &created["data"];
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["email"], email);
    let token = invitation["token"].as_str().unwrap().to_string();
    let id = invitation["id"].as_str().unwrap().to_string();

    // Mailed: the superuser reads it in the dev outbox.
    let root = app.demo_login("admin").await;
    let (status, mail) = app
        .call(Method::GET, &format!("/dev/outbox?to={email}"), &root, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{mail}");
    assert!(mail["data"][0]["body"].as_str().unwrap().contains(&token));
    assert_eq!(
        app.call(
            Method::GET,
            &format!("/dev/outbox?to={email}"),
            &admin,
            None
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    // Listed without its token.
    let (_, listed) = app
        .call(
            Method::GET,
            &format!("/tenants/{tenant_id}/invitations"),
            &admin,
            None,
        )
        .await;
    assert_eq!(listed["meta"]["total"], 1);
    assert!(listed["data"][0].get("token").is_none());

    // A field error does not use the token up.
    let (status, body) = accept(
        &app,
        json!({"token": token, "password": "password", "repeat_password": "password"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("password"));

    let (status, body) = accept(&app, acceptance(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["user"]["tenant_id"], tenant_id.as_str());
    assert_eq!(body["data"]["user"]["roles"], json!(["Guest"]));
    assert_eq!(body["data"]["token_type"], "Bearer");
    let access = body["data"]["access"].as_str().unwrap();
    assert_eq!(app.me_status(access).await, StatusCode::OK);
    app.login(email, PASSWORD).await;

    // Once only; and an accepted invitation cannot be revoked.
    let (status, body) = accept(&app, acceptance(&token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_invitation", Some("token"));
    assert_eq!(
        app.call(Method::DELETE, &format!("/invitations/{id}"), &admin, None)
            .await
            .0,
        StatusCode::CONFLICT
    );
    let (_, listed) = app
        .call(
            Method::GET,
            &format!("/tenants/{tenant_id}/invitations"),
            &admin,
            None,
        )
        .await;
    assert_eq!(listed["data"][0]["status"], "accepted");

    // Unknown tokens; an email with an account; an unknown role.
    let (status, body) = accept(&app, acceptance("not-a-real-token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_invitation", Some("token"));
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/tenants/{tenant_id}/invitations"),
            &admin,
            Some(json!({"email": email, "role": "Guest"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/tenants/{tenant_id}/invitations"),
            &admin,
            Some(json!({"email": "x@example.com", "role": "Pilot"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("role"));
}

async fn revoked_and_foreign(backend: Backend) {
    let app = app_with(backend, "").await;
    let (tenant_a, a) = tenant(&app).await;
    let (tenant_b, b) = tenant(&app).await;
    let (_, created) = app
        .call(
            Method::POST,
            &format!("/tenants/{tenant_a}/invitations"),
            &a,
            Some(json!({"email": "r@example.com", "role": "User"})),
        )
        .await;
    let token = created["data"]["token"].as_str().unwrap().to_string();
    let id = created["data"]["id"].as_str().unwrap().to_string();

    // Another tenant can neither see, create into nor revoke A's invitations.
    assert_eq!(
        app.call(
            Method::GET,
            &format!("/tenants/{tenant_a}/invitations"),
            &b,
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(
            Method::POST,
            &format!("/tenants/{tenant_a}/invitations"),
            &b,
            Some(json!({"email": "s@example.com", "role": "User"}))
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(Method::DELETE, &format!("/invitations/{id}"), &b, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(
            Method::GET,
            &format!("/tenants/{tenant_b}/invitations"),
            &b,
            None
        )
        .await
        .1["meta"]["total"],
        0
    );
    // An email with an account in another tenant is taken too.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/tenants/{tenant_b}/invitations"),
            &b,
            Some(json!({"email": "user@example.com", "role": "User"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    assert_eq!(
        app.call(Method::DELETE, &format!("/invitations/{id}"), &a, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = accept(&app, acceptance(&token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_invitation", Some("token"));
    assert_eq!(
        app.call(Method::DELETE, &format!("/invitations/{id}"), &a, None)
            .await
            .0,
        StatusCode::CONFLICT
    );
}

async fn expired(backend: Backend) {
    let app = app_with(backend, "[invitations]\nttl_secs = 1").await;
    let (tenant_id, admin) = tenant(&app).await;
    let (_, created) = app
        .call(
            Method::POST,
            &format!("/tenants/{tenant_id}/invitations"),
            &admin,
            Some(json!({"email": "late@example.com", "role": "User"})),
        )
        .await;
    let token = created["data"]["token"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (status, body) = accept(&app, acceptance(&token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "invalid_invitation", Some("token"));
    let (_, listed) = app
        .call(
            Method::GET,
            &format!("/tenants/{tenant_id}/invitations"),
            &admin,
            None,
        )
        .await;
    assert_eq!(listed["data"][0]["status"], "expired");
}

async fn outbox_route_off_by_default(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let root = app.demo_login("admin").await;
    let (status, body) = app
        .call(Method::GET, "/dev/outbox?to=a@example.com", &root, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found", None);
}

async fn mailed_through_smtp_when_configured(backend: Backend) {
    let sink = castellan_tests::SmtpSink::start();
    let extra = format!(
        "smtp_url = \"smtp://127.0.0.1:{}\"\nfrom = \"Castellan <no-reply@castellan.test>\"",
        sink.port
    );
    let app = app_with(backend, &extra).await;
    let (tenant_id, admin) = tenant(&app).await;
    let path = format!("/tenants/{tenant_id}/invitations");
    let body = json!({"email": "smtp@example.com", "role": "User"});
    let (status, created) = app.call(Method::POST, &path, &admin, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["data"]["token"].as_str().unwrap();
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("smtp@example.com"), "{}", messages[0]);
    assert!(messages[0].contains(token), "{}", messages[0]);
    // The dev outbox is not used: its route answers 404.
    let root = app.demo_login("admin").await;
    let (status, _) = app
        .call(Method::GET, "/dev/outbox?to=smtp@example.com", &root, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

every_config!(
    mailed_through_smtp_when_configured,
    lifecycle,
    revoked_and_foreign,
    expired,
    outbox_route_off_by_default
);
