//! Logging in, and the evaluator deciding in the console as in the API: a rule edited in
//! the matrix changes a second user's access; a plain User sees no admin page.

use crate::support::{demo_app, Browser};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn log_in_and_out() {
    let app = demo_app().await;
    let browser = Browser::open(&app).await;
    // Without a session every page leads to the login form.
    browser.go("/console/users").await;
    assert_eq!(browser.path().await, "/console/login");
    // A wrong password is refused on the form.
    browser.fill("#email", "admin@example.com").await;
    browser.fill("#password", "not-the-password").await;
    browser.click("form.card button[type=submit]").await;
    assert_eq!(
        browser.text("#login-error").await,
        "Wrong email or password."
    );
    browser.login("admin@example.com", "adminpass").await;
    assert_eq!(browser.heading().await, "Your profile");
    assert!(browser.source().await.contains("admin@example.com"));
    // The session cookies are out of the page's reach.
    for name in ["castellan_access", "castellan_refresh", "castellan_csrf"] {
        let cookie = browser.client.get_named_cookie(name).await.unwrap();
        assert_eq!(cookie.http_only(), Some(true), "{name}");
        assert_eq!(cookie.path(), Some("/console"), "{name}");
        let same_site = cookie.same_site().map(|s| s.to_string());
        assert_eq!(same_site.as_deref(), Some("Strict"), "{name}");
    }
    browser.click("form.logout button").await;
    assert_eq!(browser.path().await, "/console/login");
    browser.go("/console/profile").await;
    assert_eq!(browser.path().await, "/console/login");
}

#[tokio::test]
async fn a_rule_ticked_in_the_matrix_grants_a_second_user_access() {
    let app = demo_app().await;
    let admin = app.demo_login("admin").await;
    app.role(&admin, "Auditors").await;
    let (_, auditor) = app.member(&admin, "Auditors").await;
    let (status, _) = app.call(Method::GET, "/audit-logs", &auditor, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let browser = Browser::open(&app).await;
    browser.login("admin@example.com", "adminpass").await;
    browser.go("/console/roles?search=Auditors").await;
    browser.click("a[href^='/console/matrix?role=']").await;
    assert!(browser
        .text("table.matrix caption")
        .await
        .contains("Auditors"));
    browser.tick("#audit_log-can_read_all").await;
    browser
        .click("button[aria-label='Save the rule of Auditors on audit_log']")
        .await;
    let flash = browser.text(".flash").await;
    assert!(
        flash.contains("Auditors on audit_log now grants read every object"),
        "{flash}"
    );
    assert!(browser
        .client
        .find(fantoccini::Locator::Css("#audit_log-can_read_all"))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap()
        .is_some_and(|v| v == "true"));

    // The second user's next request is allowed: by the API and by the console.
    let (status, body) = app.call(Method::GET, "/audit-logs", &auditor, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The change is in the audit trail like the API's (same action, actor, target).
    let (_, entries) = app
        .call(
            Method::GET,
            "/audit-logs?action=access_rule.create",
            &admin,
            None,
        )
        .await;
    let entry = &entries["data"][0];
    assert_eq!(entry["target_type"], "access_rule", "{entries}");
    assert!(entry["request_id"].is_string(), "{entry}");

    // Untick it again (read-all implies read-own, ticked with it): refused again.
    browser.tick("#audit_log-can_read_all").await;
    browser.tick("#audit_log-can_read_own").await;
    browser
        .click("button[aria-label='Save the rule of Auditors on audit_log']")
        .await;
    assert!(browser.text(".flash").await.contains("grants nothing"));
    let (status, _) = app.call(Method::GET, "/audit-logs", &auditor, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_user_sees_no_admin_page() {
    let app = demo_app().await;
    let browser = Browser::open(&app).await;
    browser.login("user@example.com", "userpass").await;
    let nav = browser.text("nav.side").await;
    for admin_page in ["Users", "Roles", "Rules matrix", "Audit log", "Tenants"] {
        assert!(!nav.contains(admin_page), "{admin_page} in {nav}");
    }
    for path in [
        "/console/users",
        "/console/roles",
        "/console/matrix",
        "/console/grants",
        "/console/invitations",
        "/console/audit",
        "/console/tenants",
    ] {
        browser.go(path).await;
        assert_eq!(browser.heading().await, "Not allowed", "{path}");
    }
    // Refused like the API refuses: the denial is in the audit trail.
    let admin = app.demo_login("admin").await;
    let (_, entries) = app
        .call(Method::GET, "/audit-logs?outcome=denied", &admin, None)
        .await;
    assert!(!entries["data"].as_array().unwrap().is_empty(), "{entries}");
}
