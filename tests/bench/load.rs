//! `castellan-load`: a bounded HTTP load generator for `just bench`. It only talks to the
//! loopback address it is given, runs each scenario for a fixed time, and stops by itself.
//!
//! Scenarios: `GET /api/v1/auth/me` (authenticated read), `GET /api/v1/articles` as the demo
//! user (authenticated list, when the demo seed is present), `POST /api/v1/auth/login`
//! (argon2 bound) with `GET /api/v1/health` probed alongside it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark tool: failing loudly is fine

use clap::Parser;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Server root, e.g. http://127.0.0.1:18080 (loopback only).
    #[arg(long)]
    base: String,
    /// Concurrent connections per scenario.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds per scenario.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

#[derive(Debug, Clone)]
struct Target {
    method: Method,
    url: String,
    token: Option<String>,
    body: Option<Value>,
    /// Pause between a connection's requests (a probe, not a load).
    pace: Option<Duration>,
}

#[derive(Debug, Default)]
struct Outcome {
    latencies_us: Vec<u64>,
    errors: usize,
}

async fn worker(client: Client, target: Target, deadline: Instant) -> Outcome {
    let mut outcome = Outcome::default();
    while Instant::now() < deadline {
        let mut request = client.request(target.method.clone(), &target.url);
        if let Some(token) = &target.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = &target.body {
            request = request.json(body);
        }
        let started = Instant::now();
        let ok = match request.send().await {
            Ok(res) => {
                let ok = res.status().is_success();
                let _ = res.bytes().await;
                ok
            }
            Err(_) => false,
        };
        outcome
            .latencies_us
            .push(started.elapsed().as_micros() as u64);
        if !ok {
            outcome.errors += 1;
        }
        if let Some(pace) = target.pace {
            tokio::time::sleep(pace).await;
        }
    }
    outcome
}

async fn run(
    client: &Client,
    target: &Target,
    connections: usize,
    duration: Duration,
) -> (Outcome, Duration) {
    let started = Instant::now();
    let deadline = started + duration;
    let handles: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(worker(client.clone(), target.clone(), deadline)))
        .collect();
    let mut total = Outcome::default();
    for handle in handles {
        let outcome = handle.await.unwrap();
        total.latencies_us.extend(outcome.latencies_us);
        total.errors += outcome.errors;
    }
    (total, started.elapsed())
}

fn report(name: &str, mut outcome: Outcome, elapsed: Duration, connections: usize) {
    outcome.latencies_us.sort_unstable();
    let n = outcome.latencies_us.len();
    let pct = |p: f64| {
        if n == 0 {
            0.0
        } else {
            outcome.latencies_us[((n as f64 * p).ceil() as usize).clamp(1, n) - 1] as f64 / 1000.0
        }
    };
    println!(
        "{name:<28} conns={connections:<3} requests={n:<7} errors={:<5} rps={:>9.1}  p50={:>7.2}ms  p99={:>7.2}ms",
        outcome.errors,
        n as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
    );
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    assert!(
        args.base.starts_with("http://127.")
            || args.base.starts_with("http://localhost")
            || args.base.starts_with("http://[::1]"),
        "castellan-load only targets loopback addresses"
    );
    let client = Client::builder()
        .pool_max_idle_per_host(args.connections * 2)
        .build()
        .unwrap();
    let api = format!("{}/api/v1", args.base.trim_end_matches('/'));
    let email = format!("load-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "violet-staircase-42";
    let res = client
        .post(format!("{api}/auth/register"))
        .json(&json!({"email": email, "password": password, "repeat_password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "register failed");
    let login_body = json!({"email": email, "password": password});
    let res: Value = client
        .post(format!("{api}/auth/login"))
        .json(&login_body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = res["data"]["access"].as_str().unwrap().to_string();
    let duration = Duration::from_secs(args.seconds);

    let me = Target {
        method: Method::GET,
        url: format!("{api}/auth/me"),
        token: Some(access),
        body: None,
        pace: None,
    };
    let (outcome, elapsed) = run(&client, &me, args.connections, duration).await;
    report("GET /auth/me", outcome, elapsed, args.connections);

    // The authenticated list of the SPEC's targets: the demo user's own articles.
    let demo = json!({"email": "user@example.com", "password": "userpass"});
    let res = client
        .post(format!("{api}/auth/login"))
        .json(&demo)
        .send()
        .await
        .unwrap();
    if res.status() == StatusCode::OK {
        let body: Value = res.json().await.unwrap();
        let articles = Target {
            method: Method::GET,
            url: format!("{api}/articles"),
            token: body["data"]["access"].as_str().map(str::to_string),
            body: None,
            pace: None,
        };
        let (outcome, elapsed) = run(&client, &articles, args.connections, duration).await;
        report("GET /articles", outcome, elapsed, args.connections);
    } else {
        println!("GET /articles               skipped: no demo seed");
    }

    let login = Target {
        method: Method::POST,
        url: format!("{api}/auth/login"),
        token: None,
        body: Some(login_body),
        pace: None,
    };
    // /health is probed (every 10 ms per connection) while logins saturate the hashers.
    let health = Target {
        method: Method::GET,
        url: format!("{api}/health"),
        token: None,
        body: None,
        pace: Some(Duration::from_millis(10)),
    };
    let ((login_outcome, login_elapsed), (health_outcome, health_elapsed)) = tokio::join!(
        run(&client, &login, args.connections, duration),
        run(&client, &health, 2, duration)
    );
    report(
        "POST /auth/login",
        login_outcome,
        login_elapsed,
        args.connections,
    );
    report(
        "GET /health (during login)",
        health_outcome,
        health_elapsed,
        2,
    );
}
