//! The console's defences: CSRF tokens and same-origin checks on every POST, the API's
//! login lockout and limits on the login form, revoked sessions, the response headers.

use crate::support::{demo_app, Browser, ConsoleClient};
use castellan_tests::{Backend, Options, TestApp};
use reqwest::{Method, StatusCode};

/// The names of the roles of the admin's tenant, through the API.
async fn role_names(app: &TestApp, admin: &str) -> Vec<String> {
    let (_, body) = app
        .call(Method::GET, "/roles?per_page=200", admin, None)
        .await;
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_post_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = demo_app().await;
    let admin = app.demo_login("admin").await;
    let mut console = ConsoleClient::new(&app);
    assert_eq!(
        console.login("admin@example.com", "adminpass").await,
        StatusCode::SEE_OTHER
    );
    let (status, _, _) = console.get("/console/roles").await;
    assert_eq!(status, StatusCode::OK);
    let token = console.csrf();

    let refused = [
        (vec![("name", "NoToken")], vec![]),
        (vec![("name", "WrongToken"), ("csrf", "forged")], vec![]),
        (
            vec![("name", "CrossSite"), ("csrf", token.as_str())],
            vec![("origin", "https://evil.example")],
        ),
        (
            vec![("name", "CrossSite2"), ("csrf", token.as_str())],
            vec![("sec-fetch-site", "cross-site")],
        ),
    ];
    for (fields, headers) in refused {
        let (status, headers_back, body) = console.post("/console/roles", &fields, &headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{fields:?}: {body}");
        assert!(body.contains("Not allowed"), "{body}");
        assert!(headers_back["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
    let names = role_names(&app, &admin).await;
    for name in ["NoToken", "WrongToken", "CrossSite", "CrossSite2"] {
        assert!(!names.contains(&name.to_string()), "{name} was created");
    }
    // With its token the same form works.
    let fields = [("name", "WithToken"), ("csrf", token.as_str())];
    let (status, headers, _) = console.post("/console/roles", &fields, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/console/roles");
    assert!(role_names(&app, &admin)
        .await
        .contains(&"WithToken".to_string()));
    // Logging out needs the token too.
    let (status, _, _) = console.post("/console/logout", &[], &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = console.get("/console/profile").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn every_console_response_carries_the_security_headers() {
    let app = demo_app().await;
    let mut console = ConsoleClient::new(&app);
    for path in ["/console/login", "/console/console.css", "/console/nowhere"] {
        let (_, headers, _) = console.get(path).await;
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("script-src"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
    }
    let (status, headers, body) = console.get("/console/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Not found"), "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    // Pages carry no script at all.
    console.login("admin@example.com", "adminpass").await;
    let (_, _, body) = console.get("/console/profile").await;
    assert!(!body.contains("<script"), "{body}");
    // A login over plain HTTP from an untrusted peer: no Secure flag (it would be lost).
    assert!(console.jar.contains_key("castellan_access"));
}

#[tokio::test]
async fn the_login_form_shares_the_api_lockout_and_limits() {
    let app = TestApp::spawn_with(Options {
        backend: Backend::Production,
        limits: vec![("lockout_failures_per_ip", 3)],
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    let mut console = ConsoleClient::new(&app);
    for _ in 0..3 {
        let status = console.login("admin@example.com", "wrong-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Locked: the right password is refused too, on the form and on the API alike.
    let mut console = ConsoleClient::new(&app);
    console.get("/console/login").await;
    let csrf = console.csrf();
    let fields = [
        ("email", "admin@example.com"),
        ("password", "adminpass"),
        ("csrf", csrf.as_str()),
    ];
    let (status, headers, body) = console.post("/console/login", &fields, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key("retry-after"));
    assert!(body.contains("Too many requests"), "{body}");
    let res = app.login_raw("admin@example.com", "adminpass").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_login_form_counts_against_the_api_login_limit() {
    let app = TestApp::spawn_with(Options {
        backend: Backend::Embedded,
        limits: vec![("login_per_ip_per_minute", 2)],
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    let mut console = ConsoleClient::new(&app);
    assert_eq!(
        console.login("admin@example.com", "adminpass").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        console.login("admin@example.com", "adminpass").await,
        StatusCode::SEE_OTHER
    );
    // The API's login shares the bucket: the third login from this address is refused.
    let res = app.login_raw("admin@example.com", "adminpass").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        console.login("admin@example.com", "adminpass").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_session_revoked_in_the_console_stops_at_once() {
    let app = demo_app().await;
    // A second console session, elsewhere.
    let mut elsewhere = ConsoleClient::new(&app);
    assert_eq!(
        elsewhere.login("admin@example.com", "adminpass").await,
        StatusCode::SEE_OTHER
    );
    let (status, _, _) = elsewhere.get("/console/profile").await;
    assert_eq!(status, StatusCode::OK);

    let browser = Browser::open(&app).await;
    browser.login("admin@example.com", "adminpass").await;
    browser.go("/console/sessions").await;
    let rows = browser
        .client
        .find_all(fantoccini::Locator::Css("tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    // Revoke the one that is not this browser's (the older one, listed second).
    let other = &rows[1];
    assert!(!other.text().await.unwrap().contains("(this one)"));
    let button = other
        .find(fantoccini::Locator::Css("button"))
        .await
        .unwrap();
    browser.navigating(button.click()).await;
    assert_eq!(browser.text(".flash").await, "Session revoked.");
    assert_eq!(
        browser
            .client
            .find_all(fantoccini::Locator::Css("tbody tr"))
            .await
            .unwrap()
            .len(),
        1
    );
    // Its cookies no longer open anything, the refresh cookie included.
    let (status, headers, _) = elsewhere.get("/console/profile").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/console/login");
    // This browser's session goes on.
    browser.go("/console/profile").await;
    assert_eq!(browser.heading().await, "Your profile");
}
