//! Tenants bootstrapping, users administered within a tenant, and isolation between tenants.

use castellan_tests::{assert_error, read, Backend, Options, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn tenant(app: &TestApp, name: &str) -> (String, String) {
    app.tenant(name).await
}

async fn post_tenant(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    read(
        app.api(Method::POST, "/tenants", token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn bootstrap_and_visibility(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let (status, body) = post_tenant(&app, None, json!({"name": "Acme Corp (EU)", "admin": {"email": "boss@acme.test", "password": PASSWORD}})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let acme = body["data"]["tenant"]["id"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["tenant"]["slug"], "acme-corp-eu");
    let boss = app.login("boss@acme.test", PASSWORD).await.access;
    let me = app.call(Method::GET, "/auth/me", &boss, None).await.1;
    assert_eq!(me["data"]["tenant_id"], acme.as_str());
    assert_eq!(me["data"]["id"], body["data"]["admin_user_id"]);
    assert_eq!(me["data"]["roles"], json!(["Admin"]));
    assert_eq!(me["data"]["permissions"]["tenant"]["read"], "all");

    // The new tenant has the system roles with their rules.
    let (_, roles) = app.call(Method::GET, "/roles", &boss, None).await;
    let names: Vec<&str> = roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Admin", "Guest", "User"]);
    assert!(roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["is_system"] == true));
    assert_eq!(
        app.call(Method::GET, "/access-rules?per_page=200", &boss, None)
            .await
            .1["meta"]["total"],
        18 + 5 + 1
    );

    // A tenant admin sees only its tenant; the superuser sees them all.
    let (_, listed) = app.call(Method::GET, "/tenants", &boss, None).await;
    assert_eq!(listed["meta"]["total"], 1);
    assert_eq!(listed["data"][0]["id"], acme.as_str());
    let default = "00000000-0000-0000-0000-000000000001";
    assert_eq!(
        app.call(Method::GET, &format!("/tenants/{default}"), &boss, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let root = app.demo_login("admin").await;
    assert_eq!(
        app.call(Method::GET, "/tenants", &root, None).await.1["meta"]["total"],
        2
    );
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/tenants/{acme}"),
            &boss,
            Some(json!({"name": "Acme"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["name"], "Acme");
    let user = app.demo_login("user").await;
    assert_eq!(
        app.call(Method::GET, "/tenants", &user, None).await.0,
        StatusCode::FORBIDDEN
    );
}

async fn bootstrap_failures_leave_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let root = app.demo_login("admin").await;
    let count = || async {
        app.call(Method::GET, "/tenants", &root, None).await.1["meta"]["total"].clone()
    };
    let before = count().await;
    // Admin email taken: 409, and neither the tenant nor its roles remain (the slug is free).
    let (status, body) = post_tenant(&app, None, json!({"name": "Dup", "slug": "dup-co", "admin": {"email": "user@example.com", "password": PASSWORD}})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "conflict", Some("admin.email"));
    assert_eq!(count().await, before);
    let (status, _) = post_tenant(&app, None, json!({"name": "Dup", "slug": "dup-co", "admin": {"email": "fresh@dup.test", "password": PASSWORD}})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = post_tenant(&app, None, json!({"name": "Again", "slug": "dup-co", "admin": {"email": "other@dup.test", "password": PASSWORD}})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "conflict", Some("slug"));
    for (body, field) in [
        (
            json!({"name": "X", "slug": "-bad", "admin": {"email": "a@b.test", "password": PASSWORD}}),
            "slug",
        ),
        (
            json!({"name": "Weak", "admin": {"email": "a@b.test", "password": "password"}}),
            "admin.password",
        ),
        (json!({"name": "No admin"}), "admin.email"),
        (
            json!({"admin": {"email": "a@b.test", "password": PASSWORD}}),
            "name",
        ),
        (
            json!({"name": "X", "admin": {"email": "a@b.test", "password": PASSWORD, "is_superuser": true}}),
            "admin.is_superuser",
        ),
    ] {
        let (status, response) = post_tenant(&app, None, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{response}");
        assert_error(&response, "validation_error", Some(field));
    }
}

async fn self_service_off(backend: Backend) {
    let app = TestApp::spawn_with(Options {
        backend,
        extra_toml: "[tenants]\nself_service = false".into(),
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    let body = json!({"name": "Closed", "admin": {"email": "closed@x.test", "password": PASSWORD}});
    assert_eq!(
        post_tenant(&app, None, body.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let user = app.demo_login("user").await;
    assert_eq!(
        post_tenant(&app, Some(&user), body.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let root = app.demo_login("admin").await;
    assert_eq!(
        post_tenant(&app, Some(&root), body).await.0,
        StatusCode::CREATED
    );
}

async fn users_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, admin) = tenant(&app, "Users Inc").await;
    let (status, created) = app
        .call(
            Method::POST,
            "/users",
            &admin,
            Some(json!({"email": "guest@users.test", "password": PASSWORD, "roles": ["Guest"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["data"]["roles"], json!(["Guest"]));
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .call(
            Method::POST,
            "/users",
            &admin,
            Some(json!({"email": "x@users.test", "password": PASSWORD, "roles": ["Pilot"]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("roles"));
    let (_, body) = app
        .call(
            Method::POST,
            "/users",
            &admin,
            Some(json!({"email": "plain@users.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(body["data"]["roles"], json!(["User"]));

    let guest = app.login("guest@users.test", PASSWORD).await.access;
    assert_eq!(app.me_status(&guest).await, StatusCode::OK);
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            &admin,
            Some(json!({"is_active": false, "last_name": "Gone"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["is_active"], false);
    assert_eq!(app.me_status(&guest).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login_raw("guest@users.test", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.call(
        Method::PATCH,
        &format!("/users/{id}"),
        &admin,
        Some(json!({"is_active": true})),
    )
    .await;
    app.login("guest@users.test", PASSWORD).await;

    assert_eq!(
        app.call(Method::DELETE, &format!("/users/{id}"), &admin, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, listed) = app
        .call(Method::GET, "/users?search=guest", &admin, None)
        .await;
    assert_eq!(
        listed["data"][0]["is_active"], false,
        "soft-deleted users stay listed"
    );
    let (status, _) = app
        .call(
            Method::POST,
            "/users",
            &admin,
            Some(json!({"email": "guest@users.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "the email stays taken");
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            &admin,
            Some(json!({"email": "new@users.test"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("email"));
}

async fn tenants_are_isolated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let (tenant_a, a) = tenant(&app, "Tenant A").await;
    let (_tenant_b, b) = tenant(&app, "Tenant B").await;

    // A's objects: a user, a role with a rule, a grant, an article.
    let (_, user) = app
        .call(
            Method::POST,
            "/users",
            &a,
            Some(json!({"email": "a-user@a.test", "password": PASSWORD})),
        )
        .await;
    let user_id = user["data"]["id"].as_str().unwrap().to_string();
    let (_, role) = app
        .call(Method::POST, "/roles", &a, Some(json!({"name": "A-only"})))
        .await;
    let role_id = role["data"]["id"].as_str().unwrap().to_string();
    let (_, rule) = app
        .call(
            Method::POST,
            "/access-rules",
            &a,
            Some(json!({"role_id": role_id, "element": "task", "can_read_all": true})),
        )
        .await;
    let rule_id = rule["data"]["id"].as_str().unwrap().to_string();
    let (_, grant) = app
        .call(
            Method::POST,
            "/user-roles",
            &a,
            Some(json!({"user_id": user_id, "role_id": role_id})),
        )
        .await;
    let grant_id = grant["data"]["id"].as_str().unwrap().to_string();
    let (_, article) = app
        .call(
            Method::POST,
            "/articles",
            &a,
            Some(json!({"title": "A's secret"})),
        )
        .await;
    let article_id = article["data"]["id"].as_str().unwrap().to_string();

    // B sees none of them: 404 on every route, absent from every list.
    for path in [
        format!("/users/{user_id}"),
        format!("/roles/{role_id}"),
        format!("/access-rules/{rule_id}"),
        format!("/articles/{article_id}"),
        format!("/tenants/{tenant_a}"),
    ] {
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            if path.starts_with("/tenants") && method == Method::DELETE {
                continue;
            }
            let body = (method == Method::PATCH).then(|| json!({}));
            let (status, response) = app.call(method.clone(), &path, &b, body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {response}");
        }
    }
    assert_eq!(
        app.call(Method::DELETE, &format!("/user-roles/{grant_id}"), &b, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    for (path, needle) in [
        ("/users", &user_id),
        ("/roles", &role_id),
        ("/access-rules?per_page=200", &rule_id),
        ("/user-roles", &grant_id),
        ("/articles", &article_id),
    ] {
        let (status, listed) = app.call(Method::GET, path, &b, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            !listed.to_string().contains(needle.as_str()),
            "{path} leaks A's object"
        );
    }
    // B cannot reach into A: references to A's objects are 400s, not grants.
    let (_, b_user) = app
        .call(
            Method::POST,
            "/users",
            &b,
            Some(json!({"email": "b-user@b.test", "password": PASSWORD})),
        )
        .await;
    let b_user = b_user["data"]["id"].as_str().unwrap().to_string();
    for (body, field) in [
        (json!({"user_id": user_id, "role": "User"}), "user_id"),
        (json!({"user_id": b_user, "role_id": role_id}), "role_id"),
    ] {
        let (status, response) = app.call(Method::POST, "/user-roles", &b, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{response}");
        assert_error(&response, "validation_error", Some(field));
    }
    let (status, _) = app
        .call(
            Method::POST,
            "/access-rules",
            &b,
            Some(json!({"role_id": role_id, "element": "task"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .call(
            Method::POST,
            "/authz/check",
            &b,
            Some(json!({"element": "task", "action": "read", "user_id": user_id})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/articles?tenant_id={tenant_a}"),
            &b,
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "tenant_id is for superusers"
    );

    // The superuser sees both.
    let root = app.demo_login("admin").await;
    assert_eq!(
        app.call(Method::GET, &format!("/users/{user_id}"), &root, None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::GET, &format!("/articles/{article_id}"), &root, None)
            .await
            .0,
        StatusCode::OK
    );
    let (_, listed) = app
        .call(
            Method::GET,
            &format!("/users?tenant_id={tenant_a}"),
            &root,
            None,
        )
        .await;
    assert_eq!(listed["meta"]["total"], 2);
}

async fn signed_in_users_may_start_a_tenant(backend: Backend) {
    // Self-service is open to anyone, a member of another tenant included: the new tenant
    // (and its first audit entry) is written outside the caller's own tenant.
    let app = TestApp::spawn(backend).await;
    let (_, member) = tenant(&app, "Home").await;
    let email = format!("second-{}@example.com", uuid::Uuid::new_v4().simple());
    let body = json!({"name": "Side project", "admin": {"email": email, "password": PASSWORD}});
    let (status, created) = post_tenant(&app, Some(&member), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let boss = app.login(&email, PASSWORD).await.access;
    let (status, body) = app.call(Method::GET, "/audit-logs", &boss, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"][body["data"].as_array().unwrap().len() - 1]["action"],
        "tenant.create"
    );
}

every_config!(
    signed_in_users_may_start_a_tenant,
    bootstrap_and_visibility,
    bootstrap_failures_leave_nothing,
    self_service_off,
    users_admin,
    tenants_are_isolated
);
