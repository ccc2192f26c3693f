#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Black-box tests of the `castellan` binary: run it as a process and look at its exit
//! status and output.
//!
//! `create-superuser` needs the local PostgreSQL (127.0.0.1:5432, trust auth) and Redis
//! (127.0.0.1:6379); every such test makes its own `castellan_t_*` database (dropped at the
//! end; `just test` removes any left behind).

use serde_json::Value;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The official OpenAPI 3.1 JSON Schema (see `tests/fixtures/README.md`).
const OAS_31_SCHEMA: &str = include_str!("fixtures/openapi-3.1-schema.json");

/// PostgreSQL administration URL (the maintenance database).
const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

const STRONG_PASSWORD: &str = "violet-staircase-42";

/// The binary under test, with no `CASTELLAN*` variable inherited from the caller's shell
/// and no standard input (a password prompt would fail rather than hang).
fn castellan() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_castellan"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CASTELLAN") {
            cmd.env_remove(key);
        }
    }
    // A pepper of its own: no run writes a pepper file into the working directory.
    cmd.env(
        "CASTELLAN__API_KEYS__PEPPER",
        "cli-tests-pepper-0123456789abcdef0123",
    );
    // A vault key file of its own, under the target directory (never the working one).
    cmd.env(
        "CASTELLAN__VAULT__KEK_PATH",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("vault-{}.kek", random_hex())),
    );
    cmd.env_remove("RUST_LOG").stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the castellan binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// 16 random hex digits, different on every call.
fn random_hex() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", hasher.finish())
}

// ---------------------------------------------------------------------------------------
// openapi
// ---------------------------------------------------------------------------------------

fn openapi_document() -> Value {
    let out = run(castellan().arg("openapi"));
    assert!(
        out.status.success(),
        "`castellan openapi` failed: {}\n{}",
        out.status,
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("`castellan openapi` prints JSON")
}

/// A validator for OAS 3.1 documents, built offline from the vendored schema.
fn oas31_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(OAS_31_SCHEMA).expect("the fixture is JSON");
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "the fixture is the 2020-12 dialect schema"
    );
    assert!(
        schema["$id"]
            .as_str()
            .unwrap()
            .starts_with("https://spec.openapis.org/oas/3.1/schema/"),
        "the fixture is the OAS 3.1 schema"
    );
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the OAS 3.1 schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn openapi_document_validates_against_the_oas_3_1_schema() {
    let doc = openapi_document();
    let validator = oas31_validator();
    let errors = schema_errors(&validator, &doc);
    assert!(
        errors.is_empty(),
        "`castellan openapi` is not a valid OpenAPI 3.1 document:\n{}",
        errors.join("\n")
    );
}

#[test]
fn openapi_document_is_version_3_1_and_lists_every_served_path() {
    let doc = openapi_document();
    let version = doc["openapi"].as_str().expect("`openapi` is a string");
    assert!(version.starts_with("3.1"), "openapi = {version}");
    assert_eq!(doc["info"]["title"], "Castellan");

    let paths = doc["paths"].as_object().expect("`paths` is an object");
    let served: &[(&str, &[&str])] = &[
        ("/.well-known/jwks.json", &["get"]),
        ("/api/v1/health", &["get"]),
        ("/api/v1/ready", &["get"]),
        ("/api/v1/schema", &["get"]),
        ("/api/v1/auth/register", &["post"]),
        ("/api/v1/auth/login", &["post"]),
        ("/api/v1/auth/refresh", &["post"]),
        ("/api/v1/auth/logout", &["post"]),
        ("/api/v1/auth/logout-all", &["post"]),
        ("/api/v1/auth/me", &["get", "patch", "delete"]),
        ("/api/v1/auth/password/change", &["post"]),
        ("/api/v1/auth/sessions", &["get"]),
        ("/api/v1/auth/sessions/{id}", &["delete"]),
        ("/api/v1/auth/password-reset", &["post"]),
        ("/api/v1/auth/password-reset/confirm", &["post"]),
        ("/api/v1/api-keys", &["get", "post"]),
        ("/api/v1/api-keys/{id}", &["get", "delete"]),
        ("/metrics", &["get"]),
    ];
    let listed: Vec<&String> = paths.keys().collect();
    for (path, methods) in served {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from the document; it has {listed:?}"));
        for method in *methods {
            assert!(
                item.get(*method).is_some(),
                "{} {path} missing from the document",
                method.to_uppercase()
            );
        }
    }
}

/// `--help` tells a user what Castellan is and how to configure it, not how the crate is
/// built.
#[test]
fn help_opens_with_what_castellan_is() {
    let out = run(castellan().arg("--help"));
    assert!(out.status.success());
    let help = text(&out.stdout);
    let first = help.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Castellan: identity and access control"),
        "first line: {first:?}"
    );
    for needle in [
        "castellan serve",
        "CASTELLAN_CONFIG",
        "CASTELLAN__",
        "serve",
        "migrate",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
    assert!(
        !help.contains("crate"),
        "--help talks about crates:\n{help}"
    );
    assert!(!help.contains("composition"), "{help}");
}

/// The validation above must be able to fail: broken copies of the real document are
/// rejected.
#[test]
fn oas_3_1_schema_rejects_broken_documents() {
    let doc = openapi_document();
    let validator = oas31_validator();
    assert!(validator.is_valid(&doc), "the real document is valid");

    let mut no_info = doc.clone();
    no_info.as_object_mut().unwrap().remove("info");

    let mut no_title = doc.clone();
    no_title["info"].as_object_mut().unwrap().remove("title");

    let mut wrong_version = doc.clone();
    wrong_version["openapi"] = Value::from("3.0.3");

    let mut relative_path = doc.clone();
    let paths = relative_path["paths"].as_object_mut().unwrap();
    let login = paths.remove("/api/v1/auth/login").unwrap();
    paths.insert("api/v1/auth/login".into(), login);

    let mut response_without_description = doc.clone();
    response_without_description["paths"]["/api/v1/health"]["get"]["responses"]
        .as_object_mut()
        .unwrap()
        .insert("200".into(), serde_json::json!({}));

    let mut unknown_field = doc.clone();
    unknown_field["paths"]["/api/v1/health"]["get"]["frobnicate"] = Value::from(true);

    for (what, broken) in [
        ("without `info`", no_info),
        ("without `info.title`", no_title),
        ("with `openapi: 3.0.3`", wrong_version),
        ("with a path not starting with /", relative_path),
        (
            "with a response without `description`",
            response_without_description,
        ),
        ("with an unknown operation field", unknown_field),
    ] {
        assert!(
            !schema_errors(&validator, &broken).is_empty(),
            "a document {what} was accepted"
        );
    }
}

// ---------------------------------------------------------------------------------------
// configuration
// ---------------------------------------------------------------------------------------

fn assert_config_rejected(var: &str, value: &str, key: &str) {
    let out = run(castellan().arg("migrate").env(var, value));
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "`{var}={value} castellan migrate` succeeded; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(key),
        "`{var}={value} castellan migrate`: stderr does not name `{key}`:\n{stderr}"
    );
}

#[test]
fn unparsable_bind_address_fails_startup_naming_the_key() {
    assert_config_rejected("CASTELLAN__SERVER__BIND", "nonsense", "server.bind");
}

#[test]
fn malformed_trusted_proxy_fails_startup_naming_the_key() {
    assert_config_rejected(
        "CASTELLAN__SERVER__TRUSTED_PROXIES",
        "[10.0.0.0/8, ten]",
        "server.trusted_proxies",
    );
}

#[test]
fn non_numeric_ttl_fails_startup_naming_the_key() {
    assert_config_rejected(
        "CASTELLAN__AUTH__ACCESS_TTL_SECS",
        "soon",
        "access_ttl_secs",
    );
}

// ---------------------------------------------------------------------------------------
// create-superuser
// ---------------------------------------------------------------------------------------

fn psql(sql: &str) -> Output {
    Command::new("psql")
        .args([PG_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .stdin(Stdio::null())
        .output()
        .expect("psql runs")
}

/// A fresh, empty PostgreSQL database, dropped when this goes out of scope.
struct TestDatabase {
    name: String,
}

impl TestDatabase {
    fn create() -> Self {
        let name = format!("castellan_t_{}", random_hex());
        let out = psql(&format!("CREATE DATABASE {name}"));
        assert!(
            out.status.success(),
            "CREATE DATABASE {name} failed (is PostgreSQL up at 127.0.0.1:5432?): {}",
            text(&out.stderr)
        );
        Self { name }
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort: `just test` drops any `castellan_t_*` database left behind.
        let _ = psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// `castellan create-superuser --email EMAIL` against `db`, the password from the
/// environment.
fn create_superuser(db: &TestDatabase, key_dir: &Path, email: &str, password: &str) -> Output {
    run(castellan()
        .args(["create-superuser", "--email", email])
        .env("CASTELLAN_SUPERUSER_PASSWORD", password)
        .env("CASTELLAN__DATABASE__URL", db.url())
        .env(
            "CASTELLAN__AUTH__SIGNING_KEY_PATH",
            key_dir.join("signing.key"),
        )
        .env("CASTELLAN__LOG__FORMAT", "pretty"))
}

#[test]
fn create_superuser_with_a_strong_password_succeeds() {
    let db = TestDatabase::create();
    let key_dir = tempfile::tempdir().unwrap();
    let email = format!("admin-{}@example.com", random_hex());

    let out = create_superuser(&db, key_dir.path(), &email, STRONG_PASSWORD);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "create-superuser failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains(&email),
        "stdout does not mention {email}:\n{stdout}"
    );
    assert!(
        !stdout.contains(STRONG_PASSWORD) && !stderr.contains(STRONG_PASSWORD),
        "the password was printed"
    );
}

#[test]
fn create_superuser_with_a_weak_password_fails_naming_the_password() {
    let db = TestDatabase::create();
    let key_dir = tempfile::tempdir().unwrap();
    let email = format!("admin-{}@example.com", random_hex());

    let out = create_superuser(&db, key_dir.path(), &email, "password");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        !out.status.success(),
        "create-superuser accepted the password `password`\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let error_line = stderr
        .lines()
        .find(|line| line.starts_with("error:"))
        .unwrap_or_else(|| panic!("no `error:` line on stderr:\n{stderr}"));
    assert!(
        error_line.contains("password"),
        "the error does not name `password`: {error_line}"
    );
    assert!(
        !stdout.contains("created superuser"),
        "a user was reported created:\n{stdout}"
    );

    // Nothing was stored: the same address still works with an acceptable password.
    let retry = create_superuser(&db, key_dir.path(), &email, STRONG_PASSWORD);
    assert!(
        retry.status.success(),
        "create-superuser after a rejected attempt failed: {}\n{}",
        retry.status,
        text(&retry.stderr)
    );
    assert!(text(&retry.stdout).contains(&email));
}

// ---------------------------------------------------------------------------------------
// `castellan serve`: structured logs and graceful shutdown.

/// Sends one HTTP/1.1 request on `stream` (kept alive) and reads one response:
/// `(status, body)`.
fn http(stream: &mut std::net::TcpStream, request: &str) -> (u16, String) {
    use std::io::{BufRead, BufReader, Read, Write};
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, text(&body))
}

fn post_json(path: &str, body: &str, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
}

#[test]
fn serve_logs_request_context_and_finishes_in_flight_requests_on_sigterm() {
    let db = TestDatabase::create();
    let key_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = castellan()
        .arg("serve")
        .env("CASTELLAN__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("CASTELLAN__DATABASE__URL", db.url())
        .env(
            "CASTELLAN__REDIS__KEY_PREFIX",
            format!("test:{}:", random_hex()),
        )
        .env(
            "CASTELLAN__AUTH__SIGNING_KEY_PATH",
            key_dir.path().join("signing.key"),
        )
        .env("CASTELLAN__LOG__FORMAT", "json")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut stream = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => break stream,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(err) => panic!("server did not start: {err}"),
        }
    };
    let email = format!("logs-{}@example.com", random_hex());
    let credentials = format!(r#"{{"email":"{email}","password":"{STRONG_PASSWORD}"}}"#);
    let register = format!(
        r#"{{"email":"{email}","password":"{STRONG_PASSWORD}","repeat_password":"{STRONG_PASSWORD}"}}"#
    );
    let (status, _) = http(
        &mut stream,
        &post_json("/api/v1/auth/register", &register, ""),
    );
    assert_eq!(status, 201);
    let (status, body) = http(
        &mut stream,
        &post_json("/api/v1/auth/login", &credentials, ""),
    );
    assert_eq!(status, 200, "{body}");
    let login: Value = serde_json::from_str(&body).unwrap();
    let access = login["data"]["access"].as_str().unwrap();
    let user_id = login["data"]["user"]["id"].as_str().unwrap().to_string();
    let request_id = format!("log-check-{}", random_hex());
    let me = format!(
        "GET /api/v1/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {access}\r\nX-Request-ID: {request_id}\r\n\r\n"
    );
    assert_eq!(http(&mut stream, &me).0, 200);

    // A login (argon2: tens of milliseconds) is in flight when SIGTERM arrives: it finishes.
    use std::io::Write;
    stream
        .write_all(post_json("/api/v1/auth/login", &credentials, "").as_bytes())
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (status, body) = http(&mut stream, "");
    assert_eq!(status, 200, "the in-flight login must complete: {body}");
    let output = server.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "graceful exit: {:?}",
        output.status
    );

    // Every log line of the /auth/me request carries its request, user and tenant ids.
    let lines: Vec<Value> = text(&output.stderr)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .filter(|line: &Value| line["span"]["request_id"] == request_id.as_str())
        .collect();
    assert!(!lines.is_empty(), "no log line for {request_id}");
    for line in &lines {
        assert_eq!(line["span"]["user_id"], user_id.as_str(), "{line}");
        assert_eq!(
            line["span"]["tenant_id"], "00000000-0000-0000-0000-000000000001",
            "{line}"
        );
    }
    assert!(
        !text(&output.stderr).contains(STRONG_PASSWORD),
        "a password reached the logs"
    );
}

/// `castellan audit verify [args]` against `db`.
fn audit_verify(db: &TestDatabase, key_dir: &Path, args: &[&str]) -> Output {
    run(castellan()
        .args(["audit", "verify"])
        .args(args)
        .env("CASTELLAN__DATABASE__URL", db.url())
        .env(
            "CASTELLAN__AUTH__SIGNING_KEY_PATH",
            key_dir.join("signing.key"),
        )
        .env("CASTELLAN__LOG__FORMAT", "pretty"))
}

#[test]
fn audit_verify_reports_the_first_broken_link() {
    let db = TestDatabase::create();
    let key_dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let email = format!("admin-{}@example.com", random_hex());
        let out = create_superuser(&db, key_dir.path(), &email, STRONG_PASSWORD);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let default_tenant = "00000000-0000-0000-0000-000000000001";

    let out = audit_verify(&db, key_dir.path(), &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains(default_tenant) && stdout.contains("valid"),
        "{stdout}"
    );
    let out = audit_verify(&db, key_dir.path(), &["--tenant", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = audit_verify(&db, key_dir.path(), &["--tenant", "bogus"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("bogus"), "{}", text(&out.stderr));

    // Edit the first entry behind the trigger's back.
    let tamper = "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only; \
                  UPDATE audit_logs SET actor_type = 'anonymous' WHERE seq = 1; \
                  ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only;";
    let out = Command::new("psql")
        .args([db.url().as_str(), "-v", "ON_ERROR_STOP=1", "-qc", tamper])
        .stdin(Stdio::null())
        .output()
        .expect("psql runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = audit_verify(&db, key_dir.path(), &["--tenant", default_tenant]);
    let stdout = text(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("BROKEN at seq 1"), "{stdout}");
}

// ---------------------------------------------------------------------------------------
// jobs
// ---------------------------------------------------------------------------------------

#[test]
fn jobs_run_once_and_say_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = |cmd: &mut Command| {
        cmd.env(
            "CASTELLAN__DATABASE__URL",
            format!("sqlite://{}/castellan.db", dir.path().display()),
        )
        .env(
            "CASTELLAN__AUTH__SIGNING_KEY_PATH",
            dir.path().join("signing.key"),
        )
        .env("CASTELLAN__LOG__FORMAT", "pretty");
    };
    let mut every = castellan();
    every.args(["jobs", "run"]);
    embedded(&mut every);
    let out = run(&mut every);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    for line in [
        "sessions: 0 row(s) removed",
        "invitations: 0 row(s) removed",
        "audit_chains: ",
    ] {
        assert!(stdout.contains(line), "{line:?} missing:\n{stdout}");
    }
    let mut one = castellan();
    one.args(["jobs", "run", "sessions"]);
    embedded(&mut one);
    let stdout = text(&run(&mut one).stdout);
    assert_eq!(stdout.trim(), "sessions: 0 row(s) removed");
    let out = run(castellan().args(["jobs", "run", "coffee"]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("sessions, invitations, audit_chains"),
        "{}",
        text(&out.stderr)
    );
}
