//! `GET /dashboard`: the figures of the caller's tenant from aggregate queries, who may see
//! them, and the audit block from the background verification of the chain.

use castellan_application::SeedOptions;
use castellan_tests::{assert_error, Backend, Options, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const DEFAULT_TENANT: &str = "00000000-0000-0000-0000-000000000001";

async fn dashboard(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    app.call(Method::GET, &format!("/dashboard{query}"), token, None)
        .await
}

async fn the_dashboard_counts_the_callers_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed(SeedOptions {
        reset: false,
        pharma: true,
    })
    .await;
    let admin = app.demo_login("admin").await;
    let guest = app.demo_login("guest").await;
    // A failed login, a denial (the guest may not create articles), a revoked session.
    let (status, _) = app
        .api(Method::POST, "/auth/login", None)
        .json(&json!({"email": "user@example.com", "password": "wrong-password"}))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .call(
            Method::POST,
            "/articles",
            &guest,
            Some(json!({"title": "No"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let user = app.demo_login("user").await;
    let (status, _) = app.call(Method::POST, "/auth/logout", &user, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Tasks in every status.
    let (_, project) = app
        .call(
            Method::POST,
            "/projects",
            &admin,
            Some(json!({"name": "P"})),
        )
        .await;
    let (_, workflow) = app
        .call(
            Method::POST,
            "/workflows",
            &admin,
            Some(json!({"name": "W", "project_id": project["data"]["id"]})),
        )
        .await;
    for status in ["todo", "todo", "in_progress", "done", "done", "done"] {
        let (code, _) = app
            .call(
                Method::POST,
                "/tasks",
                &admin,
                Some(
                    json!({"title": "T", "status": status, "workflow_id": workflow["data"]["id"]}),
                ),
            )
            .await;
        assert_eq!(code, StatusCode::CREATED);
    }
    // Another tenant's rows count only there.
    let (other_tenant, other_admin) = app.tenant("Elsewhere").await;
    app.call(
        Method::POST,
        "/articles",
        &other_admin,
        Some(json!({"title": "Theirs"})),
    )
    .await;

    let (status, body) = dashboard(&app, &admin, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let figures = &body["data"];
    assert_eq!(figures["tenant_id"], DEFAULT_TENANT);
    assert_eq!(figures["users"], json!({"total": 5, "active": 5}));
    // Logins: the seed's users here (admin, guest, user) succeeded, one password was wrong.
    assert_eq!(figures["logins_24h"], json!({"success": 3, "failure": 1}));
    assert_eq!(figures["active_sessions"], 2, "the user logged out");
    assert_eq!(figures["denials_24h"], 1);
    assert_eq!(
        figures["objects"],
        json!({"article": 4, "project": 1, "workflow": 1, "task": 6, "site": 2, "batch": 5,
               "serialization": 50, "inspection": 5})
    );
    assert_eq!(
        figures["tasks_by_status"],
        json!({"todo": 2, "in_progress": 1, "done": 3})
    );

    // The other tenant's admin sees that tenant; the superuser may ask for it by id.
    let (_, theirs) = dashboard(&app, &other_admin, "").await;
    assert_eq!(theirs["data"]["tenant_id"], other_tenant.as_str());
    assert_eq!(theirs["data"]["users"], json!({"total": 1, "active": 1}));
    assert_eq!(theirs["data"]["objects"]["article"], 1);
    assert_eq!(theirs["data"]["objects"]["site"], 0);
    let (status, asked) = dashboard(&app, &admin, &format!("?tenant_id={other_tenant}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(asked["data"]["users"], theirs["data"]["users"]);
    assert_eq!(asked["data"]["objects"], theirs["data"]["objects"]);
}

async fn the_dashboard_needs_read_all_on_dashboard(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    for who in ["user", "guest"] {
        let token = app.demo_login(who).await;
        let (status, body) = dashboard(&app, &token, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
        assert_error(&body, "forbidden", None);
    }
    // A tenant admin has read-all, but may not name a tenant; a superuser naming no tenant
    // that exists gets 404.
    let (_, tenant_admin) = app.tenant("Acme").await;
    let (status, _) = dashboard(&app, &tenant_admin, "").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        dashboard(&app, &tenant_admin, &format!("?tenant_id={DEFAULT_TENANT}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "validation_error", Some("tenant_id"));
    let (status, body) = dashboard(&app, &admin, "?tenant_id=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("tenant_id"));
    let (status, _) = dashboard(
        &app,
        &admin,
        &format!("?tenant_id={}", uuid::Uuid::now_v7()),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Read-own is not enough.
    app.call(
        Method::POST,
        "/roles",
        &admin,
        Some(json!({"name": "Peek"})),
    )
    .await;
    let (status, _) = app
        .call(
            Method::POST,
            "/access-rules",
            &admin,
            Some(json!({"role": "Peek", "element": "dashboard", "can_read_own": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let guest = app.demo_login("guest").await;
    let (_, me) = app.call(Method::GET, "/auth/me", &guest, None).await;
    let (status, body) = app
        .call(
            Method::POST,
            "/user-roles",
            &admin,
            Some(json!({"user_id": me["data"]["id"], "role": "Peek"})),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, _) = dashboard(&app, &guest, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Creates an article as `token` (exactly one audit entry).
async fn write_one(app: &TestApp, token: &str) {
    let (status, _) = app
        .call(
            Method::POST,
            "/articles",
            token,
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn the_audit_block_is_the_background_verification(backend: Backend) {
    let app = TestApp::spawn_with(Options {
        backend,
        extra_toml: "[audit]\nverify_after_writes = 3\nverify_poll_secs = 1".into(),
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;

    // The server's own watch verified the chain at start and again once it grew: the
    // dashboard reads its verdict.
    let mut audit = Value::Null;
    for _ in 0..50 {
        audit = dashboard(&app, &admin, "").await.1["data"]["audit"].clone();
        if audit["checked"].as_u64().unwrap_or(0) >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(audit["valid"], true, "{audit}");
    assert!(audit["verified_at"].is_string(), "{audit}");

    // A watch of our own over the same database, passed by hand: it verifies a chain once
    // it has grown by 3 entries, only the new ones, and sees tampering among them.
    let services = castellan_server::startup::services(&app.settings)
        .await
        .unwrap();
    let watch = services.chain_watch;
    let tenant = Some(DEFAULT_TENANT.parse().unwrap());
    watch.pass().await.unwrap();
    let first = watch.latest(tenant).unwrap();
    assert!(first.valid && first.checked > 0, "{first:?}");
    write_one(&app, &admin).await;
    write_one(&app, &admin).await;
    watch.pass().await.unwrap();
    assert_eq!(watch.latest(tenant), Some(first), "two entries: not yet");
    write_one(&app, &admin).await;
    watch.pass().await.unwrap();
    let second = watch.latest(tenant).unwrap();
    assert_eq!((second.valid, second.checked), (true, first.checked + 3));
    write_one(&app, &admin).await;
    let seq = second.checked + 1;
    let edit = format!(
        "UPDATE audit_logs SET action = 'article.read' WHERE seq = {seq} AND tenant_id = '{DEFAULT_TENANT}'"
    );
    let tamper = castellan_tests::behind_the_triggers(backend, &edit);
    app.raw_sql(&tamper).await.unwrap();
    write_one(&app, &admin).await;
    write_one(&app, &admin).await;
    watch.pass().await.unwrap();
    let broken = watch.latest(tenant).unwrap();
    assert!(!broken.valid, "{broken:?}");
}

every_config!(
    the_dashboard_counts_the_callers_tenant,
    the_dashboard_needs_read_all_on_dashboard,
    the_audit_block_is_the_background_verification,
);
