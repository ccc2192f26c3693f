//! The admin pages at work: an API key shown exactly once, the audit log's cursor pages,
//! and every page through axe-core (and, on demand, into a screenshot).

use crate::support::{demo_app, Browser};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn an_api_key_is_shown_exactly_once_and_works() {
    let app = demo_app().await;
    let browser = Browser::open(&app).await;
    browser.login("admin@example.com", "adminpass").await;
    browser.go("/console/api-keys").await;
    browser.fill("#key-name", "ci-reader").await;
    browser.fill("#scopes", "article:read").await;
    browser
        .click("form[action='/console/api-keys'] button[type=submit]")
        .await;
    let key = browser.text("#secret").await;
    assert!(key.starts_with("cst_"), "{key}");
    // Shown on the answer to the POST only: the list never shows it again.
    browser.go("/console/api-keys").await;
    let page = browser.source().await;
    assert!(page.contains("ci-reader"));
    assert!(!page.contains(&key), "the key is shown again");
    // And it works against the API, within its scope.
    let res = app
        .api(Method::GET, "/articles", None)
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_audit_log_pages_by_cursor() {
    let app = demo_app().await;
    // Enough entries for several pages of 5.
    for _ in 0..6 {
        app.demo_login("user").await;
    }
    let browser = Browser::open(&app).await;
    browser.login("admin@example.com", "adminpass").await;
    browser.go("/console/audit?per_page=5").await;
    assert!(browser.text("main").await.contains("intact"));
    let first = browser.text("tbody tr th").await;
    browser.click("a[rel=next]").await;
    let url = browser.client.current_url().await.unwrap();
    assert!(url.query().unwrap().contains("cursor="), "{url}");
    let second = browser.text("tbody tr th").await;
    let (first, second): (i64, i64) = (first.parse().unwrap(), second.parse().unwrap());
    assert!(second < first, "{second} after {first}");
    // Filters narrow the list; the export link carries them.
    browser.go("/console/audit?action=auth.login").await;
    let actions = browser
        .client
        .find_all(fantoccini::Locator::Css("tbody tr td:nth-child(4)"))
        .await
        .unwrap();
    assert!(!actions.is_empty());
    for cell in actions {
        assert_eq!(cell.text().await.unwrap(), "auth.login");
    }
    let export = browser
        .client
        .find(fantoccini::Locator::LinkText(
            "Export these entries as NDJSON",
        ))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(export, "/console/audit/export?action=auth.login");
}

/// Every page of the console, as the admin and as a plain user: no serious axe-core
/// violation, and a screenshot of each when `CASTELLAN_CONSOLE_SCREENSHOTS` is set.
#[tokio::test]
async fn every_page_is_accessible() {
    let app = demo_app().await;
    let browser = Browser::open(&app).await;
    browser.go("/console/login").await;
    browser.assert_accessible().await;
    browser.screenshot("login").await;
    browser.login("admin@example.com", "adminpass").await;
    let pages = [
        ("/console/profile", "profile"),
        ("/console/sessions", "sessions"),
        ("/console/api-keys", "api-keys"),
        ("/console/users", "users"),
        ("/console/roles", "roles"),
        ("/console/matrix", "matrix"),
        ("/console/grants", "grants"),
        ("/console/invitations", "invitations"),
        ("/console/audit", "audit"),
        ("/console/tenants", "tenants"),
        ("/console/resources", "resources"),
        ("/console/resources/articles", "resource-list"),
        ("/console/nowhere", "not-found"),
    ];
    for (path, name) in pages {
        browser.go(path).await;
        browser.assert_accessible().await;
        browser.screenshot(name).await;
    }
    // One object's page.
    browser.go("/console/resources/articles").await;
    browser.click("tbody a").await;
    assert!(browser.heading().await.starts_with("Article "));
    browser.assert_accessible().await;
    browser.screenshot("resource-item").await;
    browser.go("/console/profile").await;
    browser.click("form.logout button").await;
    browser.login("user@example.com", "userpass").await;
    browser.go("/console/users").await;
    assert_eq!(browser.heading().await, "Not allowed");
    browser.assert_accessible().await;
    browser.screenshot("forbidden").await;
}

/// The generic resource pages: an article created, edited and deleted through the form
/// the declaration drives, and seen by the API.
#[tokio::test]
async fn the_generic_resource_pages_create_edit_and_delete() {
    let app = demo_app().await;
    let admin = app.demo_login("admin").await;
    let browser = Browser::open(&app).await;
    browser.login("admin@example.com", "adminpass").await;
    browser.go("/console/resources").await;
    browser.click("a[href='/console/resources/articles']").await;
    browser.fill("#field-title", "Written in the console").await;
    browser.fill("#field-content", "Hello").await;
    browser.click("form.card button").await;
    assert_eq!(browser.text(".flash").await, "Article created.");
    let id = browser.path().await.rsplit('/').next().unwrap().to_string();
    let (status, body) = app
        .call(Method::GET, &format!("/articles/{id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["title"], "Written in the console");
    browser.fill("#field-title", "Edited in the console").await;
    browser.click("form.card button").await;
    assert_eq!(browser.text(".flash").await, "Article saved.");
    let (_, body) = app
        .call(Method::GET, &format!("/articles/{id}"), &admin, None)
        .await;
    assert_eq!(body["data"]["title"], "Edited in the console");
    browser.click("button.danger").await;
    assert_eq!(browser.text(".flash").await, "Article deleted.");
    let (status, _) = app
        .call(Method::GET, &format!("/articles/{id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The resource pages offer only what the caller's rules allow: the demo Guest, who reads
/// every article and may change none, sees an article's fields as text and no form; the
/// demo User, who may create articles and change their own, gets the forms on theirs.
#[tokio::test]
async fn the_resource_pages_offer_only_what_the_rules_allow() {
    let app = demo_app().await;
    let user = app.demo_login("user").await;
    let (status, created) = app
        .call(
            Method::POST,
            "/articles",
            &user,
            Some(json!({"title": "The user's own", "content": "Mine"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let article = format!(
        "/console/resources/articles/{}",
        created["data"]["id"].as_str().unwrap()
    );

    let browser = Browser::open(&app).await;
    browser.login("guest@example.com", "guestpass").await;
    browser.go("/console/resources/articles").await;
    assert!(browser.text("tbody").await.contains("The user's own"));
    assert!(!browser.source().await.contains("new-object"));
    browser.go(&article).await;
    assert!(browser.text("dl.facts").await.contains("The user's own"));
    let source = browser.source().await;
    assert!(!source.contains("field-title"), "{source}");
    assert!(!source.contains("Delete"), "{source}");
    browser.assert_accessible().await;

    let browser = Browser::open(&app).await;
    browser.login("user@example.com", "userpass").await;
    browser.go(&article).await;
    let source = browser.source().await;
    assert!(source.contains("field-title"), "{source}");
    assert!(source.contains("Delete"), "{source}");
    browser.go("/console/resources/articles").await;
    assert!(browser.source().await.contains("new-object"));
}

/// An edit form shows every field, so emptying one empties it: an optional date becomes
/// `null`, a text that may be empty becomes `""`; the fields left as they were keep their
/// values.
#[tokio::test]
async fn emptying_fields_in_the_console_clears_them() {
    let app = demo_app().await;
    let admin = app.demo_login("admin").await;
    let create = |path: &'static str, body: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            let (status, created) = app.call(Method::POST, path, admin, Some(body)).await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            created["data"]["id"].clone()
        }
    };
    let project = create("/projects", json!({"name": "Console"})).await;
    let workflow = create(
        "/workflows",
        json!({"project_id": project, "name": "Edits"}),
    )
    .await;
    let task = json!({"workflow_id": workflow, "title": "Due soon", "description": "Notes",
        "due_date": "2026-12-01"});
    let id = create("/tasks", task).await.as_str().unwrap().to_string();

    let browser = Browser::open(&app).await;
    browser.login("admin@example.com", "adminpass").await;
    browser.go(&format!("/console/resources/tasks/{id}")).await;
    browser.fill("#field-due_date", "").await;
    browser.fill("#field-description", "").await;
    browser.click("form.card button").await;
    assert_eq!(browser.text(".flash").await, "Task saved.");
    let (_, body) = app
        .call(Method::GET, &format!("/tasks/{id}"), &admin, None)
        .await;
    assert_eq!(body["data"]["due_date"], Value::Null, "{body}");
    assert_eq!(body["data"]["description"], "");
    assert_eq!(body["data"]["title"], "Due soon");
    assert_eq!(body["data"]["status"], "todo");
}

/// A role renamed and re-described on the roles page, as `PATCH /roles/{id}` would; a
/// system role's row offers its description only.
#[tokio::test]
async fn a_role_is_renamed_on_the_roles_page() {
    let app = demo_app().await;
    let admin = app.demo_login("admin").await;
    app.role(&admin, "Auditors").await;

    let browser = Browser::open(&app).await;
    browser.login("admin@example.com", "adminpass").await;
    browser.go("/console/roles?search=Auditors").await;
    browser
        .fill(
            "input[aria-label='New name of the role Auditors']",
            "Reviewers",
        )
        .await;
    browser
        .fill(
            "input[aria-label='Description of the role Auditors']",
            "Read the trail",
        )
        .await;
    browser
        .click("button[aria-label='Save the role Auditors']")
        .await;
    assert_eq!(browser.text(".flash").await, "Role Reviewers saved.");
    let (_, body) = app
        .call(Method::GET, "/roles?search=Reviewers", &admin, None)
        .await;
    assert_eq!(body["data"][0]["name"], "Reviewers", "{body}");
    assert_eq!(body["data"][0]["description"], "Read the trail");
    let (_, body) = app
        .call(Method::GET, "/roles?search=Auditors", &admin, None)
        .await;
    assert_eq!(body["data"], json!([]), "{body}");

    browser.go("/console/roles?search=Admin").await;
    let source = browser.source().await;
    assert!(source.contains("Description of the role Admin"), "{source}");
    assert!(!source.contains("New name of the role Admin"), "{source}");
}

/// A user deactivated on the users page cannot log in until reactivated there (audited
/// as the API's `user.update`); the row's Roles link opens their grants, with the grant
/// form already filled in with their id.
#[tokio::test]
async fn a_user_is_deactivated_and_reactivated_on_the_users_page() {
    let app = demo_app().await;
    let admin = app.demo_login("admin").await;
    app.role(&admin, "Auditors").await;
    let (_, me) = app
        .call(Method::GET, "/auth/me", &app.demo_login("user").await, None)
        .await;
    let user_id = me["data"]["id"].as_str().unwrap().to_string();

    let browser = Browser::open(&app).await;
    browser.login("admin@example.com", "adminpass").await;
    browser.go("/console/users?search=user@example.com").await;
    browser
        .click("button[aria-label='Deactivate user@example.com']")
        .await;
    assert_eq!(browser.text(".flash").await, "User deactivated.");
    let res = app.login_raw("user@example.com", "userpass").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    browser.go("/console/users?search=user@example.com").await;
    browser
        .click("button[aria-label='Reactivate user@example.com']")
        .await;
    assert_eq!(
        browser.text(".flash").await,
        "User user@example.com reactivated."
    );
    app.demo_login("user").await;
    let (_, entries) = app
        .call(Method::GET, "/audit-logs?action=user.update", &admin, None)
        .await;
    let entry = &entries["data"][0];
    assert_eq!(entry["target_id"], user_id.as_str(), "{entries}");
    assert_eq!(
        entry["changes"]["is_active"],
        json!({"before": false, "after": true}),
        "{entry}"
    );

    // Their page: the names saved as PATCH /users/{id} would.
    browser.go("/console/users?search=user@example.com").await;
    browser
        .click(&format!("a[href='/console/users/{user_id}']"))
        .await;
    assert_eq!(browser.heading().await, "User user@example.com");
    browser.fill("#first_name", "Ada").await;
    browser.fill("#last_name", "Lovelace").await;
    browser.click("form.card button").await;
    assert_eq!(browser.text(".flash").await, "User user@example.com saved.");
    let (_, body) = app
        .call(Method::GET, &format!("/users/{user_id}"), &admin, None)
        .await;
    assert_eq!(body["data"]["first_name"], "Ada", "{body}");
    assert_eq!(body["data"]["last_name"], "Lovelace");
    browser.assert_accessible().await;

    browser.go("/console/users?search=user@example.com").await;
    browser
        .click("a[aria-label='Roles of user@example.com']")
        .await;
    assert_eq!(browser.path().await, "/console/grants");
    assert_eq!(
        browser.text("caption").await,
        "Role grants of user@example.com"
    );
    let filled = browser
        .client
        .find(fantoccini::Locator::Css("#user_id"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(filled.as_deref(), Some(user_id.as_str()));
    browser
        .client
        .find(fantoccini::Locator::Css("#grant-role"))
        .await
        .unwrap()
        .select_by_label("Auditors")
        .await
        .unwrap();
    browser
        .click("form[method=post][action='/console/grants'] button[type=submit]")
        .await;
    assert_eq!(browser.text(".flash").await, "Role Auditors granted.");
    assert!(browser.text("tbody").await.contains("Auditors"));
    let (_, body) = app
        .call(Method::GET, &format!("/users/{user_id}"), &admin, None)
        .await;
    let roles = body["data"]["roles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(roles.contains(&json!("Auditors")), "{body}");

    // Someone who may only read users sees them, and no form to change them.
    app.role(&admin, "Directory").await;
    app.rule(&admin, "Directory", "user", json!({"can_read_all": true}))
        .await;
    let (_, reader) = app.member_account(&admin, "Directory").await;
    let browser = Browser::open(&app).await;
    browser.login(&reader, castellan_tests::PASSWORD).await;
    browser.go("/console/users").await;
    assert!(browser.text("tbody").await.contains("user@example.com"));
    let source = browser.source().await;
    for form in ["Deactivate", "Reactivate", "Create user", "Roles of"] {
        assert!(!source.contains(form), "{form}: {source}");
    }
    browser.go(&format!("/console/users/{user_id}")).await;
    assert!(browser.text("dl.facts").await.contains("Lovelace"));
    let source = browser.source().await;
    assert!(!source.contains("Save names"), "{source}");
}

/// Someone who may read roles, rules, grants and invitations but change none of them sees
/// them all and is offered no form: role descriptions as text, the matrix's boxes
/// disabled, no grant, revoke or invite form.
#[tokio::test]
async fn the_access_pages_offer_a_reader_no_form() {
    let app = demo_app().await;
    let admin = app.demo_login("admin").await;
    app.role(&admin, "Inspectors").await;
    for element in ["role", "access_rule", "user_role", "invitation"] {
        app.rule(&admin, "Inspectors", element, json!({"can_read_all": true}))
            .await;
    }
    let (_, me) = app.call(Method::GET, "/auth/me", &admin, None).await;
    let tenant = me["data"]["tenant_id"].as_str().unwrap().to_string();
    let invitation = json!({"email": "invited@example.com", "role": "User"});
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/tenants/{tenant}/invitations"),
            &admin,
            Some(invitation),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, reader) = app.member_account(&admin, "Inspectors").await;

    let browser = Browser::open(&app).await;
    browser.login(&reader, castellan_tests::PASSWORD).await;
    let pages = [
        ("/console/roles?search=Guest", "Reads every article"),
        ("/console/matrix", "Rules of the role"),
        ("/console/grants", "<td>Guest</td>"),
        ("/console/invitations", "invited@example.com"),
    ];
    for (path, shown) in pages {
        browser.go(path).await;
        let source = browser.source().await;
        assert!(source.contains(shown), "{path}: {source}");
        for form in [
            "Save the role",
            "Delete the role",
            "Create role",
            "Save the rule",
            "Revoke",
            "new-grant",
            "new-invitation",
        ] {
            assert!(!source.contains(form), "{path} offers {form}: {source}");
        }
        browser.assert_accessible().await;
    }
    browser.go("/console/matrix").await;
    let boxes = browser
        .client
        .find_all(fantoccini::Locator::Css(
            "table.matrix input[type=checkbox]",
        ))
        .await
        .unwrap();
    assert!(!boxes.is_empty());
    for checkbox in boxes {
        assert_eq!(
            checkbox.attr("disabled").await.unwrap().as_deref(),
            Some("true")
        );
    }
}
