//! Roles, access rules, grants, `/authz/check`, `/auth/me` permissions, the catalog.

use castellan_tests::{assert_error, read, Backend, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn me(app: &TestApp, token: &str) -> Value {
    app.call(Method::GET, "/auth/me", token, None).await.1["data"].clone()
}

async fn catalog_and_permissions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let user = app.demo_login("user").await;
    let (status, body) = app
        .call(Method::GET, "/business-elements", &user, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["meta"]["total"], 18);
    assert!(body["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["key"] == "dashboard"));

    let permissions = &me(&app, &user).await["permissions"];
    assert_eq!(permissions.as_object().unwrap().len(), 18);
    assert_eq!(
        permissions["article"],
        json!({"read": "own", "create": true, "update": "own", "delete": "own"})
    );
    assert_eq!(
        permissions["api_key"],
        json!({"read": "own", "create": true, "update": null, "delete": "own"})
    );
    assert_eq!(
        permissions["tenant"],
        json!({"read": null, "create": false, "update": null, "delete": null})
    );
    let admin = app.demo_login("admin").await;
    let permissions = &me(&app, &admin).await["permissions"];
    assert_eq!(
        permissions["audit_log"],
        json!({"read": "all", "create": true, "update": "all", "delete": "all"})
    );
    let guest = app.demo_login("guest").await;
    assert_eq!(
        me(&app, &guest).await["permissions"]["article"]["read"],
        "all"
    );
}

async fn rule_admin_and_conflicts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let user = app.demo_login("user").await;

    for (method, path) in [
        (Method::GET, "/access-rules"),
        (Method::POST, "/access-rules"),
        (Method::GET, "/roles"),
        (Method::GET, "/user-roles"),
    ] {
        let (status, body) = app.call(method.clone(), path, &user, Some(json!({}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
        assert_error(&body, "forbidden", None);
    }

    let (status, role) = app
        .call(
            Method::POST,
            "/roles",
            &admin,
            Some(json!({"name": "Editor", "description": "edits"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    assert_eq!(role["data"]["is_system"], false);
    let role_id = role["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .call(
            Method::POST,
            "/roles",
            &admin,
            Some(json!({"name": "Editor"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let (status, rule) = app
        .call(
            Method::POST,
            "/access-rules",
            &admin,
            Some(json!({"role": "Editor", "element": "article", "can_update_all": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    assert_eq!(
        rule["data"]["can_update_own"], true,
        "update_all implies update_own"
    );
    assert_eq!(rule["data"]["can_read_all"], false);
    let rule_id = rule["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .call(
            Method::POST,
            "/access-rules",
            &admin,
            Some(json!({"role_id": role_id, "element": "article"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "conflict", Some("element"));
    for (body, field) in [
        (json!({"role": "Nobody", "element": "article"}), "role"),
        (
            json!({"role_id": uuid::Uuid::now_v7(), "element": "article"}),
            "role_id",
        ),
        (json!({"role": "Editor", "element": "spaceship"}), "element"),
        (
            json!({"role": "Editor", "element": "task", "can_create": "yes"}),
            "can_create",
        ),
    ] {
        let (status, response) = app
            .call(Method::POST, "/access-rules", &admin, Some(body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{response}");
        assert_error(&response, "validation_error", Some(field));
    }
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/access-rules/{rule_id}"),
            &admin,
            Some(json!({"can_read_all": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["can_read_all"], true);
    assert_eq!(
        body["data"]["can_update_all"], true,
        "PATCH keeps the other flags"
    );
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/access-rules/{rule_id}"),
            &admin,
            Some(json!({"can_read_own": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"]["can_update_all"], false,
        "PUT replaces every flag"
    );
    // A client that read the rule may send its whole representation back with PUT.
    let (_, read_back) = app
        .call(
            Method::GET,
            &format!("/access-rules/{rule_id}"),
            &admin,
            None,
        )
        .await;
    let mut full = read_back["data"].clone();
    full["can_delete_own"] = json!(true);
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/access-rules/{rule_id}"),
            &admin,
            Some(full.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["can_delete_own"], true);
    assert_eq!(body["data"]["element"], full["element"]);
    // ... but not move the rule: a different role or element is a 400 on each field.
    let mut moved = full.clone();
    let other = match full["element"] == "task" {
        true => "project",
        false => "task",
    };
    moved["element"] = json!(other);
    moved["role_id"] = json!(uuid::Uuid::now_v7());
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/access-rules/{rule_id}"),
            &admin,
            Some(moved),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "validation_error", Some("element"));
    assert_error(&body, "validation_error", Some("role_id"));
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/access-rules/{rule_id}"),
            &admin,
            Some(json!({"role": "Guest"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "validation_error", Some("role"));

    let (_, listed) = app.call(Method::GET, "/access-rules", &admin, None).await;
    assert!(listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == rule_id.as_str()));

    // A role still granted cannot be deleted; system roles neither, nor renamed.
    let user_id = me(&app, &user).await["id"].as_str().unwrap().to_string();
    let (status, grant) = app
        .call(
            Method::POST,
            "/user-roles",
            &admin,
            Some(json!({"user_id": user_id, "role": "Editor"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    let (status, body) = app
        .call(
            Method::POST,
            "/user-roles",
            &admin,
            Some(json!({"user_id": user_id, "role_id": role_id})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = app
        .call(Method::DELETE, &format!("/roles/{role_id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let grant_id = grant["data"]["id"].as_str().unwrap();
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/user-roles/{grant_id}"),
            &admin,
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(Method::DELETE, &format!("/roles/{role_id}"), &admin, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(
            Method::GET,
            &format!("/access-rules/{rule_id}"),
            &admin,
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (_, roles) = app
        .call(Method::GET, "/roles?search=guest", &admin, None)
        .await;
    let guest_role = roles["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(roles["data"][0]["is_system"], true);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/roles/{guest_role}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/roles/{guest_role}"),
            &admin,
            Some(json!({"name": "Visitor"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/roles/{guest_role}"),
            &admin,
            Some(json!({"description": "Reads articles"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn grants_take_effect_on_the_next_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let (email, tokens) = app.user().await;
    let token = tokens.access;
    let user_id = me(&app, &token).await["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.call(Method::GET, "/articles", &token, None).await.1["meta"]["total"],
        0
    );

    // Without any role: no rule for article → 403 even on the list (same token).
    let (_, grants) = app
        .call(
            Method::GET,
            &format!("/user-roles?user_id={user_id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(grants["meta"]["total"], 1);
    assert_eq!(grants["data"][0]["role"], "User");
    let user_grant = grants["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/user-roles/{user_grant}"),
            &admin,
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = app.call(Method::GET, "/articles", &token, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        app.call(
            Method::POST,
            "/articles",
            &token,
            Some(json!({"title": "t"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Guest: reads all four.
    let (status, _) = app
        .call(
            Method::POST,
            "/user-roles",
            &admin,
            Some(json!({"user_id": user_id, "role": "Guest"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.call(Method::GET, "/articles", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["meta"]["total"], 4);
    assert_eq!(
        app.call(
            Method::POST,
            "/articles",
            &token,
            Some(json!({"title": "t"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Guest + User: the union — reads all, creates, changes only its own.
    app.call(
        Method::POST,
        "/user-roles",
        &admin,
        Some(json!({"user_id": user_id, "role": "User"})),
    )
    .await;
    let (status, created) = app
        .call(
            Method::POST,
            "/articles",
            &token,
            Some(json!({"title": "Union"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        app.call(Method::GET, "/articles", &token, None).await.1["meta"]["total"],
        5
    );
    let (_, me_now) = read(
        app.api(Method::GET, "/auth/me", Some(&token))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me_now["data"]["roles"], json!(["Guest", "User"]));
    assert_eq!(me_now["data"]["permissions"]["article"]["read"], "all");
    assert_eq!(me_now["data"]["permissions"]["article"]["update"], "own");
    app.login(&email, PASSWORD).await;
}

/// The check API never answers differently from the routes.
async fn check_agrees_with_the_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let tokens = [
        ("admin", app.demo_login("admin").await),
        ("user", app.demo_login("user").await),
        ("guest", app.demo_login("guest").await),
    ];
    let admin = &tokens[0].1;
    let (_, all) = app
        .call(Method::GET, "/articles?ordering=title", admin, None)
        .await;
    let articles: Vec<(String, String)> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["owner_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut checked = 0;
    for (who, token) in &tokens {
        for (article, owner) in &articles {
            for action in ["read", "update", "delete"] {
                let (status, answer) = app
                    .call(
                        Method::POST,
                        "/authz/check",
                        token,
                        Some(json!({"element": "article", "action": action, "owner_id": owner})),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{answer}");
                let allowed = answer["data"]["allowed"].as_bool().unwrap();
                // Ask the route the same question (delete last: it changes the data).
                let (method, body) = match action {
                    "read" => (Method::GET, None),
                    "update" => (Method::PATCH, Some(json!({}))),
                    _ => continue,
                };
                let (route, _) = app
                    .call(method, &format!("/articles/{article}"), token, body)
                    .await;
                assert_eq!(
                    allowed,
                    route.is_success(),
                    "{who} {action} of {owner}'s: check {answer}, route {route}"
                );
                checked += 1;
            }
        }
        let (_, answer) = app
            .call(
                Method::POST,
                "/authz/check",
                token,
                Some(json!({"element": "article", "action": "create"})),
            )
            .await;
        let (route, _) = app
            .call(
                Method::POST,
                "/articles",
                token,
                Some(json!({"title": format!("by {who}")})),
            )
            .await;
        assert_eq!(
            answer["data"]["allowed"].as_bool().unwrap(),
            route.is_success(),
            "{who} create"
        );
    }
    assert_eq!(checked, 3 * 4 * 2);

    // Explanations.
    let user = &tokens[1].1;
    let guest = &tokens[2].1;
    let admin_id = me(&app, admin).await["id"].as_str().unwrap().to_string();
    let user_id = me(&app, user).await["id"].as_str().unwrap().to_string();
    let cases = [
        (
            admin,
            json!({"element": "tenant", "action": "delete"}),
            json!(true),
            json!("all"),
            "superuser",
        ),
        (
            user,
            json!({"element": "article", "action": "read"}),
            json!(true),
            json!("own"),
            "rule_own",
        ),
        (
            user,
            json!({"element": "article", "action": "update", "owner_id": admin_id}),
            json!(false),
            Value::Null,
            "not_owner",
        ),
        (
            user,
            json!({"element": "article", "action": "create"}),
            json!(true),
            Value::Null,
            "create_allowed",
        ),
        (
            user,
            json!({"element": "tenant", "action": "read"}),
            json!(false),
            Value::Null,
            "no_rule",
        ),
        (
            guest,
            json!({"element": "article", "action": "read"}),
            json!(true),
            json!("all"),
            "rule_all",
        ),
        (
            guest,
            json!({"element": "article", "action": "delete"}),
            json!(false),
            Value::Null,
            "flag_off",
        ),
    ];
    for (token, question, allowed, scope, reason) in cases {
        let (_, answer) = app
            .call(Method::POST, "/authz/check", token, Some(question.clone()))
            .await;
        let data = &answer["data"];
        assert_eq!(
            (
                &data["allowed"],
                &data["scope"],
                data["reason"].as_str().unwrap()
            ),
            (&allowed, &scope, reason),
            "{question}"
        );
    }
    let (_, answer) = app
        .call(
            Method::POST,
            "/authz/check",
            guest,
            Some(json!({"element": "article", "action": "read"})),
        )
        .await;
    assert_eq!(answer["data"]["matched_rules"][0]["role"], "Guest");

    // Batch, in order; another user's permissions need read on user_role.
    let (status, answer) = app
        .call(
            Method::POST,
            "/authz/check",
            admin,
            Some(json!({"checks": [
                {"element": "article", "action": "create", "user_id": user_id},
                {"element": "tenant", "action": "read", "user_id": user_id},
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["data"]["results"][0]["reason"], "create_allowed");
    assert_eq!(answer["data"]["results"][1]["reason"], "no_rule");
    let (status, _) = app
        .call(
            Method::POST,
            "/authz/check",
            user,
            Some(json!({"element": "article", "action": "read", "user_id": admin_id})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (question, field) in [
        (json!({"element": "spaceship", "action": "read"}), "element"),
        (json!({"element": "article", "action": "fly"}), "action"),
        (
            json!({"checks": [{"element": "article", "action": "read"}, {"element": "article"}]}),
            "checks.1.action",
        ),
        (
            json!({"element": "article", "action": "read", "user_id": uuid::Uuid::now_v7()}),
            "user_id",
        ),
    ] {
        let (status, body) = app
            .call(Method::POST, "/authz/check", admin, Some(question))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&body, "validation_error", Some(field));
    }
}

/// Authorization comes before the body on every admin write: a caller whose roles have no
/// rule for the element meets 403 (or 404 for what they may not see) even with a body that
/// is not JSON at all.
async fn authorization_comes_before_the_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let user = app.demo_login("user").await;
    let some_id = uuid::Uuid::now_v7();
    let default_tenant = "00000000-0000-0000-0000-000000000001";
    for (method, path, expected) in [
        (Method::POST, "/roles".to_string(), StatusCode::FORBIDDEN),
        (
            Method::PATCH,
            format!("/roles/{some_id}"),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::POST,
            "/access-rules".to_string(),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::PUT,
            format!("/access-rules/{some_id}"),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::POST,
            "/user-roles".to_string(),
            StatusCode::FORBIDDEN,
        ),
        (Method::POST, "/users".to_string(), StatusCode::FORBIDDEN),
        (
            Method::PATCH,
            format!("/users/{some_id}"),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::PATCH,
            format!("/tenants/{default_tenant}"),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::POST,
            format!("/tenants/{default_tenant}/invitations"),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::POST,
            format!("/tenants/{some_id}/invitations"),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let res = app
            .api(method.clone(), &path, Some(&user))
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "{method} {path}");
    }
}

every_config!(
    authorization_comes_before_the_body,
    catalog_and_permissions,
    rule_admin_and_conflicts,
    grants_take_effect_on_the_next_request,
    check_agrees_with_the_routes
);
