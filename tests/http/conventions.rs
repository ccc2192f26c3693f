//! The envelope, error codes, request IDs, trailing slashes, health, docs, keys.

use castellan_tests::{assert_error, read, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn health_ready_and_trailing_slash(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/health", "/health/"] {
        let (status, body) = read(app.api(Method::GET, path, None).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["data"]["status"], "ok");
        assert!(body["data"]["version"].is_string());
        assert_eq!(body["errors"], json!([]));
        assert!(body.get("meta").is_none());
    }
    let (status, body) = read(app.api(Method::GET, "/ready", None).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["checks"]["database"]["status"], "ok");
    assert_eq!(body["data"]["checks"]["token_store"]["status"], "ok");
}

async fn unknown_route_wrong_method_and_bad_bodies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = read(app.api(Method::GET, "/nope", None).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found", None);

    let (status, body) = read(
        app.api(Method::GET, "/auth/login", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&body, "method_not_allowed", None);
    // RFC 9110: a 405 lists what the route does answer.
    for (method, path, allow) in [
        (Method::GET, "/auth/login", "POST"),
        (Method::POST, "/auth/me/", "GET, PATCH, DELETE"),
        (Method::PUT, "/articles", "GET, POST"),
        (Method::POST, "/articles/x", "GET, PUT, PATCH, DELETE"),
        (Method::DELETE, "/health", "GET"),
    ] {
        let res = app.api(method.clone(), path, None).send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
    }

    let malformed = app
        .api(Method::POST, "/auth/login", None)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = read(malformed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "malformed_json", None);

    let not_object = app
        .api(Method::POST, "/auth/login", None)
        .json(&json!([1, 2]))
        .send()
        .await
        .unwrap();
    let (status, body) = read(not_object).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", None);

    let wrong_type = app
        .api(Method::POST, "/auth/login", None)
        .json(&json!({"email": 42, "password": "x"}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(wrong_type).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("email"));

    // Every body refuses what its route does not take, one error per unknown key.
    let extra = app
        .api(Method::POST, "/auth/login", None)
        .json(&json!({"email": "a@example.com", "password": "x", "remember": true, "x": 1}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(extra).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "validation_error", Some("remember"));
    assert_error(&body, "validation_error", Some("x"));

    let text = app
        .api(Method::POST, "/auth/login", None)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let (status, body) = read(text).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error(&body, "unsupported_media_type", None);

    let huge = format!("{{\"email\": \"{}\"}}", "a".repeat(70 * 1024));
    let big = app
        .api(Method::POST, "/auth/login", None)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let (status, body) = read(big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "payload_too_large", None);
}

async fn request_ids_are_echoed_or_generated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app
        .api(Method::GET, "/health", None)
        .header("x-request-id", "trace-abc.123_X")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-abc.123_X");
    let res = app
        .api(Method::GET, "/health", None)
        .header("x-request-id", "bad id!")
        .send()
        .await
        .unwrap();
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(generated, "bad id!");
    assert!(!generated.is_empty());
    let res = app.api(Method::GET, "/nope", None).send().await.unwrap();
    assert!(res.headers().contains_key("x-request-id"));
}

async fn jwks_schema_and_docs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, jwks) = read(
        app.request(Method::GET, "/.well-known/jwks.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["use"], "sig");
    assert!(key["kid"].is_string() && key["x"].is_string());

    let (status, schema) = read(app.api(Method::GET, "/schema", None).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(schema["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/sessions/{id}",
        "/api/v1/ready",
        "/.well-known/jwks.json",
    ] {
        assert!(
            schema["paths"].get(path).is_some(),
            "{path} missing from the schema"
        );
    }

    // Swagger UI answers with and without the trailing slash, directly (no redirect), and
    // its assets load from the page's base.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/api/v1/docs", "/api/v1/docs/"] {
        let res = no_redirects
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let page = res.text().await.unwrap();
        assert!(page.contains("swagger-ui"), "{path}: {page}");
    }
    let page = app.api(Method::GET, "/docs", None).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("<base href=\"/api/v1/docs/\">"), "{page}");
    for asset in ["swagger-ui.css", "swagger-initializer.js"] {
        let res = app
            .api(Method::GET, &format!("/docs/{asset}"), None)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
    }
}

every_config!(
    health_ready_and_trailing_slash,
    unknown_route_wrong_method_and_bad_bodies,
    request_ids_are_echoed_or_generated,
    jwks_schema_and_docs
);

#[tokio::test]
async fn the_console_is_served_unless_turned_off() {
    let on = TestApp::spawn(Backend::Embedded).await;
    let res = on
        .request(Method::GET, "/console/login")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let off = TestApp::spawn_with(castellan_tests::Options {
        backend: Backend::Embedded,
        extra_toml: "[console]\nenabled = false".into(),
        ..castellan_tests::Options::default()
    })
    .await;
    let (status, body) = read(
        off.request(Method::GET, "/console/login")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found", None);
}
