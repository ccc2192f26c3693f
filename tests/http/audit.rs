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

/// Sends `method path` as `token` (with `body`) under a fresh `X-Request-ID`, asserts the
/// response `status`, and returns the response body and the one audit entry the request
/// produced, as `reader` lists it.
async fn audited(
    app: &TestApp,
    reader: &str,
    (method, path): (Method, &str),
    token: Option<&str>,
    body: Option<Value>,
    status: StatusCode,
) -> (Value, Value) {
    let rid = rid();
    let (got, response) = send(app, method, path, token, body, &rid).await;
    assert_eq!(got, status, "{response}");
    (response, entry_for(app, reader, &rid).await)
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
    let anonymous = ("anonymous", Value::Null);

    // Register: actor and target are the new user.
    let body = json!({"email": email, "password": PASSWORD, "repeat_password": PASSWORD});
    let register = (Method::POST, "/auth/register");
    let (created, entry) = audited(
        &app,
        &admin,
        register,
        None,
        Some(body),
        StatusCode::CREATED,
    )
    .await;
    let id = created["data"]["id"].clone();
    let me = ("user", id.clone());
    assert_entry(&entry, "auth.register", me.clone(), me.clone(), "success");
    let email_change = json!({"before": null, "after": email});
    assert_eq!(entry["changes"]["email"], email_change);
    assert_eq!(entry["user_agent"], "audit-test/1.0");
    assert_eq!(entry["ip"], "127.0.0.1");

    // A failed login: anonymous, the user as target, the email in metadata, no password.
    let login = (Method::POST, "/auth/login");
    let body = json!({"email": email, "password": "wrong-password-1"});
    let unauthorized = StatusCode::UNAUTHORIZED;
    let (_, entry) = audited(&app, &admin, login.clone(), None, Some(body), unauthorized).await;
    assert_entry(
        &entry,
        "auth.login",
        anonymous.clone(),
        me.clone(),
        "failure",
    );
    assert_eq!(entry["metadata"]["email"], email);
    assert!(!entry.to_string().contains("wrong-password-1"), "{entry}");

    // An unknown email: its own chain without a tenant.
    let body = json!({"email": "nobody@example.com", "password": "whatever-it-is"});
    let (_, entry) = audited(&app, &admin, login.clone(), None, Some(body), unauthorized).await;
    assert_eq!(entry["tenant_id"], Value::Null);
    assert_eq!(entry["target_type"], Value::Null);
    assert_eq!(entry["metadata"]["email"], "nobody@example.com");

    // Login, refresh, reuse.
    let body = json!({"email": email, "password": PASSWORD});
    let (login_body, entry) = audited(&app, &admin, login, None, Some(body), StatusCode::OK).await;
    let tokens = Tokens::from_data(&login_body["data"]);
    assert_entry(&entry, "auth.login", me.clone(), me.clone(), "success");
    assert!(entry["metadata"]["session_id"].is_string());

    let refresh = (Method::POST, "/auth/refresh");
    let body = json!({"refresh": tokens.refresh});
    let (_, session) = audited(
        &app,
        &admin,
        refresh.clone(),
        None,
        Some(body.clone()),
        StatusCode::OK,
    )
    .await;
    let session_id = ("session", session["target_id"].clone());
    assert_entry(
        &session,
        "auth.refresh",
        me.clone(),
        session_id.clone(),
        "success",
    );
    let (_, entry) = audited(&app, &admin, refresh, None, Some(body), unauthorized).await;
    assert_entry(
        &entry,
        "auth.refresh_reuse",
        anonymous,
        session_id,
        "failure",
    );
    assert!(!entry.to_string().contains(&tokens.refresh));

    // Profile change: only the changed field, never updated_at.
    let tokens = app.login(&email, PASSWORD).await;
    let access = Some(tokens.access.as_str());
    let body = json!({"first_name": "Ada"});
    let patch_me = (Method::PATCH, "/auth/me");
    let (_, entry) = audited(&app, &admin, patch_me, access, Some(body), StatusCode::OK).await;
    assert_entry(&entry, "user.update", me.clone(), me.clone(), "success");
    let first_name = json!({"first_name": {"before": "", "after": "Ada"}});
    assert_eq!(entry["changes"], first_name);

    // Session revoke, then password change: no password or hash in the entry.
    app.login(&email, PASSWORD).await;
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
    let path = format!("/auth/sessions/{}", other_sid.as_str().unwrap());
    let revoke = (Method::DELETE, path.as_str());
    let (_, entry) = audited(&app, &admin, revoke, access, None, StatusCode::NO_CONTENT).await;
    let other = ("session", other_sid);
    assert_entry(&entry, "session.revoke", me.clone(), other, "success");

    let new_password = "indigo-lighthouse-77";
    let body = json!({"current_password": PASSWORD, "new_password": new_password, "repeat_password": new_password});
    let change = (Method::POST, "/auth/password/change");
    let (changed, entry) = audited(&app, &admin, change, access, Some(body), StatusCode::OK).await;
    assert_entry(
        &entry,
        "auth.password_change",
        me.clone(),
        me.clone(),
        "success",
    );
    let raw = entry.to_string();
    for secret in [PASSWORD, new_password, "$argon2"] {
        assert!(!raw.contains(secret), "{secret} in {raw}");
    }
    let masked = json!({"before": "***", "after": "***"});
    assert_eq!(entry["changes"]["password_hash"], masked);

    // Logout and logout-all.
    let tokens = Tokens::from_data(&changed["data"]);
    let logout = (Method::POST, "/auth/logout");
    let no_content = StatusCode::NO_CONTENT;
    let access = Some(tokens.access.as_str());
    let (_, entry) = audited(&app, &admin, logout, access, None, no_content).await;
    let current = ("session", Value::Null);
    assert_entry(&entry, "auth.logout", me.clone(), current, "success");
    let tokens = app.login(&email, new_password).await;
    let logout_all = (Method::POST, "/auth/logout-all");
    let access = Some(tokens.access.as_str());
    let (_, entry) = audited(&app, &admin, logout_all, access, None, no_content).await;
    assert_entry(&entry, "auth.logout_all", me.clone(), me, "success");
}

async fn admin_actions_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let (_, me) = app.call(Method::GET, "/auth/me", &admin, None).await;
    let by_admin = ("user", me["data"]["id"].clone());
    let as_admin = Some(admin.as_str());
    let (ok, created, no_content) = (StatusCode::OK, StatusCode::CREATED, StatusCode::NO_CONTENT);

    // Roles and rules.
    let body = Some(json!({"name": "Editor"}));
    let (role, entry) = audited(
        &app,
        &admin,
        (Method::POST, "/roles"),
        as_admin,
        body,
        created,
    )
    .await;
    let role_id = role["data"]["id"].clone();
    let role = ("role", role_id.clone());
    assert_entry(
        &entry,
        "role.create",
        by_admin.clone(),
        role.clone(),
        "success",
    );
    let role_path = format!("/roles/{}", role_id.as_str().unwrap());
    let body = Some(json!({"description": "Edits"}));
    let patch = (Method::PATCH, role_path.as_str());
    let (_, entry) = audited(&app, &admin, patch, as_admin, body, ok).await;
    assert_entry(
        &entry,
        "role.update",
        by_admin.clone(),
        role.clone(),
        "success",
    );
    let description = json!({"description": {"before": "", "after": "Edits"}});
    assert_eq!(entry["changes"], description);

    let body = Some(json!({"role_id": role_id, "element": "article", "can_read_all": true}));
    let post = (Method::POST, "/access-rules");
    let (rule, entry) = audited(&app, &admin, post, as_admin, body, created).await;
    let rule_id = rule["data"]["id"].clone();
    let rule = ("access_rule", rule_id.clone());
    assert_entry(
        &entry,
        "access_rule.create",
        by_admin.clone(),
        rule.clone(),
        "success",
    );
    let rule_path = format!("/access-rules/{}", rule_id.as_str().unwrap());
    let body = Some(json!({"can_create": true}));
    let patch = (Method::PATCH, rule_path.as_str());
    let (_, entry) = audited(&app, &admin, patch, as_admin, body, ok).await;
    assert_entry(
        &entry,
        "access_rule.update",
        by_admin.clone(),
        rule.clone(),
        "success",
    );
    let can_create = json!({"can_create": {"before": false, "after": true}});
    assert_eq!(entry["changes"], can_create);

    // Users and grants.
    let email = format!("staff-{}@example.com", uuid::Uuid::new_v4().simple());
    let body = Some(json!({"email": email, "password": PASSWORD}));
    let (user, entry) = audited(
        &app,
        &admin,
        (Method::POST, "/users"),
        as_admin,
        body,
        created,
    )
    .await;
    let user_id = user["data"]["id"].clone();
    let user = ("user", user_id.clone());
    assert_entry(
        &entry,
        "user.create",
        by_admin.clone(),
        user.clone(),
        "success",
    );
    assert!(!entry.to_string().contains(PASSWORD));

    let body = Some(json!({"user_id": user_id, "role": "Editor"}));
    let post = (Method::POST, "/user-roles");
    let (grant, entry) = audited(&app, &admin, post, as_admin, body, created).await;
    let grant_id = grant["data"]["id"].clone();
    let grant = ("user_role", grant_id.clone());
    assert_entry(
        &entry,
        "user_role.grant",
        by_admin.clone(),
        grant.clone(),
        "success",
    );
    assert_eq!(entry["changes"]["user_id"]["after"], user_id);
    let grant_path = format!("/user-roles/{}", grant_id.as_str().unwrap());
    let delete = (Method::DELETE, grant_path.as_str());
    let (_, entry) = audited(&app, &admin, delete, as_admin, None, no_content).await;
    assert_entry(
        &entry,
        "user_role.revoke",
        by_admin.clone(),
        grant,
        "success",
    );

    let user_path = format!("/users/{}", user_id.as_str().unwrap());
    let body = Some(json!({"is_active": false}));
    let patch = (Method::PATCH, user_path.as_str());
    let (_, entry) = audited(&app, &admin, patch, as_admin, body, ok).await;
    assert_entry(
        &entry,
        "user.update",
        by_admin.clone(),
        user.clone(),
        "success",
    );
    let deactivated = json!({"is_active": {"before": true, "after": false}});
    assert_eq!(entry["changes"], deactivated);
    let delete = (Method::DELETE, user_path.as_str());
    let (_, entry) = audited(&app, &admin, delete, as_admin, None, no_content).await;
    assert_entry(&entry, "user.delete", by_admin.clone(), user, "success");

    let delete = (Method::DELETE, rule_path.as_str());
    let (_, entry) = audited(&app, &admin, delete, as_admin, None, no_content).await;
    assert_entry(
        &entry,
        "access_rule.delete",
        by_admin.clone(),
        rule,
        "success",
    );
    let delete = (Method::DELETE, role_path.as_str());
    let (_, entry) = audited(&app, &admin, delete, as_admin, None, no_content).await;
    assert_entry(&entry, "role.delete", by_admin, role, "success");
    let name = json!({"before": "Editor", "after": null});
    assert_eq!(entry["changes"]["name"], name);

    // A failed change records nothing: a duplicate role name is a 409 without an entry.
    let r = rid();
    let body = Some(json!({"name": "User"}));
    let (status, _) = send(&app, Method::POST, "/roles", as_admin, body, &r).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let recorded = entries(&app, &admin, "").await;
    assert!(recorded.iter().all(|e| e["request_id"] != r));
}

async fn tenant_invitation_and_article_actions_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let (ok, created, no_content) = (StatusCode::OK, StatusCode::CREATED, StatusCode::NO_CONTENT);

    // A self-service tenant: anonymous actor; its chain starts with its creation.
    let admin_email = format!("boss-{}@example.com", uuid::Uuid::new_v4().simple());
    let body = json!({"name": "Acme", "admin": {"email": admin_email, "password": PASSWORD}});
    let post = (Method::POST, "/tenants");
    let (tenant, entry) = audited(&app, &admin, post, None, Some(body), created).await;
    let tenant_id = tenant["data"]["tenant"]["id"].clone();
    let tenant = ("tenant", tenant_id.clone());
    let anonymous = ("anonymous", Value::Null);
    assert_entry(
        &entry,
        "tenant.create",
        anonymous,
        tenant.clone(),
        "success",
    );
    assert_eq!(
        (&entry["seq"], &entry["tenant_id"]),
        (&json!(1), &tenant_id)
    );
    assert!(!entry.to_string().contains(PASSWORD));

    let boss = app.login(&admin_email, PASSWORD).await.access;
    let as_boss = Some(boss.as_str());
    let (_, me) = app.call(Method::GET, "/auth/me", &boss, None).await;
    let by_boss = ("user", me["data"]["id"].clone());
    let tenant_path = format!("/tenants/{}", tenant_id.as_str().unwrap());
    let body = Some(json!({"name": "Acme Ltd"}));
    let patch = (Method::PATCH, tenant_path.as_str());
    let (_, entry) = audited(&app, &boss, patch, as_boss, body, ok).await;
    assert_entry(&entry, "tenant.update", by_boss.clone(), tenant, "success");
    let renamed = json!({"name": {"before": "Acme", "after": "Acme Ltd"}});
    assert_eq!(entry["changes"], renamed);

    // Invitations: create, revoke, accept (the token never recorded).
    let invite = || {
        let email = format!("invited-{}@example.com", uuid::Uuid::new_v4().simple());
        Some(json!({"email": email, "role": "User"}))
    };
    let invitations = format!("{tenant_path}/invitations");
    let post = (Method::POST, invitations.as_str());
    let (first, entry) = audited(&app, &boss, post.clone(), as_boss, invite(), created).await;
    let first_id = first["data"]["id"].clone();
    let invitation = ("invitation", first_id.clone());
    assert_entry(
        &entry,
        "invitation.create",
        by_boss.clone(),
        invitation.clone(),
        "success",
    );
    let token = first["data"]["token"].as_str().unwrap();
    assert!(!entry.to_string().contains(token));
    let revoke_path = format!("/invitations/{}", first_id.as_str().unwrap());
    let delete = (Method::DELETE, revoke_path.as_str());
    let (_, entry) = audited(&app, &boss, delete, as_boss, None, no_content).await;
    assert_entry(
        &entry,
        "invitation.revoke",
        by_boss.clone(),
        invitation,
        "success",
    );
    let revoked = json!({"status": {"before": "pending", "after": "revoked"}});
    assert_eq!(entry["changes"], revoked);

    let (_, second) = send(&app, Method::POST, &invitations, as_boss, invite(), &rid()).await;
    let body = json!({"token": second["data"]["token"], "password": PASSWORD, "repeat_password": PASSWORD});
    let accept = (Method::POST, "/invitations/accept");
    let (accepted, entry) = audited(&app, &boss, accept, None, Some(body), created).await;
    let newcomer = ("user", accepted["data"]["user"]["id"].clone());
    let invitation = ("invitation", second["data"]["id"].clone());
    assert_entry(&entry, "invitation.accept", newcomer, invitation, "success");

    // Articles: create, update (only the changed field), delete.
    let body = Some(json!({"title": "Draft", "content": "Body"}));
    let post = (Method::POST, "/articles");
    let (article, entry) = audited(&app, &boss, post, as_boss, body, created).await;
    let article_id = article["data"]["id"].clone();
    let article = ("article", article_id.clone());
    assert_entry(
        &entry,
        "article.create",
        by_boss.clone(),
        article.clone(),
        "success",
    );
    let title = json!({"before": null, "after": "Draft"});
    assert_eq!(entry["changes"]["title"], title);
    let article_path = format!("/articles/{}", article_id.as_str().unwrap());
    let body = Some(json!({"title": "Final"}));
    let patch = (Method::PATCH, article_path.as_str());
    let (_, entry) = audited(&app, &boss, patch, as_boss, body, ok).await;
    assert_entry(
        &entry,
        "article.update",
        by_boss.clone(),
        article.clone(),
        "success",
    );
    let retitled = json!({"title": {"before": "Draft", "after": "Final"}});
    assert_eq!(entry["changes"], retitled);
    let delete = (Method::DELETE, article_path.as_str());
    let (_, entry) = audited(&app, &boss, delete, as_boss, None, no_content).await;
    assert_entry(&entry, "article.delete", by_boss, article, "success");

    // The tenant admin sees only its tenant's entries; the superuser sees both tenants.
    let own = entries(&app, &boss, "").await;
    assert!(own.len() >= 8, "{own:#?}");
    assert!(own.iter().all(|e| e["tenant_id"] == tenant_id));
    let all = entries(&app, &admin, "").await;
    assert!(all.iter().any(|e| e["tenant_id"] != tenant_id));
    let only_acme = format!("tenant_id={}", tenant_id.as_str().unwrap());
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/audit-logs?{only_acme}"),
            &boss,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("tenant_id"));
    let filtered = entries(&app, &admin, &format!("&{only_acme}")).await;
    assert_eq!(filtered.len(), own.len());
}

async fn every_denial_is_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let guest = app.demo_login("guest").await;
    let as_guest = Some(guest.as_str());
    let (_, me) = app.call(Method::GET, "/auth/me", &guest, None).await;
    let by_guest = ("user", me["data"]["id"].clone());
    let forbidden = StatusCode::FORBIDDEN;

    // Guests may read articles but not create or delete them.
    let body = Some(json!({"title": "x"}));
    let post = (Method::POST, "/articles");
    let (_, entry) = audited(&app, &admin, post, as_guest, body, forbidden).await;
    let any_article = ("article", Value::Null);
    assert_entry(
        &entry,
        "article.create",
        by_guest.clone(),
        any_article,
        "denied",
    );
    assert_eq!(entry["metadata"]["element"], "article");
    assert_eq!(entry["metadata"]["action"], "create");

    let (_, list) = app.call(Method::GET, "/articles", &guest, None).await;
    let article_id = list["data"][0]["id"].clone();
    let path = format!("/articles/{}", article_id.as_str().unwrap());
    let delete = (Method::DELETE, path.as_str());
    let (_, entry) = audited(&app, &admin, delete, as_guest, None, forbidden).await;
    let article = ("article", article_id);
    assert_entry(
        &entry,
        "article.delete",
        by_guest.clone(),
        article,
        "denied",
    );

    // No rule at all on the element: the audit log itself.
    let get = (Method::GET, "/audit-logs");
    let (_, entry) = audited(&app, &admin, get, as_guest, None, forbidden).await;
    let log = ("audit_log", Value::Null);
    assert_entry(&entry, "audit_log.read", by_guest, log, "denied");
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
    let (_, me) = app.call(Method::GET, "/auth/me", &admin, None).await;
    let admin_id = me["data"]["id"].as_str().unwrap().to_string();
    let mine = entries(
        &app,
        &admin,
        &format!("&action=article.create&actor_id={admin_id}"),
    )
    .await;
    assert_eq!(mine.len(), 7, "the seed's articles are the system's");
    let target = mine[0]["target_id"].as_str().unwrap();
    let one = entries(
        &app,
        &admin,
        &format!("&target_type=article&target_id={target}"),
    )
    .await;
    assert_eq!(one.len(), 1, "{one:#?}");
    let until = before.to_rfc3339().replace('+', "%2B");
    let earlier = entries(
        &app,
        &admin,
        &format!("&action=article.create&until={until}"),
    )
    .await;
    assert!(
        earlier.iter().all(|e| e["actor_type"] == "system"),
        "{earlier:#?}"
    );
    assert_eq!(earlier.len(), 4, "the seed's four articles");
    assert!(entries(&app, &admin, "&outcome=failure").await.is_empty());
    // A cursor before everything is an empty page, not an error.
    assert!(entries(&app, &admin, "&cursor=0").await.is_empty());
    assert!(entries(&app, &admin, "&since=2999-01-01T00:00:00Z")
        .await
        .is_empty());
    for (query, field) in [
        ("outcome=maybe", "outcome"),
        ("since=yesterday", "since"),
        ("actor_id=7", "actor_id"),
        ("cursor=zz", "cursor"),
        ("cursor=", "cursor"),
        ("cursor=1234567890abcdef", "cursor"),
        ("outcome=", "outcome"),
        ("since=", "since"),
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
    let tamper = castellan_tests::behind_the_triggers(backend, &edit);
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

every_config!(
    auth_actions_are_audited,
    admin_actions_are_audited,
    tenant_invitation_and_article_actions_are_audited,
    every_denial_is_audited,
    cursor_pages_filters_and_export,
    verify_and_tampering,
    concurrent_writes_keep_one_chain,
);
