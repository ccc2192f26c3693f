//! Forged, tampered, expired and misdirected access tokens are all 401.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan_tests::{assert_error, read, Backend, TestApp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

fn sign(pem: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    let res = app
        .api(Method::GET, "/auth/me", Some(token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer"),
        "{what}"
    );
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert_error(&body, "unauthenticated", None);
}

async fn bad_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, tokens) = app.user().await;
    let good = tokens.access.clone();
    let pem = app.signing_key_pem();
    let kid = kid_of(&good);
    let claims = claims_of(&good);

    // The server's own key re-signs exactly what it issued: accepted (control).
    assert_eq!(
        app.me_status(&sign(&pem, &kid, &claims)).await,
        StatusCode::OK
    );

    // Tampered payload (signature no longer matches).
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    let mut tampered = claims.clone();
    tampered["ver"] = json!(claims["ver"].as_i64().unwrap() + 1);
    parts[1] = URL_SAFE_NO_PAD.encode(tampered.to_string());
    assert_refused(&app, &parts.join("."), "tampered").await;

    // alg: none.
    let header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    let none = format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()));
    assert_refused(&app, &none, "alg none").await;

    // Signed by another key (same kid claimed).
    let other = TestApp::spawn(backend).await;
    assert_refused(
        &app,
        &sign(&other.signing_key_pem(), &kid, &claims),
        "other key",
    )
    .await;

    // Expired, wrong audience, wrong issuer, not yet valid, wrong type: each signed by our key.
    let now = chrono::Utc::now().timestamp();
    let mut expired = claims.clone();
    expired["iat"] = json!(now - 3600);
    expired["nbf"] = json!(now - 3600);
    expired["exp"] = json!(now - 1800);
    assert_refused(&app, &sign(&pem, &kid, &expired), "expired").await;
    let mut aud = claims.clone();
    aud["aud"] = json!("someone-else");
    assert_refused(&app, &sign(&pem, &kid, &aud), "wrong aud").await;
    let mut iss = claims.clone();
    iss["iss"] = json!("evil");
    assert_refused(&app, &sign(&pem, &kid, &iss), "wrong iss").await;
    let mut future = claims.clone();
    future["nbf"] = json!(now + 3600);
    assert_refused(&app, &sign(&pem, &kid, &future), "nbf in the future").await;
    let mut refresh_type = claims.clone();
    refresh_type["type"] = json!("refresh");
    assert_refused(&app, &sign(&pem, &kid, &refresh_type), "wrong type").await;
    assert_refused(&app, &sign(&pem, "another-kid", &claims), "unknown kid").await;

    // Garbage and missing tokens.
    assert_refused(&app, "not.a.jwt", "garbage").await;
    let res = app.api(Method::GET, "/auth/me", None).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&good).await, StatusCode::OK);
}

every_config!(bad_tokens_are_refused);
