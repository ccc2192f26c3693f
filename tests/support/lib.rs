//! Test support: spawn the real server on port 0 against a fresh PostgreSQL database and an
//! own Redis key prefix, and talk to it over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use castellan_server::{Application, Settings};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The PostgreSQL server tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("CASTELLAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The shared Redis.
pub fn redis_url() -> String {
    std::env::var("CASTELLAN_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub use castellan_testkit::free_port;

/// Creates an empty database; returns its URL.
pub async fn fresh_database() -> String {
    fresh_database_with("").await
}

/// Creates an empty database with `options` (the tail of `CREATE DATABASE`, e.g. a
/// locale); returns its URL.
pub async fn fresh_database_with(options: &str) -> String {
    let admin = pg_admin_url();
    let name = format!("castellan_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = AsyncPgConnection::establish(&admin).await.unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name} {options}"))
        .execute(&mut conn)
        .await
        .unwrap();
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

/// `edit` (an `UPDATE` of `audit_logs`) wrapped so that it gets past the append-only
/// triggers: for tests that tamper with the trail to see verification catch it.
pub fn behind_the_triggers(backend: Backend, edit: &str) -> String {
    match backend.is_postgres() {
        true => format!(
            "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only; {edit}; \
             ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only;"
        ),
        false => format!("DROP TRIGGER audit_logs_no_update; {edit};"),
    }
}

/// The four storage configurations the README offers: SQLite or PostgreSQL, each with the
/// in-process/database token store or with Redis. Every HTTP scenario runs on all four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The embedded default: a SQLite file and the in-process token store.
    Embedded,
    /// Production: a fresh PostgreSQL database and the shared Redis (own key prefix).
    #[default]
    Production,
    /// PostgreSQL without Redis: revocations in PostgreSQL.
    PostgresWithoutRedis,
    /// SQLite with the shared Redis as the token store.
    SqliteWithRedis,
}

impl Backend {
    /// Every configuration.
    pub const ALL: [Backend; 4] = [
        Backend::Embedded,
        Backend::Production,
        Backend::PostgresWithoutRedis,
        Backend::SqliteWithRedis,
    ];

    /// Whether the repositories are on PostgreSQL (else SQLite).
    pub fn is_postgres(self) -> bool {
        matches!(self, Backend::Production | Backend::PostgresWithoutRedis)
    }

    /// Whether the token store is Redis.
    pub fn uses_redis(self) -> bool {
        matches!(self, Backend::Production | Backend::SqliteWithRedis)
    }
}

/// Options for a test server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Which configuration.
    pub backend: Backend,
    /// Redis URL (default: the shared one in production, none embedded).
    pub redis_url: Option<String>,
    /// Database URL (default: a fresh database of the backend's kind).
    pub database_url: Option<String>,
    /// Extra TOML appended to the test configuration.
    pub extra_toml: String,
    /// `[rate_limit]`: enabled, tenants per hour, invitation accepts per hour (default:
    /// on, but high enough that tests creating many tenants are not limited).
    pub rate_limit: Option<(bool, u32, u32)>,
    /// Other `[rate_limit]` keys (each defaults to 100,000 here, so that only the tests of
    /// a limit meet it), e.g. `("login_per_ip_per_minute", 3)`.
    pub limits: Vec<(&'static str, u64)>,
    /// `server.trusted_proxies`.
    pub trusted_proxies: Vec<String>,
    /// `redis.key_prefix` (default: one of its own, so that tests never share counters).
    pub key_prefix: Option<String>,
    /// `api_keys.pepper` (default: a file of its own).
    pub pepper: Option<String>,
    /// `vault.kek_path` (default: a file of its own).
    pub kek_path: Option<std::path::PathBuf>,
}

/// A running server.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// HTTP client.
    pub client: Client,
    /// The settings it runs with.
    pub settings: Settings,
    handle: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// A server in `backend`'s configuration, on a fresh database.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(Options {
            backend,
            ..Options::default()
        })
        .await
    }

    /// A server with `options`.
    pub async fn spawn_with(options: Options) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let backend = options.backend;
        let database_url = match options.database_url {
            Some(url) => url,
            None if backend.is_postgres() => fresh_database().await,
            None => format!("sqlite://{}/data/castellan.db", dir.path().display()),
        };
        let redis_url = match options.redis_url {
            Some(url) => url,
            None if backend.uses_redis() => redis_url(),
            None => String::new(),
        };
        let (limits_on, tenants_per_hour, accepts_per_hour) =
            options.rate_limit.unwrap_or((true, 1000, 1000));
        let mut limits: std::collections::BTreeMap<&str, u64> = [
            "login_per_ip_email_per_minute",
            "login_per_ip_per_minute",
            "register_per_hour",
            "password_reset_per_hour",
            "authenticated_per_minute",
            "anonymous_per_minute",
            "lockout_failures_per_ip",
            "lockout_failures_per_email",
        ]
        .into_iter()
        .map(|key| (key, 100_000))
        .collect();
        limits.extend(options.limits.iter().copied());
        let limits: String = limits
            .iter()
            .map(|(key, value)| format!("{key} = {value}\n"))
            .collect();
        let toml = format!(
            r#"
            [server]
            bind = "127.0.0.1:0"
            workers = 1
            shutdown_timeout_secs = 2
            trusted_proxies = {proxies:?}
            [database]
            url = "{database_url}"
            max_connections = 4
            [redis]
            url = "{redis_url}"
            key_prefix = "{prefix}"
            [rate_limit]
            enabled = {limits_on}
            tenants_per_hour = {tenants_per_hour}
            invitation_accepts_per_hour = {accepts_per_hour}
            {limits}
            [api_keys]
            pepper_path = "{pepper_path}"
            pepper = "{pepper}"
            [vault]
            kek_path = "{kek_path}"
            [auth]
            signing_key_path = "{key}"
            {extra}
            "#,
            prefix = options
                .key_prefix
                .unwrap_or_else(|| format!("test:{}:", uuid::Uuid::new_v4().simple())),
            pepper = options.pepper.unwrap_or_default(),
            key = dir.path().join("signing.key").display(),
            pepper_path = dir.path().join("api-key-pepper.key").display(),
            kek_path = options
                .kek_path
                .unwrap_or_else(|| dir.path().join("vault.kek"))
                .display(),
            extra = options.extra_toml,
            proxies = options.trusted_proxies,
        );
        let settings = Settings::defaults_with(&toml).unwrap();
        let app = Application::build(&settings).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            settings,
            handle,
            _dir: dir,
        }
    }

    /// Applies `castellan seed --demo` to this server's database.
    pub async fn seed_demo(&self) {
        self.seed_demo_with(false).await;
    }

    /// Applies the demo seed, with `--reset` when `reset`; returns what it did.
    pub async fn seed_demo_with(&self, reset: bool) -> castellan_application::SeedReport {
        self.seed(castellan_application::SeedOptions {
            reset,
            pharma: false,
        })
        .await
    }

    /// Applies `castellan seed --demo` with these options; returns what it did.
    pub async fn seed(
        &self,
        options: castellan_application::SeedOptions,
    ) -> castellan_application::SeedReport {
        let services = castellan_server::startup::services(&self.settings)
            .await
            .unwrap();
        services.seed.run(options).await.unwrap()
    }

    /// Logs in as a demo user (`admin`, `user` or `guest`); returns the access token.
    pub async fn demo_login(&self, who: &str) -> String {
        self.login(&format!("{who}@example.com"), &format!("{who}pass"))
            .await
            .access
    }

    /// Runs `sql` (one or more statements) on this server's database as the login role
    /// (PostgreSQL: the owner, `postgres`), bypassing the application: for tests that
    /// tamper with stored data.
    pub async fn raw_sql(&self, sql: &str) -> Result<(), String> {
        let url = self.settings.database.url.clone();
        match url.strip_prefix("sqlite://") {
            Some(path) => {
                let (path, sql) = (path.to_string(), sql.to_string());
                tokio::task::spawn_blocking(move || {
                    use diesel::connection::SimpleConnection;
                    let mut conn =
                        <diesel::SqliteConnection as diesel::Connection>::establish(&path)
                            .map_err(|e| e.to_string())?;
                    conn.batch_execute(&sql).map_err(|e| e.to_string())
                })
                .await
                .unwrap()
            }
            None => {
                use diesel_async::SimpleAsyncConnection;
                let mut conn = AsyncPgConnection::establish(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                conn.batch_execute(sql).await.map_err(|e| e.to_string())
            }
        }
    }

    /// The binary `bin` (a build of `castellan`) as a process on this server's database,
    /// Redis, signing key, API-key pepper and vault key file; nothing inherited from the
    /// caller's `CASTELLAN*` variables.
    pub fn command(&self, bin: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(bin);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("CASTELLAN") {
                cmd.env_remove(key);
            }
        }
        let s = &self.settings;
        cmd.env("CASTELLAN__DATABASE__URL", &s.database.url)
            .env("CASTELLAN__REDIS__URL", &s.redis.url)
            .env("CASTELLAN__REDIS__KEY_PREFIX", &s.redis.key_prefix)
            .env("CASTELLAN__VAULT__KEK_PATH", &s.vault.kek_path)
            .env(
                "CASTELLAN__AUTH__SIGNING_KEY_PATH",
                &s.auth.signing_key_path,
            )
            .env("CASTELLAN__AUTH__SIGNING_KEY_PEM", &s.auth.signing_key_pem)
            .env("CASTELLAN__API_KEYS__PEPPER", &s.api_keys.pepper)
            .env("CASTELLAN__API_KEYS__PEPPER_PATH", &s.api_keys.pepper_path)
            .env("CASTELLAN__LOG__LEVEL", "warn")
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// The `value` column (bytes) of every row `sql` selects, read as the login role (for
    /// tests that look at what is stored).
    pub async fn sql_bytes(&self, sql: &str) -> Vec<Vec<u8>> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Binary)]
            value: Vec<u8>,
        }
        let url = self.settings.database.url.clone();
        let rows: Vec<Row> = match url.strip_prefix("sqlite://") {
            Some(path) => {
                let (path, sql) = (path.to_string(), sql.to_string());
                tokio::task::spawn_blocking(move || {
                    let mut conn =
                        <diesel::SqliteConnection as diesel::Connection>::establish(&path).unwrap();
                    diesel::RunQueryDsl::load(diesel::sql_query(sql), &mut conn).unwrap()
                })
                .await
                .unwrap()
            }
            None => {
                let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
                diesel::sql_query(sql).load(&mut conn).await.unwrap()
            }
        };
        rows.into_iter().map(|row| row.value).collect()
    }

    /// Stops the server gracefully.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    /// The PEM of the server's signing key.
    pub fn signing_key_pem(&self) -> String {
        std::fs::read_to_string(&self.settings.auth.signing_key_path).unwrap()
    }

    /// A request to `path` (relative to the server root).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// A request under `/api/v1`, with a bearer token when given.
    pub fn api(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.request(method, &format!("/api/v1{path}"));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends `method path` under `/api/v1` as `token`, with a JSON body when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.api(method, path, Some(token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap()).await
    }

    /// Registers `email` with `password`; asserts 201.
    pub async fn register(&self, email: &str, password: &str) -> Value {
        let res = self
            .api(Method::POST, "/auth/register", None)
            .json(&json!({"email": email, "password": password, "repeat_password": password}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(res).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"].clone()
    }

    /// Logs in; returns the raw response.
    pub async fn login_raw(&self, email: &str, password: &str) -> Response {
        self.api(Method::POST, "/auth/login", None)
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Logs in; asserts 200 and returns `(access, refresh)`.
    pub async fn login(&self, email: &str, password: &str) -> Tokens {
        let (status, body) = read(self.login_raw(email, password).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Tokens::from_data(&body["data"])
    }

    /// Registers a fresh user and logs in.
    pub async fn user(&self) -> (String, Tokens) {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        self.register(&email, PASSWORD).await;
        let tokens = self.login(&email, PASSWORD).await;
        (email, tokens)
    }

    /// A second server on this one's database, Redis (same key prefix), signing key and
    /// API-key pepper: a replica. `options` gives the rest (its limits, say).
    pub async fn replica(&self, options: Options) -> TestApp {
        let pepper = match self.settings.api_keys.pepper.trim() {
            "" => std::fs::read_to_string(&self.settings.api_keys.pepper_path).unwrap(),
            pepper => pepper.to_string(),
        };
        TestApp::spawn_with(Options {
            database_url: Some(self.settings.database.url.clone()),
            redis_url: Some(self.settings.redis.url.clone()),
            key_prefix: Some(self.settings.redis.key_prefix.clone()),
            pepper: Some(pepper.trim().to_string()),
            kek_path: Some(self.settings.vault.kek_path.clone()),
            extra_toml: format!(
                "signing_key_pem = '''{}'''\n{}",
                self.signing_key_pem(),
                options.extra_toml
            ),
            ..options
        })
        .await
    }

    /// Creates the role `name` in `admin`'s tenant; asserts 201.
    pub async fn role(&self, admin: &str, name: &str) {
        let (status, body) = self
            .call(Method::POST, "/roles", admin, Some(json!({"name": name})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    /// Gives the role `role` a rule on `element` with `flags` (`{"can_read_all": true, ...}`);
    /// asserts 201 and returns the rule's id.
    pub async fn rule(&self, admin: &str, role: &str, element: &str, flags: Value) -> String {
        let mut rule = json!({"role": role, "element": element});
        if let (Some(rule), Some(flags)) = (rule.as_object_mut(), flags.as_object()) {
            rule.extend(flags.clone());
        }
        let (status, body) = self
            .call(Method::POST, "/access-rules", admin, Some(rule))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["id"].as_str().unwrap().to_string()
    }

    /// A new user of `admin`'s tenant with the role `role`, logged in: `(id, access)`.
    pub async fn member(&self, admin: &str, role: &str) -> (String, String) {
        let (id, email) = self.member_account(admin, role).await;
        (id, self.login(&email, PASSWORD).await.access)
    }

    /// A new user of `admin`'s tenant with the role `role`: `(id, email)`.
    pub async fn member_account(&self, admin: &str, role: &str) -> (String, String) {
        let email = format!(
            "{}-{}@example.com",
            role.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let (status, body) = self
            .call(
                Method::POST,
                "/users",
                admin,
                Some(json!({"email": email, "password": PASSWORD, "roles": [role]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["data"]["id"].as_str().unwrap().to_string(), email)
    }

    /// Creates a tenant named `name` through the public route (`tenants.self_service`);
    /// returns its id and its first admin's access token.
    pub async fn tenant(&self, name: &str) -> (String, String) {
        let email = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
        let res = self
            .api(Method::POST, "/tenants", None)
            .json(&json!({"name": name, "admin": {"email": email, "password": PASSWORD, "first_name": "Ada"}}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(res).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["data"]["tenant"]["id"].as_str().unwrap().to_string();
        (id, self.login(&email, PASSWORD).await.access)
    }

    /// `GET /auth/me` status.
    pub async fn me_status(&self, access: &str) -> StatusCode {
        self.api(Method::GET, "/auth/me", Some(access))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// `POST /auth/refresh`; returns status and body.
    pub async fn refresh(&self, refresh: &str) -> (StatusCode, Value) {
        read(
            self.api(Method::POST, "/auth/refresh", None)
                .json(&json!({"refresh": refresh}))
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

/// A good password for tests.
pub const PASSWORD: &str = "violet-staircase-42";

/// An access/refresh pair.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Access JWT.
    pub access: String,
    /// Refresh token.
    pub refresh: String,
}

impl Tokens {
    /// From a `data` object with `access` and `refresh`.
    pub fn from_data(data: &Value) -> Tokens {
        Tokens {
            access: data["access"].as_str().unwrap().to_string(),
            refresh: data["refresh"].as_str().unwrap().to_string(),
        }
    }
}

/// Status and JSON body (Null when empty).
pub async fn read(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let bytes = res.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, body)
}

/// Asserts an error envelope with `code` (and `field` when given): `data` null.
pub fn assert_error(body: &Value, code: &str, field: Option<&str>) {
    assert!(body["data"].is_null(), "{body}");
    assert_has_error(body, code, field);
}

/// Asserts that `errors` holds `code` (on `field` when given), whatever `data` is.
pub fn assert_has_error(body: &Value, code: &str, field: Option<&str>) {
    let errors = body["errors"].as_array().expect("errors array");
    let hit = errors.iter().any(|e| {
        e["code"] == code && field.is_none_or(|f| e["field"] == f) && e["message"].is_string()
    });
    assert!(hit, "expected {code} on {field:?}: {body}");
}

pub use castellan_testkit::ThrowawayRedis;

/// A throwaway PostgreSQL cluster (`initdb` + `pg_ctl`) on a free port, for the real
/// failure of a database that stops and comes back; removed on drop. PostgreSQL refuses to
/// run as root, so as root it runs as the `postgres` system user.
#[derive(Debug)]
pub struct ThrowawayPostgres {
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl ThrowawayPostgres {
    /// Creates a cluster (trust auth, superuser `postgres`) and starts it.
    pub fn start() -> ThrowawayPostgres {
        let dir = tempfile::tempdir().unwrap();
        let pg = ThrowawayPostgres {
            port: free_port(),
            dir,
        };
        let _ = Command::new("chown")
            .args(["postgres:postgres", &pg.dir.path().display().to_string()])
            .status();
        pg.pg(&[
            "initdb",
            "-D",
            &pg.data(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]);
        pg.restart();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs a PostgreSQL tool (as `postgres` when we are root); panics when it fails.
    fn pg(&self, args: &[&str]) {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| out.stdout.starts_with(b"0\n"));
        let mut command = match root {
            true => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]);
                c
            }
            false => Command::new(args[0]),
        };
        let args = if root { args } else { &args[1..] };
        let out = command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("PostgreSQL's initdb and pg_ctl must be installed");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops it (fast shutdown: open connections are cut).
    pub fn stop(&self) {
        self.pg(&["pg_ctl", "-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// (Re)starts it on the same port and waits until it accepts connections.
    pub fn restart(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.pg(&[
            "pg_ctl",
            "-D",
            &self.data(),
            "-o",
            &options,
            "-l",
            &log,
            "-w",
            "start",
        ]);
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args([
                "-u",
                "postgres",
                "--",
                "pg_ctl",
                "-D",
                &self.data(),
                "-m",
                "immediate",
                "stop",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A minimal SMTP server on a free port that accepts every message and keeps it (a real
/// peer for the SMTP mailer, speaking just enough of RFC 5321).
#[derive(Debug)]
pub struct SmtpSink {
    /// Its port.
    pub port: u16,
    messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl SmtpSink {
    /// Starts listening (a thread per connection; ends with the test process).
    pub fn start() -> SmtpSink {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || {
                    let mut out = stream.try_clone().unwrap();
                    let mut lines = BufReader::new(stream);
                    let _ = out.write_all(b"220 sink ready\r\n");
                    let mut line = String::new();
                    while lines.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                        let verb = line.trim().to_ascii_uppercase();
                        let reply: &[u8] = if verb.starts_with("DATA") {
                            let _ = out.write_all(b"354 go ahead\r\n");
                            let mut message = String::new();
                            loop {
                                let mut data = String::new();
                                if lines.read_line(&mut data).unwrap_or(0) == 0 || data == ".\r\n" {
                                    break;
                                }
                                message.push_str(&data);
                            }
                            store.lock().unwrap().push(message);
                            b"250 queued\r\n"
                        } else if verb.starts_with("QUIT") {
                            let _ = out.write_all(b"221 bye\r\n");
                            return;
                        } else {
                            b"250 ok\r\n"
                        };
                        let _ = out.write_all(reply);
                        line.clear();
                    }
                });
            }
        });
        SmtpSink { port, messages }
    }

    /// Every message received so far (headers and body).
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}
