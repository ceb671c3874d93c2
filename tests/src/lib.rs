//! Test support: starts the real host binary with the real release `.wasm` components on a
//! free loopback port and a temporary database, and offers small HTTP helpers.
//!
//! Build first (scripts/test does): `cargo build --release --target wasm32-wasip2 -p auths
//! -p chats -p chat` and `cargo build -p host`.
//!
//! With `TEST_DB=sqld` every server gets a fresh libSQL server (`sqld`, from `SQLD_BIN` or
//! `scripts/sqld`) on a free port instead of a database file, and the host is started with
//! `--db-url`; [`Server::db`] and [`Server::rows`] then talk to that sqld too.
//!
//! With `TEST_DB=hrana` every server gets a fresh sqld too, but the HTTP components reach it
//! themselves, over Hrana through the host's outbound HTTP (`--var db_url=…`); the host gets
//! `--db-url` for what it reads itself (the realtime relay).
//!
//! Debugging: `TEST_HOST_LOG` is the hosts' `RUST_LOG` (default `warn`); `SQLD_KEEP_LOGS=DIR`
//! copies each sqld's log there when it stops.

// Test support: a failed setup step should stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

/// A minimal Socket.IO client for the realtime tests.
pub mod socketio;

use serde_json::{Value, json};
use std::net::TcpListener;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The secret every test server signs tokens with.
pub const SECRET: &str = "test-secret-0123456789";

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `host` binary the tests run (`CHATS_HOST_BIN`, else `target/debug/host`).
pub fn host_binary() -> PathBuf {
    if let Ok(path) = std::env::var("CHATS_HOST_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| repo_root().join("target"), PathBuf::from);
    target.join("debug").join("host")
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or(0)
}

/// The database tests run against: `TEST_DB=sqld` or `TEST_DB=hrana` selects a libSQL
/// server, anything else (or nothing) a local file.
pub fn test_db_is_sqld() -> bool {
    std::env::var("TEST_DB").is_ok_and(|value| value == "sqld" || value == "hrana")
}

/// `TEST_DB=hrana`: the components talk to the libSQL server themselves (Hrana over HTTP).
pub fn test_db_is_hrana() -> bool {
    std::env::var("TEST_DB").is_ok_and(|value| value == "hrana")
}

/// A `sqld` (libSQL server) on a free loopback port with its data in a temporary directory;
/// killed (by PID) on drop.
pub struct Sqld {
    child: Mutex<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    port: u16,
    flags: Vec<String>,
    dir: TempDir,
}

/// The flags of the sqld behind `TEST_DB=hrana` servers: a periodic `TRUNCATE` checkpoint
/// instead of one after every commit past 1,000 WAL frames. With the default, concurrent
/// writers that each queue on sqld's write lock (nothing else orders them in this mode)
/// wedge sqld 0.24.32 (docs/reliability.md, "libSQL server defect"): crash_safety did in 4
/// of 7 runs, and passed 7 of 7 with this flag. docs/deploy.md recommends the same.
pub const HRANA_SQLD_FLAGS: &[&str] = &["--checkpoint-interval-s", "300"];

impl Sqld {
    /// The sqld binary: `SQLD_BIN`, else what `scripts/sqld` prints (it downloads sqld once).
    pub fn binary() -> PathBuf {
        if let Some(path) = std::env::var_os("SQLD_BIN") {
            return PathBuf::from(path);
        }
        let output = Command::new(repo_root().join("scripts").join("sqld"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/sqld");
        assert!(output.status.success(), "scripts/sqld failed");
        PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
    }

    /// Starts sqld on `port` with its data (and log, appended to) in `dir`, with `flags`
    /// after the usual ones.
    fn spawn(dir: &Path, port: u16, flags: &[String]) -> Child {
        let log = std::fs::File::options().create(true).append(true).open(dir.join("sqld.log")).expect("sqld log");
        Command::new(Self::binary())
            .arg("--db-path")
            .arg(dir.join("data.sqld"))
            .arg("--http-listen-addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--no-welcome")
            .arg("--disable-metrics")
            .args(flags)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("sqld log"))
            .stderr(log)
            .spawn()
            .expect("start sqld (set SQLD_BIN or run scripts/sqld)")
    }

    /// Starts a fresh sqld and waits until it answers `GET /health`.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// [`Sqld::start`] with more command-line flags.
    pub async fn start_with(flags: &[&str]) -> Self {
        let dir = TempDir::new("chats-sqld");
        let port = free_port();
        let flags: Vec<String> = flags.iter().map(|flag| (*flag).to_owned()).collect();
        let child = Mutex::new(Self::spawn(&dir.0, port, &flags));
        let sqld = Self { child, url: format!("http://127.0.0.1:{port}"), port, flags, dir };
        sqld.wait_healthy().await;
        sqld
    }

    /// Stops sqld (SIGTERM; SIGKILL after 10 s) and starts it again on the same port and data,
    /// which drops every stream and transaction it held.
    pub async fn restart(&self) {
        {
            let mut child = self.child.lock().expect("sqld child");
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            *child = Self::spawn(&self.dir.0, self.port, &self.flags);
        }
        self.wait_healthy().await;
    }

    async fn wait_healthy(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = client.get(format!("{}/health", self.url)).send().await
                && response.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "sqld did not start; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What sqld has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("sqld.log")).unwrap_or_default()
    }

    /// sqld's process id.
    pub fn pid(&self) -> u32 {
        self.child.lock().expect("sqld child").id()
    }
}

impl Drop for Sqld {
    fn drop(&mut self) {
        let child = self.child.get_mut().expect("sqld child");
        let _ = child.kill();
        let _ = child.wait();
        if let Some(dir) = std::env::var_os("SQLD_KEEP_LOGS") {
            let _ = std::fs::copy(self.dir.0.join("sqld.log"), Path::new(&dir).join(format!("sqld-{}.log", child.id())));
        }
    }
}

/// Where a test server keeps its data.
#[derive(Clone)]
pub enum Backing {
    /// A local database file.
    File(PathBuf),
    /// A libSQL server shared by whoever holds it.
    Sqld(Arc<Sqld>),
    /// A libSQL server the components reach over Hrana (outbound HTTP, variable `db_url`);
    /// the host itself uses it through `--db-url`.
    Hrana(Arc<Sqld>),
}

impl Backing {
    /// The `host serve` / `host realtime` flags that select this database.
    pub fn host_args(&self) -> Vec<OsString> {
        match self {
            Self::File(path) => vec!["--db".into(), path.into()],
            Self::Sqld(sqld) | Self::Hrana(sqld) => vec!["--db-url".into(), sqld.url.clone().into()],
        }
    }

    /// The `--var name=value` settings that select this database in the components.
    pub fn component_vars(&self) -> Vec<(String, String)> {
        match self {
            Self::Hrana(sqld) => vec![("db_url".to_owned(), sqld.url.clone())],
            Self::File(_) | Self::Sqld(_) => Vec::new(),
        }
    }

    /// The libSQL server behind it, if any.
    pub fn sqld(&self) -> Option<&Arc<Sqld>> {
        match self {
            Self::File(_) => None,
            Self::Sqld(sqld) | Self::Hrana(sqld) => Some(sqld),
        }
    }

    /// A connection for assertions: the file, or the libSQL server over HTTP.
    pub async fn connect(&self) -> libsql::Connection {
        let database = match self {
            Self::File(path) => libsql::Builder::new_local(path).build().await.expect("open db"),
            Self::Sqld(sqld) | Self::Hrana(sqld) => libsql::Builder::new_remote(sqld.url.clone(), String::new()).build().await.expect("open sqld"),
        };
        database.connect().expect("connect")
    }
}

/// Starts `host serve` on `port` with the repository's spin.toml and the test secret.
fn spawn_host(port: u16, backing: &Backing, vars: &[(String, String)], args: &[String]) -> Child {
    let mut command = Command::new(host_binary());
    command
        .arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(backing.host_args())
        .arg("--manifest")
        .arg(repo_root().join("spin.toml"))
        .arg("--cache-dir")
        .arg(repo_root().join("target").join("component-cache"))
        .env("SPIN_VARIABLE_WEBUI_SECRET_KEY", SECRET)
        .env("RUST_LOG", std::env::var("TEST_HOST_LOG").unwrap_or_else(|_| "warn".to_owned()))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (name, value) in backing.component_vars().iter().chain(vars) {
        command.arg("--var").arg(format!("{name}={value}"));
    }
    command.args(args);
    command.spawn().unwrap_or_else(|error| {
        panic!("could not start {:?}: {error} (build it with `cargo build -p host`)", host_binary())
    })
}

/// A running host process; killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The database file (in `TEST_DB=sqld`/`hrana` mode the file does not exist: use
    /// [`Server::db`] or [`Server::backing`]).
    pub db_path: PathBuf,
    backing: Backing,
    port: u16,
    vars: Vec<(String, String)>,
    args: Vec<String>,
    _dir: TempDir,
    client: reqwest::Client,
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates a fresh directory under the system temp dir, never one another test has: two
    /// tests starting in the same clock tick once shared a directory, so two hosts opened one
    /// database file (one failed with `database is locked`) and the first drop removed both.
    pub fn new(prefix: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let serial = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = format!("{prefix}-{}-{serial}-{nanos}", std::process::id());
            let path = std::env::temp_dir().join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => return Self(path),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => panic!("create temp dir {}: {error}", path.display()),
            }
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Server {
    /// Starts a server with the default variables.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts a server with extra `--var name=value` settings.
    pub async fn start_with(vars: &[(&str, &str)]) -> Self {
        Self::start_with_args(vars, &[]).await
    }

    /// Starts a server with extra `--var name=value` settings and extra `host serve` flags.
    pub async fn start_with_args(vars: &[(&str, &str)], args: &[&str]) -> Self {
        let backing = if test_db_is_hrana() {
            Some(Backing::Hrana(Arc::new(Sqld::start_with(HRANA_SQLD_FLAGS).await)))
        } else if test_db_is_sqld() {
            Some(Backing::Sqld(Arc::new(Sqld::start().await)))
        } else {
            None
        };
        Self::start_on(backing, vars, args).await
    }

    /// Starts a server on `backing` (`None`: a fresh database file), e.g. several servers on
    /// one [`Sqld`].
    pub async fn start_on(backing: Option<Backing>, vars: &[(&str, &str)], args: &[&str]) -> Self {
        let dir = TempDir::new("chats-test");
        let db_path = dir.0.join("chats.db");
        let backing = backing.unwrap_or_else(|| Backing::File(db_path.clone()));
        let port = free_port();
        let vars: Vec<(String, String)> = vars.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect();
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        let child = spawn_host(port, &backing, &vars, &args);
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            db_path,
            backing,
            port,
            vars,
            args,
            _dir: dir,
            client: reqwest::Client::new(),
        };
        server.wait_ready().await;
        server
    }

    /// Stops the host (SIGKILL, like a crash) and starts it again on the same port and
    /// database with the same settings.
    pub async fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_host(self.port, &self.backing, &self.vars, &self.args);
        self.wait_ready().await;
    }

    /// The host's process id (for reading `/proc/PID/status`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the host with SIGKILL (a crash) and reaps it; [`Server::respawn`] starts it again.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the host again after [`Server::kill`], on the same port, database and settings.
    pub async fn respawn(&mut self) {
        self.child = spawn_host(self.port, &self.backing, &self.vars, &self.args);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if self.client.get(format!("{}/api/v1/auths/", self.base)).send().await.is_ok() {
                return;
            }
            // A host that exited will never answer: say so now (its error is on stderr).
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("host for {} exited before it was ready: {status}", self.base);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("host did not become ready on {}", self.base);
    }

    /// Sends a request; `token` goes into `Authorization: Bearer`.
    pub async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("request failed")).await
    }

    /// Sends a raw body with a JSON content type.
    pub async fn send_raw(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Reply::from(request.send().await.expect("request failed")).await
    }

    /// GET with a token.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), None).await
    }

    /// POST JSON with a token.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send("POST", path, Some(token), Some(body)).await
    }

    /// Signs up a user; returns the signup response body.
    pub async fn signup(&self, name: &str, email: &str) -> Value {
        let reply = self
            .send("POST", "/api/v1/auths/signup", None, Some(json!({"name": name, "email": email, "password": "Passw0rd!"})))
            .await;
        assert_eq!(reply.status, 200, "signup failed: {}", reply.body);
        reply.body
    }

    /// Signs up the first user (admin) and adds a `user`-role account; returns
    /// `(admin_token, user_token, user_id)`.
    pub async fn admin_and_user(&self) -> (String, String, String) {
        let admin = self.signup("Admin", "admin@example.com").await;
        let admin_token = admin["token"].as_str().unwrap_or_default().to_owned();
        let added = self
            .post(
                "/api/v1/auths/add",
                &admin_token,
                json!({"name": "Alice", "email": "alice@example.com", "password": "Passw0rd!", "role": "user"}),
            )
            .await;
        assert_eq!(added.status, 200, "add user failed: {}", added.body);
        (
            admin_token,
            added.body["token"].as_str().unwrap_or_default().to_owned(),
            added.body["id"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Adds another `user`-role account through the admin; returns `(token, id)`.
    pub async fn add_user(&self, admin_token: &str, name: &str, email: &str) -> (String, String) {
        let added = self
            .post(
                "/api/v1/auths/add",
                admin_token,
                json!({"name": name, "email": email, "password": "Passw0rd!", "role": "user"}),
            )
            .await;
        assert_eq!(added.status, 200, "add user failed: {}", added.body);
        (
            added.body["token"].as_str().unwrap_or_default().to_owned(),
            added.body["id"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Where this server keeps its data.
    pub fn backing(&self) -> &Backing {
        &self.backing
    }

    /// Opens the server's database (its file, or its sqld) for assertions.
    pub async fn db(&self) -> libsql::Connection {
        self.backing.connect().await
    }

    /// Runs a query on the database and returns the rows as JSON arrays of values.
    pub async fn rows(&self, sql: &str, params: Vec<libsql::Value>) -> Vec<Vec<Value>> {
        let connection = self.db().await;
        let mut rows = connection.query(sql, params).await.expect("query");
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.expect("row") {
            let mut values = Vec::new();
            for index in 0..row.column_count() {
                values.push(match row.get_value(index).expect("value") {
                    libsql::Value::Null => Value::Null,
                    libsql::Value::Integer(number) => json!(number),
                    libsql::Value::Real(number) => json!(number),
                    libsql::Value::Text(text) => json!(text),
                    libsql::Value::Blob(bytes) => json!(bytes),
                });
            }
            out.push(values);
        }
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers and the body parsed as JSON (or as a string).
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body as JSON, or a JSON string holding the raw text when it is not JSON.
    pub body: Value,
}

impl Reply {
    async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self { status, headers, body }
    }

    /// Asserts an Open WebUI error answer: status and exact `detail`.
    pub fn assert_error(&self, status: u16, detail: &str) {
        assert_eq!(self.status, status, "unexpected status, body {}", self.body);
        assert_eq!(self.body, json!({"detail": detail}), "unexpected body");
    }
}
