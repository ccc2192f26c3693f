//! The embedded default: state survives a restart of the server.

use castellan_tests::{read, Backend, Options, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn users_and_revocations_survive_a_restart() {
    let first = TestApp::spawn(Backend::Embedded).await;
    let (email, logged_out) = first.user().await;
    let kept = first.login(&email, PASSWORD).await;
    let res = first
        .api(Method::POST, "/auth/logout", Some(&logged_out.access))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        first.me_status(&logged_out.access).await,
        StatusCode::UNAUTHORIZED
    );
    first.stop().await;
    assert!(
        first
            .api(Method::GET, "/health", None)
            .send()
            .await
            .is_err(),
        "server stopped"
    );

    // Same database file and signing key, new process state.
    let second = TestApp::spawn_with(Options {
        backend: Backend::Embedded,
        database_url: Some(first.settings.database.url.clone()),
        extra_toml: format!("signing_key_pem = '''{}'''", first.signing_key_pem()),
        ..Options::default()
    })
    .await;
    assert_eq!(
        second.me_status(&logged_out.access).await,
        StatusCode::UNAUTHORIZED,
        "logout survived"
    );
    assert_eq!(
        second.refresh(&logged_out.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        second.me_status(&kept.access).await,
        StatusCode::OK,
        "the other session lives on"
    );
    let (status, body) = second.refresh(&kept.refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    second.login(&email, PASSWORD).await;
    let (status, body) = read(
        second
            .api(Method::GET, "/ready", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
