//! API keys: shown once, stored hashed, acting as their owner within their scopes, never
//! managing keys, sessions or passwords, dead at once when deleted, expired or orphaned.

use castellan_tests::{assert_error, read, Backend, Options, TestApp};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

/// A request under `/api/v1` made with an API key, alternating the two ways to send one.
fn with_key(app: &TestApp, method: Method, path: &str, key: &str) -> RequestBuilder {
    let request = app.request(method, &format!("/api/v1{path}"));
    match key.len() % 2 {
        0 => request.header("X-API-Key", key),
        _ => request.header("Authorization", format!("ApiKey {key}")),
    }
}

async fn as_key(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = with_key(app, method, path, key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.unwrap()).await
}

/// Creates a key as `token`: `(id, key)`.
async fn create_key(app: &TestApp, token: &str, scopes: Value) -> (String, String) {
    let (status, body) = app
        .call(
            Method::POST,
            "/api-keys",
            token,
            Some(json!({"name": "ci", "scopes": scopes})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let data = &body["data"];
    (
        data["id"].as_str().unwrap().to_string(),
        data["key"].as_str().unwrap().to_string(),
    )
}

/// A role `name` with a rule on `article` (returns its id), and the system role `User`'s
/// rule on `api_key`.
async fn article_role(app: &TestApp, admin: &str, name: &str, flags: Value) -> String {
    app.role(admin, name).await;
    let keys = json!({"can_read_own": true, "can_create": true, "can_delete_own": true});
    app.rule(admin, name, "api_key", keys).await;
    app.rule(admin, name, "article", flags).await
}

async fn app(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn_with(Options {
        backend,
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    (app, admin)
}

async fn keys_act_as_their_owner_within_their_scopes(backend: Backend) {
    let (app, admin) = app(backend).await;
    let rule = article_role(
        &app,
        &admin,
        "Curator",
        json!({"can_read_all": true, "can_create": true, "can_delete_all": true}),
    )
    .await;
    let (owner_id, owner) = app.member(&admin, "Curator").await;

    let (status, created) = app
        .call(Method::POST, "/api-keys", &owner, Some(json!({"name": "  nightly export ", "scopes": ["article:read", "article:delete", "article:read"]})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let data = &created["data"];
    let (id, key) = (data["id"].as_str().unwrap(), data["key"].as_str().unwrap());
    let prefix = data["prefix"].as_str().unwrap();
    assert_eq!(data["name"], "nightly export");
    assert_eq!(data["owner_id"], owner_id.as_str());
    assert_eq!(data["scopes"], json!(["article:read", "article:delete"]));
    assert!(data["expires_at"].is_null() && data["last_used_at"].is_null());
    assert_eq!(prefix.len(), 8);
    assert!(
        key.starts_with(&format!("cst_{prefix}_")) && key.len() == 4 + 8 + 1 + 43,
        "{key}"
    );

    // Shown once: never again in a read or a list.
    let (status, one) = app
        .call(Method::GET, &format!("/api-keys/{id}"), &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(one["data"].get("key").is_none(), "{one}");
    let (_, listed) = app.call(Method::GET, "/api-keys", &owner, None).await;
    assert_eq!(listed["meta"]["total"], 1);
    assert!(listed["data"][0].get("key").is_none());
    assert!(!listed.to_string().contains(&key[14..]));

    let (status, article) = app
        .call(
            Method::POST,
            "/articles",
            &owner,
            Some(json!({"title": "Kept", "content": "text"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    let article = article["data"]["id"].as_str().unwrap().to_string();

    // Reads work; what the scopes leave out is refused although the rules allow it.
    let (status, list) = as_key(&app, Method::GET, "/articles", key, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let (status, body) = as_key(
        &app,
        Method::POST,
        "/articles",
        key,
        Some(json!({"title": "x", "content": "y"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // What the rules leave out is refused although the scopes name it.
    let (status, _) = as_key(&app, Method::GET, "/projects", key, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // /auth/me answers with the permissions intersected.
    let (status, me) = as_key(&app, Method::GET, "/auth/me", key, None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["data"]["id"], owner_id.as_str());
    assert_eq!(
        me["data"]["permissions"]["article"],
        json!({"read": "all", "create": false, "update": null, "delete": "all"})
    );
    assert_eq!(me["data"]["permissions"]["project"]["read"], Value::Null);

    // The owner loses delete: the key's delete scope grants nothing any more.
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/access-rules/{rule}"),
            &admin,
            Some(json!({"can_delete_all": false, "can_delete_own": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = as_key(
        &app,
        Method::DELETE,
        &format!("/articles/{article}"),
        key,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_error(&body, "forbidden", None);

    // Given back, the delete goes through and is audited as the key's, for its owner.
    app.call(
        Method::PATCH,
        &format!("/access-rules/{rule}"),
        &admin,
        Some(json!({"can_delete_all": true})),
    )
    .await;
    let (status, _) = as_key(
        &app,
        Method::DELETE,
        &format!("/articles/{article}"),
        key,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, log) = app
        .call(
            Method::GET,
            &format!("/audit-logs?actor_id={id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["data"].as_array().unwrap();
    let deleted = entries
        .iter()
        .find(|e| e["action"] == "article.delete")
        .unwrap();
    assert_eq!(deleted["actor_type"], "api_key");
    assert_eq!(deleted["actor_id"], id);
    assert_eq!(deleted["metadata"]["owner_id"], owner_id.as_str());
    let denied = entries
        .iter()
        .find(|e| e["action"] == "article.delete" && e["outcome"] == "denied")
        .unwrap();
    assert_eq!(denied["actor_type"], "api_key");

    // Its use was recorded (at most once a minute).
    let (_, one) = app
        .call(Method::GET, &format!("/api-keys/{id}"), &owner, None)
        .await;
    assert!(one["data"]["last_used_at"].is_string(), "{one}");
}

async fn keys_never_manage_keys_sessions_or_passwords(backend: Backend) {
    let (app, admin) = app(backend).await;
    let (_, owner) = app.member(&admin, "User").await;
    let (id, key) = create_key(&app, &owner, json!(["article:*"])).await;
    let refused = [
        (Method::GET, "/api-keys".to_string(), None),
        (
            Method::POST,
            "/api-keys".to_string(),
            Some(json!({"name": "x", "scopes": ["article:read"]})),
        ),
        (
            Method::POST,
            "/api-keys".to_string(),
            Some(json!({"bad": true})),
        ),
        (Method::GET, format!("/api-keys/{id}"), None),
        (Method::DELETE, format!("/api-keys/{id}"), None),
        (Method::GET, "/auth/sessions".to_string(), None),
        (Method::DELETE, format!("/auth/sessions/{id}"), None),
        (Method::POST, "/auth/logout".to_string(), None),
        (Method::POST, "/auth/logout-all".to_string(), None),
        (
            Method::POST,
            "/auth/password/change".to_string(),
            Some(json!({"current_password": "x"})),
        ),
        (
            Method::PATCH,
            "/auth/me".to_string(),
            Some(json!({"email": "x@example.com"})),
        ),
        (Method::DELETE, "/auth/me".to_string(), None),
        // The public ones too: they are a person's.
        (
            Method::POST,
            "/auth/login".to_string(),
            Some(json!({"email": "a@example.com", "password": "x"})),
        ),
        (Method::POST, "/auth/register".to_string(), Some(json!({}))),
        (
            Method::POST,
            "/auth/refresh".to_string(),
            Some(json!({"refresh": "x"})),
        ),
        (
            Method::POST,
            "/auth/password-reset".to_string(),
            Some(json!({"email": "a@example.com"})),
        ),
        (
            Method::POST,
            "/auth/password-reset/confirm".to_string(),
            Some(json!({"token": "x"})),
        ),
    ];
    for (method, path, body) in refused {
        let (status, answer) = as_key(&app, method.clone(), &path, &key, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
        assert_error(&answer, "forbidden", None);
    }
    assert_eq!(
        as_key(&app, Method::GET, "/auth/me", &key, None).await.0,
        StatusCode::OK
    );

    // A scope beyond the owner's rules is accepted (and grants nothing).
    let (_, roles_key) = create_key(&app, &owner, json!(["role:read"])).await;
    assert_eq!(
        as_key(&app, Method::GET, "/roles", &roles_key, None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // The person's logout-all and password change leave the key alone.
    let res = app
        .api(Method::POST, "/auth/logout-all", Some(&owner))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        as_key(&app, Method::GET, "/articles", &key, None).await.0,
        StatusCode::OK
    );

    // Bad bodies name their field.
    for (body, field) in [
        (json!({"name": "x", "scopes": ["api_key:read"]}), "scopes"),
        (json!({"name": "x", "scopes": ["article:write"]}), "scopes"),
        (json!({"name": "x", "scopes": ["article"]}), "scopes"),
        (json!({"name": "x", "scopes": ["nothing:read"]}), "scopes"),
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "x"}), "scopes"),
        (json!({"name": "", "scopes": ["article:read"]}), "name"),
        (
            json!({"name": "x".repeat(101), "scopes": ["article:read"]}),
            "name",
        ),
        (json!({"scopes": ["article:read"]}), "name"),
        (
            json!({"name": "x", "scopes": ["article:read"], "expires_at": "2020-01-01T00:00:00Z"}),
            "expires_at",
        ),
    ] {
        let (status, answer) = app
            .call(Method::POST, "/api-keys", &admin, Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_error(&answer, "validation_error", Some(field));
    }
}

async fn dead_keys_are_refused_at_once(backend: Backend) {
    let (app, admin) = app(backend).await;
    let (owner_id, owner) = app.member(&admin, "User").await;
    let (id, key) = create_key(&app, &owner, json!(["article:read"])).await;
    assert_eq!(
        as_key(&app, Method::GET, "/articles", &key, None).await.0,
        StatusCode::OK
    );

    // A wrong secret behind a real prefix, and garbage.
    let forged = format!("{}{}", &key[..14], "A".repeat(43));
    for bad in [forged.as_str(), "cst_nonsense", "Bearer-ish"] {
        let res = with_key(&app, Method::GET, "/articles", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{bad}");
        assert!(res.headers().contains_key("www-authenticate"));
    }

    // Deleted: 401 on its next request, 404 on its id.
    let res = app
        .api(Method::DELETE, &format!("/api-keys/{id}"), Some(&owner))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) = as_key(&app, Method::GET, "/articles", &key, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_error(&body, "unauthenticated", None);
    let (status, _) = app
        .call(Method::GET, &format!("/api-keys/{id}"), &owner, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Expired.
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let (status, body) = app
        .call(
            Method::POST,
            "/api-keys",
            &owner,
            Some(json!({"name": "short", "scopes": ["article:read"], "expires_at": soon})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let short = body["data"]["key"].as_str().unwrap().to_string();
    assert_eq!(
        as_key(&app, Method::GET, "/articles", &short, None).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    assert_eq!(
        as_key(&app, Method::GET, "/articles", &short, None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The owner deactivated.
    let (_, live) = create_key(&app, &owner, json!(["article:read"])).await;
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/users/{owner_id}"),
            &admin,
            Some(json!({"is_active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        as_key(&app, Method::GET, "/articles", &live, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn lists_follow_the_rules(backend: Backend) {
    let (app, admin) = app(backend).await;
    let (_, alice) = app.member(&admin, "User").await;
    let (_, bob) = app.member(&admin, "User").await;
    let (alice_key, _) = create_key(&app, &alice, json!(["article:read"])).await;
    create_key(&app, &bob, json!(["article:read"])).await;
    // Read-own: only one's own keys; another's id is a 404.
    let (_, mine) = app.call(Method::GET, "/api-keys", &alice, None).await;
    assert_eq!(mine["meta"]["total"], 1);
    assert_eq!(mine["data"][0]["id"], alice_key.as_str());
    let (status, _) = app
        .call(Method::GET, &format!("/api-keys/{alice_key}"), &bob, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api-keys/{alice_key}"),
            &bob,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Read-all (the superuser here): everyone's.
    let (_, all) = app.call(Method::GET, "/api-keys", &admin, None).await;
    assert_eq!(all["meta"]["total"], 2);
    // A superuser's key is held to its scopes too.
    let (_, root_key) = create_key(&app, &admin, json!(["article:read"])).await;
    assert_eq!(
        as_key(&app, Method::GET, "/articles", &root_key, None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        as_key(&app, Method::GET, "/roles", &root_key, None).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, me) = as_key(&app, Method::GET, "/auth/me", &root_key, None).await;
    assert_eq!(me["data"]["permissions"]["role"]["read"], Value::Null);
    assert_eq!(me["data"]["permissions"]["article"]["read"], "all");
}

/// A superuser's key holds its scopes only: none of what superusers may do outside the
/// rules (the dev outbox, with its one-time tokens).
async fn a_superusers_key_is_no_superuser(backend: Backend) {
    let app = TestApp::spawn_with(Options {
        backend,
        extra_toml: "[mail]\ndev_outbox_route = true".into(),
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let (status, _) = app
        .call(Method::GET, "/dev/outbox?to=user@example.com", &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, key) = create_key(&app, &admin, json!(["article:*", "user:*"])).await;
    let (status, body) = as_key(
        &app,
        Method::GET,
        "/dev/outbox?to=user@example.com",
        &key,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

every_config!(
    keys_act_as_their_owner_within_their_scopes,
    keys_never_manage_keys_sessions_or_passwords,
    dead_keys_are_refused_at_once,
    lists_follow_the_rules,
    a_superusers_key_is_no_superuser,
);
