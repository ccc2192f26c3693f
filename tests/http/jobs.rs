//! Background jobs: expired sessions removed and live ones kept; a leased job runs once per
//! period across two replicas.

use castellan_application::jobs::Job;
use castellan_tests::{Backend, Options, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// The same jobs as the server's, run once now (what `castellan jobs run` does).
async fn run_now(app: &TestApp, job: Job) -> u64 {
    let services = castellan_server::startup::services(&app.settings)
        .await
        .unwrap();
    services.jobs.run(job).await.unwrap().done
}

async fn expired_sessions_go_and_live_ones_stay(backend: Backend) {
    let app = TestApp::spawn_with(Options {
        backend,
        extra_toml: "refresh_ttl_secs = 3".into(),
        ..Options::default()
    })
    .await;
    let (early, _) = app.user().await;
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let (_, late) = app.user().await;
    assert!(
        run_now(&app, Job::Sessions).await >= 1,
        "the expired session"
    );
    assert_eq!(
        run_now(&app, Job::Sessions).await,
        0,
        "nothing else expired"
    );
    // The live session still refreshes.
    assert_eq!(app.refresh(&late.refresh).await.0, StatusCode::OK);
    // The early user can log in again: only the expired session went.
    app.login(&early, PASSWORD).await;
}

every_config!(expired_sessions_go_and_live_ones_stay);

/// `jobs_runs_total{job}` as a server reports it.
async fn runs(app: &TestApp, job: &str) -> u64 {
    let text = app
        .request(Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!("jobs_runs_total{{job=\"{job}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[tokio::test]
async fn replicas_run_a_leased_job_once_per_period_between_them() {
    let options = || Options {
        backend: Backend::Production,
        extra_toml: "[jobs]\nsessions_period_secs = 2".into(),
        ..Options::default()
    };
    let a = TestApp::spawn_with(options()).await;
    let b = a.replica(options()).await;
    tokio::time::sleep(Duration::from_millis(6500)).await;
    let (on_a, on_b) = (runs(&a, "sessions").await, runs(&b, "sessions").await);
    // About one run per 2 s period between them (4 in 6.5 s); each replica on its own would
    // make as many again.
    assert!((2..=5).contains(&(on_a + on_b)), "{on_a} + {on_b}");
}
