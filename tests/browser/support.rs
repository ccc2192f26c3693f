//! A headless Chromium per test (its own chromedriver on a free port), a plain HTTP client
//! that keeps the console's cookies, and the axe-core check.

use castellan_tests::{free_port, Backend, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// At most two browsers at once: the tests run in parallel on small machines.
static BROWSERS: Semaphore = Semaphore::const_new(2);

/// The chromedriver binary (`CHROMEDRIVER` overrides).
fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// The Chromium binary (`CHROMIUM` overrides).
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// A headless Chromium session; chromedriver and its Chromium are killed on drop.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    /// The server's address.
    pub base: String,
    driver: Child,
    _slot: SemaphorePermit<'static>,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium for the server at `app`. A driver that
    /// could not take its port (another process took it first) or a session that could not
    /// be made is retried on a fresh port, a few times.
    pub async fn open(app: &TestApp) -> Browser {
        let slot = BROWSERS.acquire().await.unwrap();
        let driver_path = chromedriver();
        assert!(
            std::path::Path::new(&driver_path).exists(),
            "chromedriver not found at {driver_path}: run scripts/browser-deps.sh (or set CHROMEDRIVER)"
        );
        let mut failures = Vec::new();
        for _ in 0..3 {
            let mut driver = Driver::start(&driver_path);
            match driver.session().await {
                Ok(client) => {
                    return Browser {
                        client,
                        base: app.address.clone(),
                        driver: driver.child.take().expect("a started driver"),
                        _slot: slot,
                    }
                }
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "no WebDriver session (is {} installed?): {failures:?}",
            chromium()
        )
    }

    /// Opens the console path `path`.
    pub async fn go(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The page's path.
    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    /// The page's `<h1>`.
    pub async fn heading(&self) -> String {
        self.text("h1").await
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap(),
            Err(e) => {
                let main = self.client.find(Locator::Css("main")).await;
                let shown = match main {
                    Ok(main) => main.text().await.unwrap_or_default(),
                    Err(_) => self.source().await,
                };
                panic!("no {css} on {}: {e}\n{shown}", self.path().await)
            }
        }
    }

    /// The page's HTML.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// Types `value` into the input `css`.
    pub async fn fill(&self, css: &str, value: &str) {
        let input = self.client.find(Locator::Css(css)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }

    /// Clicks `css` (a link, or a form's button) and waits for the next page.
    pub async fn click(&self, css: &str) {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} to click: {e}"));
        self.navigating(element.click()).await;
    }

    /// Clicks the checkbox `css` (no navigation).
    pub async fn tick(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} to tick: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Runs `action` (a click) and waits until the browser shows a new, loaded document.
    pub async fn navigating<F, T>(&self, action: F) -> T
    where
        F: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    {
        self.client
            .execute("window.castellanOldPage = true;", vec![])
            .await
            .unwrap();
        let result = action.await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let state = self
                .client
                .execute(
                    "return window.castellanOldPage === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(state, Ok(Value::Bool(true))) {
                return result;
            }
            assert!(Instant::now() < deadline, "no new page after a click");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Logs in through the login form; asserts it worked.
    pub async fn login(&self, email: &str, password: &str) {
        self.go("/console/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("form.card button[type=submit]").await;
        assert_eq!(
            self.path().await,
            "/console/profile",
            "{}",
            self.source().await
        );
    }

    /// Runs axe-core on the page; panics on any serious or critical violation.
    pub async fn assert_accessible(&self) {
        let axe = std::fs::read_to_string(axe_path()).unwrap_or_else(|e| {
            panic!(
                "axe-core missing at {}: run scripts/browser-deps.sh ({e})",
                axe_path().display()
            )
        });
        // WebDriver's script execution is not subject to the page's CSP.
        self.client.execute(&axe, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,
                   nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))).catch(e => done(String(e)));",
                vec![],
            )
            .await
            .unwrap();
        let violations = result
            .as_array()
            .unwrap_or_else(|| panic!("axe failed: {result}"));
        let serious: Vec<&Value> = violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(
            serious.is_empty(),
            "{}: axe-core found {serious:#?}",
            self.path().await
        );
    }

    /// Saves a PNG of the page to `$CASTELLAN_CONSOLE_SCREENSHOTS/<name>.png`, when set.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("CASTELLAN_CONSOLE_SCREENSHOTS") else {
            return;
        };
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

/// A chromedriver on a free port, in its own process group (which the Chromium it starts
/// joins), killed with its group on drop unless handed over to a [`Browser`].
struct Driver {
    child: Option<Child>,
    port: u16,
}

impl Driver {
    fn start(driver_path: &str) -> Driver {
        let port = free_port();
        let child = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {driver_path}: {e}"));
        Driver {
            child: Some(child),
            port,
        }
    }

    /// A session on this driver, once it listens; an error if it exited first (its port
    /// was taken) or the session could not be made.
    async fn session(&mut self) -> Result<Client, String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("chromedriver did not listen on {}", self.port));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Listening, but is it ours? A driver that lost the race for the port has exited.
        if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
            return Err(format!(
                "chromedriver exited ({status}): port {} taken",
                self.port
            ));
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000"],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .map_err(|e| e.to_string())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            kill_group(child);
        }
    }
}

/// Kills `child`'s whole process group: chromedriver, Chromium and Chromium's helpers
/// (killing chromedriver alone left its Chromium running).
fn kill_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

/// Where `scripts/browser-deps.sh` caches axe-core: under the target directory.
fn axe_path() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("CASTELLAN_AXE") {
        return path.into();
    }
    // The test binary is <target>/debug/deps/browser-<hash>.
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    target.join("axe-core-4.10.3/axe.min.js")
}

/// A server with the demo seed (admin, user, guest).
pub async fn demo_app() -> TestApp {
    let app = TestApp::spawn(Backend::Production).await;
    app.seed_demo().await;
    app
}

/// The console over plain HTTP, keeping its cookies like a browser (no redirects
/// followed: the tests look at them).
pub struct ConsoleClient {
    base: String,
    http: reqwest::Client,
    /// The cookies the server set.
    pub jar: BTreeMap<String, String>,
}

impl ConsoleClient {
    /// A client of `app` with no cookie yet.
    pub fn new(app: &TestApp) -> ConsoleClient {
        ConsoleClient {
            base: app.address.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for value in res.headers().get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, val) = pair.split_once('=').unwrap();
            if val.is_empty() || attributes.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_string(), val.to_string());
            }
        }
    }

    /// `GET path`: status, headers and body.
    pub async fn get(&mut self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&res);
        (
            res.status(),
            res.headers().clone(),
            res.text().await.unwrap(),
        )
    }

    /// `POST path` with `fields` as a form (and the extra `headers`).
    pub async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let res = request.send().await.unwrap();
        self.keep(&res);
        (
            res.status(),
            res.headers().clone(),
            res.text().await.unwrap(),
        )
    }

    /// The CSRF token the server issued (after a first GET).
    pub fn csrf(&self) -> String {
        self.jar.get("castellan_csrf").cloned().unwrap_or_default()
    }

    /// Logs in through the console's form: returns the status of the answer.
    pub async fn login(&mut self, email: &str, password: &str) -> StatusCode {
        if !self.jar.contains_key("castellan_csrf") {
            self.get("/console/login").await;
        }
        let csrf = self.csrf();
        let fields = [
            ("email", email),
            ("password", password),
            ("csrf", csrf.as_str()),
        ];
        self.post("/console/login", &fields, &[]).await.0
    }
}
