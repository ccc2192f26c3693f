//! The audit trail end to end: what each action records, masking, diffs, denials, the
//! cursor list, the NDJSON export, verification and tampering, and tenant isolation.

use castellan_tests::{assert_error, read, Backend, TestApp, Tokens, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A fresh request id, sent as `X-Request-ID` so that the entry can be found again.
fn rid() -> String {
    format!("audit-{}", uuid::Uuid::new_v4().simple())
}

/// `method path` under `/api/v1` with `X-Request-ID: rid`.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    rid: &str,
) -> (StatusCode, Value) {
    let mut request = app
        .api(method, path, token)
        .header("X-Request-ID", rid)
        .header("User-Agent", "audit-test/1.0");
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.unwrap()).await
}

/// Every entry `token` may list with `query`, following the cursor to the end.
async fn entries(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/audit-logs?per_page=200{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = app.call(Method::GET, &path, token, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        all.extend(body["data"].as_array().unwrap().iter().cloned());
        match body["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return all,
        }
    }
}

/// The one entry the request `rid` produced (asserts there is exactly one).
async fn entry_for(app: &TestApp, reader: &str, rid: &str) -> Value {
    let found: Vec<Value> = entries(app, reader, "")
        .await
        .into_iter()
        .filter(|e| e["request_id"] == rid)
        .collect();
    assert_eq!(found.len(), 1, "entries of {rid}: {found:#?}");
    found.into_iter().next().unwrap()
}

/// Asserts the entry's action, actor, target and outcome.
fn assert_entry(
    entry: &Value,
    action: &str,
    actor: (&str, Value),
    target: (&str, Value),
    outcome: &str,
) {
    assert_eq!(entry["action"], action, "{entry:#}");
    assert_eq!(entry["actor_type"], actor.0, "{entry:#}");
    assert_eq!(entry["actor_id"], actor.1, "{entry:#}");
    assert_eq!(entry["target_type"], target.0, "{entry:#}");
    if !target.1.is_null() {
        assert_eq!(entry["target_id"], target.1, "{entry:#}");
    }
    assert_eq!(entry["outcome"], outcome, "{entry:#}");
}

async fn auth_actions_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let email = format!("audited-{}@example.com", uuid::Uuid::new_v4().simple());

    // Register: actor and target are the new user.
    let r = rid();
    let body = json!({"email": email, "password": PASSWORD, "repeat_password": PASSWORD});
    let (status, created) = send(&app, Method::POST, "/auth/register", None, Some(body), &r).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].clone();
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "auth.register",
        ("user", id.clone()),
        ("user", id.clone()),
        "success",
    );
    assert_eq!(
        entry["changes"]["email"],
        json!({"before": null, "after": email})
    );
    assert_eq!(entry["user_agent"], "audit-test/1.0");
    assert_eq!(entry["ip"], "127.0.0.1");

    // A failed login: anonymous, the user as target, the email in metadata, no password.
    let r = rid();
    let body = json!({"email": email, "password": "wrong-password-1"});
    let (status, _) = send(&app, Method::POST, "/auth/login", None, Some(body), &r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "auth.login",
        ("anonymous", Value::Null),
        ("user", id.clone()),
        "failure",
    );
    assert_eq!(entry["metadata"]["email"], email);
    assert!(!entry.to_string().contains("wrong-password-1"), "{entry}");

    // An unknown email: its own chain without a tenant.
    let r = rid();
    let body = json!({"email": "nobody@example.com", "password": "whatever-it-is"});
    send(&app, Method::POST, "/auth/login", None, Some(body), &r).await;
    let entry = entry_for(&app, &admin, &r).await;
    assert_eq!(entry["tenant_id"], Value::Null);
    assert_eq!(entry["target_type"], Value::Null);
    assert_eq!(entry["metadata"]["email"], "nobody@example.com");

    // Login, refresh, reuse.
    let r = rid();
    let body = json!({"email": email, "password": PASSWORD});
    let (status, login) = send(&app, Method::POST, "/auth/login", None, Some(body), &r).await;
    assert_eq!(status, StatusCode::OK);
    let tokens = Tokens::from_data(&login["data"]);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "auth.login",
        ("user", id.clone()),
        ("user", id.clone()),
        "success",
    );
    assert!(entry["metadata"]["session_id"].is_string());

    let r = rid();
    let body = json!({"refresh": tokens.refresh});
    let (status, refreshed) = send(
        &app,
        Method::POST,
        "/auth/refresh",
        None,
        Some(body.clone()),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let session = entry_for(&app, &admin, &r).await;
    assert_entry(
        &session,
        "auth.refresh",
        ("user", id.clone()),
        ("session", Value::Null),
        "success",
    );
    let r = rid();
    let (status, _) = send(&app, Method::POST, "/auth/refresh", None, Some(body), &r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let entry = entry_for(&app, &admin, &r).await;
    let session_id = session["target_id"].clone();
    assert_entry(
        &entry,
        "auth.refresh_reuse",
        ("anonymous", Value::Null),
        ("session", session_id),
        "failure",
    );
    assert!(!entry.to_string().contains(&tokens.refresh));
    drop(refreshed);

    // Profile change: only the changed field, never updated_at.
    let tokens = app.login(&email, PASSWORD).await;
    let r = rid();
    let body = json!({"first_name": "Ada"});
    let (status, _) = send(
        &app,
        Method::PATCH,
        "/auth/me",
        Some(&tokens.access),
        Some(body),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "user.update",
        ("user", id.clone()),
        ("user", id.clone()),
        "success",
    );
    assert_eq!(
        entry["changes"],
        json!({"first_name": {"before": "", "after": "Ada"}})
    );

    // Session revoke, then password change: no password or hash in the entry.
    let other = app.login(&email, PASSWORD).await;
    let (_, sessions) = app
        .call(Method::GET, "/auth/sessions", &tokens.access, None)
        .await;
    let other_sid = sessions["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .clone();
    let r = rid();
    let path = format!("/auth/sessions/{}", other_sid.as_str().unwrap());
    let (status, _) = send(&app, Method::DELETE, &path, Some(&tokens.access), None, &r).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "session.revoke",
        ("user", id.clone()),
        ("session", other_sid),
        "success",
    );
    drop(other);

    let new_password = "indigo-lighthouse-77";
    let r = rid();
    let body = json!({"current_password": PASSWORD, "new_password": new_password, "repeat_password": new_password});
    let (status, changed) = send(
        &app,
        Method::POST,
        "/auth/password/change",
        Some(&tokens.access),
        Some(body),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "auth.password_change",
        ("user", id.clone()),
        ("user", id.clone()),
        "success",
    );
    let raw = entry.to_string();
    for secret in [PASSWORD, new_password, "$argon2"] {
        assert!(!raw.contains(secret), "{secret} in {raw}");
    }
    assert_eq!(
        entry["changes"]["password_hash"],
        json!({"before": "***", "after": "***"})
    );

    // Logout and logout-all.
    let tokens = Tokens::from_data(&changed["data"]);
    let r = rid();
    let (status, _) = send(
        &app,
        Method::POST,
        "/auth/logout",
        Some(&tokens.access),
        None,
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "auth.logout",
        ("user", id.clone()),
        ("session", Value::Null),
        "success",
    );
    let tokens = app.login(&email, new_password).await;
    let r = rid();
    let (status, _) = send(
        &app,
        Method::POST,
        "/auth/logout-all",
        Some(&tokens.access),
        None,
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "auth.logout_all",
        ("user", id.clone()),
        ("user", id),
        "success",
    );
}

async fn admin_actions_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let (_, me) = app.call(Method::GET, "/auth/me", &admin, None).await;
    let admin_id = me["data"]["id"].clone();
    let by_admin = ("user", admin_id.clone());

    // Roles and rules.
    let r = rid();
    let (status, role) = send(
        &app,
        Method::POST,
        "/roles",
        Some(&admin),
        Some(json!({"name": "Editor"})),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let role_id = role["data"]["id"].clone();
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "role.create",
        by_admin.clone(),
        ("role", role_id.clone()),
        "success",
    );
    let r = rid();
    let path = format!("/roles/{}", role_id.as_str().unwrap());
    let (status, _) = send(
        &app,
        Method::PATCH,
        &path,
        Some(&admin),
        Some(json!({"description": "Edits"})),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "role.update",
        by_admin.clone(),
        ("role", role_id.clone()),
        "success",
    );
    assert_eq!(
        entry["changes"],
        json!({"description": {"before": "", "after": "Edits"}})
    );

    let r = rid();
    let body = json!({"role_id": role_id, "element": "article", "can_read_all": true});
    let (status, rule) = send(
        &app,
        Method::POST,
        "/access-rules",
        Some(&admin),
        Some(body),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let rule_id = rule["data"]["id"].clone();
    assert_entry(
        &entry_for(&app, &admin, &r).await,
        "access_rule.create",
        by_admin.clone(),
        ("access_rule", rule_id.clone()),
        "success",
    );
    let r = rid();
    let rule_path = format!("/access-rules/{}", rule_id.as_str().unwrap());
    let (status, _) = send(
        &app,
        Method::PATCH,
        &rule_path,
        Some(&admin),
        Some(json!({"can_create": true})),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "access_rule.update",
        by_admin.clone(),
        ("access_rule", rule_id.clone()),
        "success",
    );
    assert_eq!(
        entry["changes"],
        json!({"can_create": {"before": false, "after": true}})
    );

    // Users and grants.
    let email = format!("staff-{}@example.com", uuid::Uuid::new_v4().simple());
    let r = rid();
    let body = json!({"email": email, "password": PASSWORD});
    let (status, user) = send(&app, Method::POST, "/users", Some(&admin), Some(body), &r).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let user_id = user["data"]["id"].clone();
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "user.create",
        by_admin.clone(),
        ("user", user_id.clone()),
        "success",
    );
    assert!(!entry.to_string().contains(PASSWORD));

    let r = rid();
    let body = json!({"user_id": user_id, "role": "Editor"});
    let (status, grant) = send(
        &app,
        Method::POST,
        "/user-roles",
        Some(&admin),
        Some(body),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    let grant_id = grant["data"]["id"].clone();
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "user_role.grant",
        by_admin.clone(),
        ("user_role", grant_id.clone()),
        "success",
    );
    assert_eq!(entry["changes"]["user_id"]["after"], user_id);
    let r = rid();
    let path = format!("/user-roles/{}", grant_id.as_str().unwrap());
    let (status, _) = send(&app, Method::DELETE, &path, Some(&admin), None, &r).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_entry(
        &entry_for(&app, &admin, &r).await,
        "user_role.revoke",
        by_admin.clone(),
        ("user_role", grant_id),
        "success",
    );

    let user_path = format!("/users/{}", user_id.as_str().unwrap());
    let r = rid();
    let (status, _) = send(
        &app,
        Method::PATCH,
        &user_path,
        Some(&admin),
        Some(json!({"is_active": false})),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "user.update",
        by_admin.clone(),
        ("user", user_id.clone()),
        "success",
    );
    assert_eq!(
        entry["changes"],
        json!({"is_active": {"before": true, "after": false}})
    );
    let r = rid();
    let (status, _) = send(&app, Method::DELETE, &user_path, Some(&admin), None, &r).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_entry(
        &entry_for(&app, &admin, &r).await,
        "user.delete",
        by_admin.clone(),
        ("user", user_id),
        "success",
    );

    let r = rid();
    let (status, _) = send(&app, Method::DELETE, &rule_path, Some(&admin), None, &r).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_entry(
        &entry_for(&app, &admin, &r).await,
        "access_rule.delete",
        by_admin.clone(),
        ("access_rule", rule_id),
        "success",
    );
    let r = rid();
    let path = format!("/roles/{}", role_id.as_str().unwrap());
    let (status, _) = send(&app, Method::DELETE, &path, Some(&admin), None, &r).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "role.delete",
        by_admin,
        ("role", role_id),
        "success",
    );
    assert_eq!(
        entry["changes"]["name"],
        json!({"before": "Editor", "after": null})
    );

    // A failed change records nothing: a duplicate role name is a 409 without an entry.
    let r = rid();
    let (status, _) = send(
        &app,
        Method::POST,
        "/roles",
        Some(&admin),
        Some(json!({"name": "User"})),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(entries(&app, &admin, "")
        .await
        .iter()
        .all(|e| e["request_id"] != r));
}

async fn tenant_invitation_and_article_actions_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;

    // A self-service tenant: anonymous actor; its chain starts with its creation.
    let r = rid();
    let admin_email = format!("boss-{}@example.com", uuid::Uuid::new_v4().simple());
    let body = json!({"name": "Acme", "admin": {"email": admin_email, "password": PASSWORD}});
    let (status, created) = send(&app, Method::POST, "/tenants", None, Some(body), &r).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let tenant_id = created["data"]["tenant"]["id"].clone();
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "tenant.create",
        ("anonymous", Value::Null),
        ("tenant", tenant_id.clone()),
        "success",
    );
    assert_eq!(
        (entry["seq"].clone(), entry["tenant_id"].clone()),
        (json!(1), tenant_id.clone())
    );
    assert!(!entry.to_string().contains(PASSWORD));

    let boss = app.login(&admin_email, PASSWORD).await.access;
    let (_, me) = app.call(Method::GET, "/auth/me", &boss, None).await;
    let by_boss = ("user", me["data"]["id"].clone());
    let tenant_path = format!("/tenants/{}", tenant_id.as_str().unwrap());
    let r = rid();
    let (status, _) = send(
        &app,
        Method::PATCH,
        &tenant_path,
        Some(&boss),
        Some(json!({"name": "Acme Ltd"})),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entry = entry_for(&app, &boss, &r).await;
    assert_entry(
        &entry,
        "tenant.update",
        by_boss.clone(),
        ("tenant", tenant_id.clone()),
        "success",
    );
    assert_eq!(
        entry["changes"],
        json!({"name": {"before": "Acme", "after": "Acme Ltd"}})
    );

    // Invitations: create, revoke, accept (the token never recorded).
    let invite = |email: String| json!({"email": email, "role": "User"});
    let path = format!("{tenant_path}/invitations");
    let r = rid();
    let (status, first) = send(
        &app,
        Method::POST,
        &path,
        Some(&boss),
        Some(invite(format!(
            "a-{}@example.com",
            uuid::Uuid::new_v4().simple()
        ))),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let entry = entry_for(&app, &boss, &r).await;
    assert_entry(
        &entry,
        "invitation.create",
        by_boss.clone(),
        ("invitation", first["data"]["id"].clone()),
        "success",
    );
    assert!(!entry
        .to_string()
        .contains(first["data"]["token"].as_str().unwrap()));
    let r = rid();
    let revoke = format!("/invitations/{}", first["data"]["id"].as_str().unwrap());
    let (status, _) = send(&app, Method::DELETE, &revoke, Some(&boss), None, &r).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let entry = entry_for(&app, &boss, &r).await;
    assert_entry(
        &entry,
        "invitation.revoke",
        by_boss.clone(),
        ("invitation", first["data"]["id"].clone()),
        "success",
    );
    assert_eq!(
        entry["changes"],
        json!({"status": {"before": "pending", "after": "revoked"}})
    );

    let (_, second) = app
        .call(
            Method::POST,
            &path,
            &boss,
            Some(invite(format!(
                "b-{}@example.com",
                uuid::Uuid::new_v4().simple()
            ))),
        )
        .await;
    let r = rid();
    let body = json!({"token": second["data"]["token"], "password": PASSWORD, "repeat_password": PASSWORD});
    let (status, accepted) = send(
        &app,
        Method::POST,
        "/invitations/accept",
        None,
        Some(body),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{accepted}");
    let newcomer = accepted["data"]["user"]["id"].clone();
    let entry = entry_for(&app, &boss, &r).await;
    assert_entry(
        &entry,
        "invitation.accept",
        ("user", newcomer),
        ("invitation", second["data"]["id"].clone()),
        "success",
    );

    // Articles: create, update (only the changed field), delete.
    let r = rid();
    let (status, article) = send(
        &app,
        Method::POST,
        "/articles",
        Some(&boss),
        Some(json!({"title": "Draft", "content": "Body"})),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    let article_id = article["data"]["id"].clone();
    let entry = entry_for(&app, &boss, &r).await;
    assert_entry(
        &entry,
        "article.create",
        by_boss.clone(),
        ("article", article_id.clone()),
        "success",
    );
    assert_eq!(
        entry["changes"]["title"],
        json!({"before": null, "after": "Draft"})
    );
    let article_path = format!("/articles/{}", article_id.as_str().unwrap());
    let r = rid();
    let (status, _) = send(
        &app,
        Method::PATCH,
        &article_path,
        Some(&boss),
        Some(json!({"title": "Final"})),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let entry = entry_for(&app, &boss, &r).await;
    assert_entry(
        &entry,
        "article.update",
        by_boss.clone(),
        ("article", article_id.clone()),
        "success",
    );
    assert_eq!(
        entry["changes"],
        json!({"title": {"before": "Draft", "after": "Final"}})
    );
    let r = rid();
    let (status, _) = send(&app, Method::DELETE, &article_path, Some(&boss), None, &r).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_entry(
        &entry_for(&app, &boss, &r).await,
        "article.delete",
        by_boss,
        ("article", article_id),
        "success",
    );

    // The tenant admin sees only its tenant's entries; the superuser sees both tenants.
    let own = entries(&app, &boss, "").await;
    assert!(own.len() >= 8, "{own:#?}");
    assert!(own.iter().all(|e| e["tenant_id"] == tenant_id));
    let all = entries(&app, &admin, "").await;
    assert!(all.iter().any(|e| e["tenant_id"] != tenant_id));
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/audit-logs?tenant_id={}", tenant_id.as_str().unwrap()),
            &boss,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("tenant_id"));
    let filtered = entries(
        &app,
        &admin,
        &format!("&tenant_id={}", tenant_id.as_str().unwrap()),
    )
    .await;
    assert_eq!(filtered.len(), own.len());
}

async fn every_denial_is_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let guest = app.demo_login("guest").await;
    let (_, me) = app.call(Method::GET, "/auth/me", &guest, None).await;
    let guest_id = me["data"]["id"].clone();

    // Guests may read articles but not create or delete them.
    let r = rid();
    let (status, _) = send(
        &app,
        Method::POST,
        "/articles",
        Some(&guest),
        Some(json!({"title": "x"})),
        &r,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "article.create",
        ("user", guest_id.clone()),
        ("article", Value::Null),
        "denied",
    );
    assert_eq!(entry["metadata"]["element"], "article");
    assert_eq!(entry["metadata"]["action"], "create");

    let (_, list) = app.call(Method::GET, "/articles", &guest, None).await;
    let article = list["data"][0]["id"].clone();
    let r = rid();
    let path = format!("/articles/{}", article.as_str().unwrap());
    let (status, _) = send(&app, Method::DELETE, &path, Some(&guest), None, &r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "article.delete",
        ("user", guest_id.clone()),
        ("article", article),
        "denied",
    );

    // No rule at all on the element: the audit log itself.
    let r = rid();
    let (status, _) = send(&app, Method::GET, "/audit-logs", Some(&guest), None, &r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let entry = entry_for(&app, &admin, &r).await;
    assert_entry(
        &entry,
        "audit_log.read",
        ("user", guest_id),
        ("audit_log", Value::Null),
        "denied",
    );
    let denied = entries(&app, &admin, "&outcome=denied").await;
    assert_eq!(denied.len(), 3, "{denied:#?}");
}

async fn cursor_pages_filters_and_export(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let before = chrono::Utc::now();
    for i in 0..7 {
        let (status, _) = app
            .call(
                Method::POST,
                "/articles",
                &admin,
                Some(json!({"title": format!("n{i}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }

    // Pages of 3: 3 + 3 + 1, newest first, no entry twice, next_cursor null at the end.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut sizes = Vec::new();
    loop {
        let path = format!(
            "/audit-logs?action=article.create&per_page=3&since={}{cursor}",
            before.to_rfc3339().replace('+', "%2B")
        );
        let (status, body) = app.call(Method::GET, &path, &admin, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["meta"]["per_page"], 3);
        let page = body["data"].as_array().unwrap();
        sizes.push(page.len());
        seen.extend(page.iter().map(|e| e["seq"].as_i64().unwrap()));
        match body["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(sizes, vec![3, 3, 1]);
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(seen, sorted, "newest first, each once");

    // Filters narrow; bad values are 400 on the parameter.
    assert!(entries(&app, &admin, "&outcome=failure").await.is_empty());
    assert!(entries(&app, &admin, "&since=2999-01-01T00:00:00Z")
        .await
        .is_empty());
    for (query, field) in [
        ("outcome=maybe", "outcome"),
        ("since=yesterday", "since"),
        ("actor_id=7", "actor_id"),
        ("cursor=zz", "cursor"),
        ("per_page=201", "per_page"),
    ] {
        let (status, body) = app
            .call(Method::GET, &format!("/audit-logs?{query}"), &admin, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_error(&body, "validation_error", Some(field));
    }

    // The export: NDJSON, the same entries as the list.
    let res = app
        .api(
            Method::GET,
            "/audit-logs/export?action=article.create",
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let listed = entries(&app, &admin, "&action=article.create").await;
    assert_eq!(lines, listed);
}

async fn verify_and_tampering(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    for i in 0..4 {
        app.call(
            Method::POST,
            "/articles",
            &admin,
            Some(json!({"title": format!("v{i}")})),
        )
        .await;
    }
    let (status, body) = app
        .call(Method::GET, "/audit-logs/verify", &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["valid"], true, "{body}");
    let checked = body["data"]["checked"].as_u64().unwrap();
    assert!(checked >= 8, "{body}");
    assert_eq!(body["data"]["first_invalid_seq"], Value::Null);

    // The database refuses to change or remove entries.
    for statement in [
        "UPDATE audit_logs SET action = 'x'",
        "DELETE FROM audit_logs",
    ] {
        let err = app.raw_sql(statement).await.unwrap_err();
        assert!(err.contains("append-only"), "{statement}: {err}");
    }

    // Edited behind the trigger's back: verify names the first bad entry.
    let default_tenant = "00000000-0000-0000-0000-000000000001";
    let edit = format!("UPDATE audit_logs SET action = 'article.read' WHERE seq = 3 AND tenant_id = '{default_tenant}'");
    let tamper = match backend {
        Backend::Production => format!(
            "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only; {edit}; \
             ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only;"
        ),
        Backend::Embedded => format!("DROP TRIGGER audit_logs_no_update; {edit};"),
    };
    app.raw_sql(&tamper).await.unwrap();
    let (_, body) = app
        .call(Method::GET, "/audit-logs/verify", &admin, None)
        .await;
    assert_eq!(body["data"]["valid"], false, "{body}");
    assert_eq!(body["data"]["first_invalid_seq"], 3, "{body}");

    // Tenant admins verify their own chain only; without read-all it is a 403.
    let user = app.demo_login("user").await;
    let (status, _) = app
        .call(Method::GET, "/audit-logs/verify", &user, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn concurrent_writes_keep_one_chain(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = format!("boss-{}@example.com", uuid::Uuid::new_v4().simple());
    let body = json!({"name": "Busy", "admin": {"email": email, "password": PASSWORD}});
    let (status, created) = send(&app, Method::POST, "/tenants", None, Some(body), &rid()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let boss = app.login(&email, PASSWORD).await.access;

    let writes = (0..50).map(|i| {
        let (app, boss) = (&app, &boss);
        async move {
            app.call(
                Method::POST,
                "/articles",
                boss,
                Some(json!({"title": format!("c{i}")})),
            )
            .await
            .0
        }
    });
    let statuses = futures::future::join_all(writes).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );

    let mut seqs: Vec<i64> = entries(&app, &boss, "")
        .await
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    seqs.sort_unstable();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "gapless");
    assert!(seqs.len() >= 51);
    let (_, body) = app
        .call(Method::GET, "/audit-logs/verify", &boss, None)
        .await;
    assert_eq!(body["data"]["valid"], true, "{body}");
    assert_eq!(body["data"]["checked"].as_u64().unwrap(), seqs.len() as u64);
}

both!(
    auth_actions_are_audited,
    admin_actions_are_audited,
    tenant_invitation_and_article_actions_are_audited,
    every_denial_is_audited,
    cursor_pages_filters_and_export,
    verify_and_tampering,
    concurrent_writes_keep_one_chain,
);
