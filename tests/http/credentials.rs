//! The credential vault: secrets stored encrypted and bound to their row, never returned
//! but by `reveal` (update rights, audited), and `castellan keys rotate-kek` re-wrapping
//! every data key while clients write and reveal, completing after a `kill -9` when rerun.

use castellan_tests::{assert_error, read, Backend, Options, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

async fn app(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn_with(Options {
        backend,
        ..Options::default()
    })
    .await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    (app, admin)
}

/// Stores a credential as `token`; returns its id.
async fn store(app: &TestApp, token: &str, name: &str, secret: &str) -> String {
    let body = json!({"name": name, "provider": "stripe", "secret": secret});
    let (status, created) = app
        .call(Method::POST, "/credentials", token, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["data"]["id"].as_str().unwrap().to_string()
}

async fn reveal(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/credentials/{id}/reveal"),
        token,
        None,
    )
    .await
}

async fn revealed(app: &TestApp, token: &str, id: &str) -> String {
    let (status, body) = reveal(app, token, id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["secret"].as_str().unwrap().to_string()
}

/// A role `name` with `flags` on `credential`, and a member holding it: its token.
async fn member_with(app: &TestApp, admin: &str, name: &str, flags: Value) -> String {
    app.role(admin, name).await;
    app.rule(admin, name, "credential", flags).await;
    app.member(admin, name).await.1
}

async fn secrets_go_in_and_come_out_only_by_reveal(backend: Backend) {
    let (app, admin) = app(backend).await;
    let secret = "sk_live_51H-very-secret-value";
    let body = json!({"name": " Stripe live ", "provider": "stripe", "secret": secret, "metadata": {"account": "acct_1", "region": "eu"}});
    let (status, created) = app
        .call(Method::POST, "/credentials", &admin, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let data = &created["data"];
    let id = data["id"].as_str().unwrap().to_string();
    assert_eq!(data["name"], "Stripe live");
    assert_eq!(data["provider"], "stripe");
    assert_eq!(
        data["metadata"],
        json!({"account": "acct_1", "region": "eu"})
    );
    assert_eq!(data["key_version"], 1);
    assert!(data["rotated_at"].is_null() && data.get("secret").is_none());
    assert!(!created.to_string().contains(secret));

    // Read, listed and searched: never the secret.
    let (status, one) = app
        .call(Method::GET, &format!("/credentials/{id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["data"]["tenant_id"], data["tenant_id"]);
    let (status, list) = app
        .call(Method::GET, "/credentials?search=STRIPE", &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["data"][0]["id"], id.as_str());
    assert!(!format!("{one}{list}").contains(secret));
    let (_, none) = app
        .call(Method::GET, "/credentials?search=nothing", &admin, None)
        .await;
    assert_eq!(none["meta"]["total"], 0);

    // Revealed, never cached.
    let res = app
        .api(
            Method::POST,
            &format!("/credentials/{id}/reveal"),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let (status, shown) = read(res).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["data"], json!({"secret": secret}));

    // The name is unique in the tenant.
    let again = json!({"name": "Stripe live", "provider": "x", "secret": "s"});
    let (status, body) = app
        .call(Method::POST, "/credentials", &admin, Some(again))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_error(&body, "conflict", Some("name"));

    // Describing fields change; the secret does not go through PATCH.
    let patch = json!({"provider": "stripe-eu", "metadata": {"account": "acct_2"}});
    let (status, patched) = app
        .call(
            Method::PATCH,
            &format!("/credentials/{id}"),
            &admin,
            Some(patch),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["data"]["provider"], "stripe-eu");
    assert_eq!(patched["data"]["metadata"], json!({"account": "acct_2"}));
    assert_eq!(patched["data"]["name"], "Stripe live");
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/credentials/{id}"),
            &admin,
            Some(json!({"secret": "nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "validation_error", Some("secret"));

    // Replaced: a new secret, `rotated_at` set.
    let (status, replaced) = app
        .call(
            Method::PUT,
            &format!("/credentials/{id}/secret"),
            &admin,
            Some(json!({"secret": "sk_live_new"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert!(replaced["data"]["rotated_at"].is_string());
    assert!(replaced.get("secret").is_none() && replaced["data"].get("secret").is_none());
    assert_eq!(revealed(&app, &admin, &id).await, "sk_live_new");

    // The trail has every step, and no secret.
    let (status, trail) = app
        .call(
            Method::GET,
            &format!("/audit-logs?target_id={id}&per_page=50"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let mut actions: Vec<&str> = trail["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "credential.create",
            "credential.reveal",
            "credential.reveal",
            "credential.secret_replace",
            "credential.update",
        ]
    );
    let trail = trail.to_string();
    assert!(
        !trail.contains(secret) && !trail.contains("sk_live_new"),
        "{trail}"
    );

    // Deleted: gone.
    let path = format!("/credentials/{id}");
    let (status, _) = app.call(Method::DELETE, &path, &admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, &path, &admin, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = reveal(&app, &admin, &id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn bad_input_is_named_and_never_echoed(backend: Backend) {
    let (app, admin) = app(backend).await;
    let cases = [
        (json!({"provider": "p", "secret": "s"}), "name"),
        (
            json!({"name": "  ", "provider": "p", "secret": "s"}),
            "name",
        ),
        (
            json!({"name": "n".repeat(201), "provider": "p", "secret": "s"}),
            "name",
        ),
        (json!({"name": "n", "secret": "s"}), "provider"),
        (
            json!({"name": "n", "provider": "p".repeat(101), "secret": "s"}),
            "provider",
        ),
        (json!({"name": "n", "provider": "p"}), "secret"),
        (
            json!({"name": "n", "provider": "p", "secret": ""}),
            "secret",
        ),
        (
            json!({"name": "n", "provider": "p", "secret": "s".repeat(16 * 1024 + 1)}),
            "secret",
        ),
        (
            json!({"name": "n", "provider": "p", "secret": 987_654_321}),
            "secret",
        ),
        (
            json!({"name": "n", "provider": "p", "secret": "s", "metadata": ["a"]}),
            "metadata",
        ),
        (
            json!({"name": "n", "provider": "p", "secret": "s", "metadata": {"k": "v".repeat(8 * 1024)}}),
            "metadata",
        ),
        (
            json!({"name": "n", "provider": "p", "secret": "s", "key_version": 3}),
            "key_version",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = app
            .call(Method::POST, "/credentials", &admin, Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_error(&answer, "validation_error", Some(field));
        assert!(!answer.to_string().contains("987654321"), "{answer}");
    }
    // The largest secret and metadata fit.
    let big = json!({"name": "big", "provider": "p", "secret": "s".repeat(16 * 1024), "metadata": {"k": "v".repeat(8 * 1024 - 16)}});
    let (status, body) = app
        .call(Method::POST, "/credentials", &admin, Some(big))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["data"]["id"].as_str().unwrap();
    assert_eq!(revealed(&app, &admin, id).await.len(), 16 * 1024);
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/credentials/{id}/secret"),
            &admin,
            Some(json!({"secret": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "validation_error", Some("secret"));
}

async fn reveal_needs_update_rights_and_tenants_stay_apart(backend: Backend) {
    let (app, admin) = app(backend).await;
    let id = store(&app, &admin, "shared", "tenant-secret").await;

    // Read-all but no update: sees it, may not reveal, replace, change or delete it (403).
    let reader = member_with(&app, &admin, "VaultReader", json!({"can_read_all": true})).await;
    let (status, _) = app
        .call(Method::GET, &format!("/credentials/{id}"), &reader, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = reveal(&app, &reader, &id).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(!body.to_string().contains("tenant-secret"));
    for (method, path, body) in [
        (
            Method::PUT,
            format!("/credentials/{id}/secret"),
            Some(json!({"secret": "x"})),
        ),
        (
            Method::PATCH,
            format!("/credentials/{id}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/credentials/{id}"), None),
        (
            Method::POST,
            "/credentials".to_string(),
            Some(json!({"name": "x", "provider": "p", "secret": "s"})),
        ),
    ] {
        let (status, answer) = app.call(method, &path, &reader, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
    }

    // Own scope: their own credential yes, the admin's does not exist for them (404).
    let own = member_with(
        &app,
        &admin,
        "VaultOwner",
        json!({"can_read_own": true, "can_create": true, "can_update_own": true}),
    )
    .await;
    let mine = store(&app, &own, "mine", "own-secret").await;
    assert_eq!(revealed(&app, &own, &mine).await, "own-secret");
    let (status, _) = reveal(&app, &own, &id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.call(Method::GET, "/credentials", &own, None).await;
    assert_eq!(list["meta"]["total"], 1);
    // The admin (update-all) reveals anyone's.
    assert_eq!(revealed(&app, &admin, &mine).await, "own-secret");

    // No rule at all: every route 403.
    let user = app.demo_login("user").await;
    let (status, _) = app.call(Method::GET, "/credentials", &user, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = reveal(&app, &user, &id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another tenant's admin: nothing of this tenant exists; the same name is free there.
    let (_, other) = app.tenant("Elsewhere").await;
    for (method, path) in [
        (Method::GET, format!("/credentials/{id}")),
        (Method::POST, format!("/credentials/{id}/reveal")),
        (Method::DELETE, format!("/credentials/{id}")),
    ] {
        let (status, _) = app.call(method, &path, &other, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    store(&app, &other, "shared", "theirs").await;
    let (_, list) = app.call(Method::GET, "/credentials", &other, None).await;
    assert_eq!(list["meta"]["total"], 1);

    // API keys: `credential:read` does not reveal, `credential:update` does, as the key.
    for (scope, expected) in [
        ("credential:read", StatusCode::FORBIDDEN),
        ("credential:update", StatusCode::OK),
    ] {
        let (_, key) = app
            .call(
                Method::POST,
                "/api-keys",
                &admin,
                Some(json!({"name": "k", "scopes": ["credential:read", scope]})),
            )
            .await;
        let key = key["data"]["key"].as_str().unwrap().to_string();
        let res = app
            .api(Method::POST, &format!("/credentials/{id}/reveal"), None)
            .header("X-API-Key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "{scope}");
    }
    let (_, trail) = app
        .call(
            Method::GET,
            &format!("/audit-logs?action=credential.reveal&target_id={id}"),
            &admin,
            None,
        )
        .await;
    let actors: Vec<&str> = trail["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "success")
        .map(|e| e["actor_type"].as_str().unwrap())
        .collect();
    assert!(actors.contains(&"api_key"), "{trail}");
}

every_config!(
    secrets_go_in_and_come_out_only_by_reveal,
    bad_input_is_named_and_never_echoed,
    reveal_needs_update_rights_and_tenants_stay_apart,
);

/// Each column of every stored credential, as bytes (what a copy of the database holds).
async fn stored_bytes(app: &TestApp) -> Vec<Vec<u8>> {
    let columns = [
        "name",
        "provider",
        "metadata",
        "wrapped_key",
        "nonce",
        "ciphertext",
    ];
    let mut found = Vec::new();
    for column in columns {
        let sql = match app.settings.database.url.starts_with("sqlite") {
            true => format!("SELECT CAST({column} AS BLOB) AS value FROM credentials"),
            false if column.ends_with("key") || column == "nonce" || column == "ciphertext" => {
                format!("SELECT {column} AS value FROM credentials")
            }
            false => format!("SELECT convert_to({column}, 'UTF8') AS value FROM credentials"),
        };
        found.extend(app.sql_bytes(&sql).await);
    }
    found
}

async fn rows_hold_no_plaintext_and_swapped_ciphertexts_do_not_decrypt(backend: Backend) {
    let (app, admin) = app(backend).await;
    let (a_secret, b_secret) = ("alpha-plaintext-4411", "bravo-plaintext-9922");
    let a = store(&app, &admin, "a", a_secret).await;
    let b = store(&app, &admin, "b", b_secret).await;
    let stored = stored_bytes(&app).await;
    assert_eq!(stored.len(), 12, "six columns of two rows");
    for value in &stored {
        for secret in [a_secret, b_secret] {
            assert!(
                !value.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "plaintext stored"
            );
        }
    }

    // Each row's ciphertext (with its key and nonce) moved to the other row.
    app.raw_sql(&format!(
        "UPDATE credentials SET wrapped_key = o.wrapped_key, nonce = o.nonce, ciphertext = o.ciphertext \
         FROM (SELECT id, wrapped_key, nonce, ciphertext FROM credentials) AS o \
         WHERE (credentials.id = '{a}' AND o.id = '{b}') OR (credentials.id = '{b}' AND o.id = '{a}')"
    ))
    .await
    .unwrap();
    for id in [&a, &b] {
        let (status, body) = reveal(&app, &admin, id).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        let text = body.to_string();
        assert!(
            !text.contains(a_secret) && !text.contains(b_secret),
            "{text}"
        );
    }
    // Metadata stays readable.
    let (status, _) = app
        .call(Method::GET, &format!("/credentials/{a}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

every_config!(rows_hold_no_plaintext_and_swapped_ciphertexts_do_not_decrypt);

// ---------------------------------------------------------------------------------------
// Key rotation, by the real binary
// ---------------------------------------------------------------------------------------

/// `castellan keys rotate-kek ...` on `app`'s database and key file.
fn rotate_kek(app: &TestApp, args: &[&str]) -> std::process::Command {
    let mut cmd = app.command(env!("CARGO_BIN_EXE_castellan-under-test"));
    cmd.args(["keys", "rotate-kek"]).args(args);
    cmd
}

/// Runs `cmd` to its end off the runtime's threads.
async fn run(mut cmd: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Every credential of the tenant: id → key version.
async fn versions(app: &TestApp, admin: &str) -> BTreeMap<String, u64> {
    let mut found = BTreeMap::new();
    for page in 1.. {
        let (status, body) = app
            .call(
                Method::GET,
                &format!("/credentials?per_page=200&page={page}"),
                admin,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["data"].as_array().unwrap();
        for item in items {
            let id = item["id"].as_str().unwrap().to_string();
            found.insert(id, item["key_version"].as_u64().unwrap());
        }
        if items.len() < 200 {
            break;
        }
    }
    found
}

async fn stored_many(app: &TestApp, admin: &str, n: usize) -> BTreeMap<String, String> {
    let mut secrets = BTreeMap::new();
    for i in 0..n {
        let secret = format!("secret-{i}-{}", uuid::Uuid::new_v4().simple());
        let id = store(app, admin, &format!("c{i}"), &secret).await;
        secrets.insert(id, secret);
    }
    secrets
}

/// Every secret reveals as expected, and every data key is wrapped by `version`.
async fn all_reveal_under(
    app: &TestApp,
    admin: &str,
    secrets: &BTreeMap<String, String>,
    version: u64,
) {
    let stored = versions(app, admin).await;
    assert_eq!(stored.len(), secrets.len());
    assert!(stored.values().all(|v| *v == version), "{stored:?}");
    for (id, secret) in secrets {
        assert_eq!(&revealed(app, admin, id).await, secret, "{id}");
    }
}

/// A client writing, replacing and revealing until `stop`: what it wrote, id → secret.
async fn busy_client(
    app: Arc<TestApp>,
    admin: String,
    stop: Arc<AtomicBool>,
) -> BTreeMap<String, String> {
    let mut written = BTreeMap::new();
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let secret = format!("during-{round}");
        let id = store(&app, &admin, &format!("during-{round}"), &secret).await;
        assert_eq!(revealed(&app, &admin, &id).await, secret);
        let replaced = format!("replaced-{round}");
        let (status, body) = app
            .call(
                Method::PUT,
                &format!("/credentials/{id}/secret"),
                &admin,
                Some(json!({"secret": replaced})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(revealed(&app, &admin, &id).await, replaced);
        written.insert(id, replaced);
    }
    written
}

async fn rotation_under_load_loses_nothing(backend: Backend) {
    let (app, admin) = app(backend).await;
    let app = Arc::new(app);
    let mut secrets = stored_many(&app, &admin, 150).await;
    let stop = Arc::new(AtomicBool::new(false));
    let client = tokio::spawn(busy_client(app.clone(), admin.clone(), stop.clone()));

    let out = run(rotate_kek(&app, &["--batch", "10", "--pause-ms", "20"])).await;
    stop.store(true, Ordering::Relaxed);
    let written = client.await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("KEK version 2 (created)"), "{stdout}");
    // The keys stored before, and those the client wrote before the servers saw version 2.
    let whole_pass = stdout.lines().filter_map(|line| {
        let (done, total) = line
            .strip_prefix("re-wrapped ")?
            .split_once(' ')?
            .0
            .split_once('/')?;
        (done == total).then(|| total.parse::<u64>().ok()).flatten()
    });
    assert!(whole_pass.max().is_some_and(|n| n >= 150), "{stdout}");
    assert!(!written.is_empty(), "the client wrote during the rotation");

    secrets.extend(written);
    all_reveal_under(&app, &admin, &secrets, 2).await;
}

async fn a_killed_rotation_completes_when_run_again(backend: Backend) {
    let (app, admin) = app(backend).await;
    let secrets = stored_many(&app, &admin, 120).await;

    // Slow batches, killed (SIGKILL) once a few are done.
    let mut child = rotate_kek(&app, &["--batch", "4", "--pause-ms", "100"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let progress = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|line| line.starts_with("re-wrapped 12/"))
    })
    .await
    .unwrap();
    assert!(progress.is_some(), "the rotation made progress");
    child.kill().unwrap();
    child.wait().unwrap();

    // Half way: both versions in use, and every secret still reveals through the server.
    let halfway = versions(&app, &admin).await;
    assert!(
        halfway.values().any(|v| *v == 1) && halfway.values().any(|v| *v == 2),
        "{halfway:?}"
    );
    for (id, secret) in &secrets {
        assert_eq!(&revealed(&app, &admin, id).await, secret);
    }

    // Run again: it finishes the same rotation (no third version).
    let out = run(rotate_kek(&app, &["--batch", "50"])).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("KEK version 2 (resumed an interrupted rotation)"),
        "{stdout}"
    );
    all_reveal_under(&app, &admin, &secrets, 2).await;
    let keks = std::fs::read_to_string(&app.settings.vault.kek_path).unwrap();
    assert_eq!(keks.lines().count(), 2, "versions 1 and 2");

    // A new secret is wrapped by the new version; the next run starts version 3.
    let id = store(&app, &admin, "after", "after-secret").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = run(rotate_kek(&app, &[])).await;
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("KEK version 3 (created)"), "{stdout}");
    assert_eq!(revealed(&app, &admin, &id).await, "after-secret");
}

mod rotation {
    use castellan_tests::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_load_production() {
        super::rotation_under_load_loses_nothing(Backend::Production).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_load_embedded() {
        super::rotation_under_load_loses_nothing(Backend::Embedded).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn killed_then_rerun_production() {
        super::a_killed_rotation_completes_when_run_again(Backend::Production).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn killed_then_rerun_embedded() {
        super::a_killed_rotation_completes_when_run_again(Backend::Embedded).await
    }
}
