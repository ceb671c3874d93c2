//! Black-box tests of `host serve` against the `probe` fixture component.
//!
//! These tests build nothing: they need `target/wasm32-wasip2/release/probe.wasm`, built with
//! `cargo build --release --target wasm32-wasip2 -p probe` (or point `PROBE_WASM` at it).
//! Each test writes a temporary `spin.toml`, starts the real `host` binary on a free port with
//! a temporary database, and talks HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::Value as Json;
mod common;

use common::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

fn probe_wasm() -> PathBuf {
    let path = std::env::var_os("PROBE_WASM").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/wasm32-wasip2/release/probe.wasm")
    });
    assert!(
        path.exists(),
        "{} not found: build it first with `cargo build --release --target wasm32-wasip2 -p probe` \
         (or set PROBE_WASM to its path)",
        path.display()
    );
    path.canonicalize().unwrap()
}

fn temp_dir() -> PathBuf {
    common::temp_dir("probe")
}

fn manifest(wasm: &Path) -> String {
    format!(
        r#"
spin_manifest_version = 2
[application]
name = "probe-test"
[variables]
greeting = {{ default = "default-greeting" }}
from_env = {{ default = "default-env" }}
webui_secret_key = {{ required = true, secret = true }}
upstream = {{ default = "http://127.0.0.1:1" }}

[[trigger.http]]
route = "/probe/..."
component = "probe"
[[trigger.http]]
route = "/probe/var/:name"
component = "probe"
[[trigger.http]]
route = "/probe/items/:id/..."
component = "probe"
[[trigger.http]]
route = "/probe/exact"
component = "probe-exact"

[component.probe]
source = "{wasm}"
sqlite_databases = ["default", "other"]
allowed_outbound_hosts = ["{{{{ upstream }}}}"]
[component.probe.variables]
greeting = "{{{{ greeting }}}}!"
from_env = "{{{{ from_env }}}}"
secret = "{{{{ webui_secret_key }}}}"
[component.probe.build]
command = "cargo build --release --target wasm32-wasip2 -p probe"

[component.probe-exact]
source = "{wasm}"
"#,
        wasm = wasm.display()
    )
}

/// A running `host serve`; killed on drop.
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
    db: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::try_start(args, env).unwrap_or_else(|(log, status)| {
            panic!("host did not start (exit {status:?}); log:\n{log}")
        })
    }

    fn try_start(args: &[&str], env: &[(&str, &str)]) -> Result<Self, (String, Option<ExitStatus>)> {
        let dir = temp_dir();
        let manifest_path = dir.join("spin.toml");
        std::fs::write(&manifest_path, manifest(&probe_wasm())).unwrap();
        let db = dir.join("data/chats.db");
        let port = free_port();
        let log = std::fs::File::create(dir.join("host.log")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_host"));
        cmd.arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--manifest")
            .arg(&manifest_path)
            .arg("--db")
            .arg(&db)
            .arg("--cache-dir")
            .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("probe-cache"))
            .args(args)
            .env_remove("WEBUI_SECRET_KEY")
            .env_remove("SPIN_VARIABLE_GREETING")
            .env_remove("SPIN_VARIABLE_FROM_ENV")
            .env_remove("SPIN_VARIABLE_WEBUI_SECRET_KEY")
            .env("RUST_LOG", "info")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let mut server = Self {
            child,
            port,
            dir,
            db,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err((server.log(), Some(status)));
            }
            if Instant::now() > deadline {
                return Err((server.log(), None));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("host.log")).unwrap_or_default()
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn sigterm(&self) {
        common::sigterm(&self.child);
    }

    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        common::wait_exit(&mut self.child, timeout, &self.dir.join("host.log"))
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn get_json(server: &Server, path: &str) -> (u16, Json) {
    let resp = client().get(server.url(path)).send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text:?}\nlog:\n{}", server.log()));
    (status, json)
}

fn default_args() -> Vec<&'static str> {
    vec!["--var", "webui_secret_key=test-secret"]
}

#[tokio::test]
async fn routing_and_spin_headers() {
    let server = Server::start(&default_args(), &[]);
    let resp = client()
        .get(server.url("/probe/hello/there?x=1&y=2"))
        .header("spin-path-info", "spoofed")
        .header("spin-path-match-id", "spoofed")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Json = resp.json().await.unwrap();
    let h = &body["headers"];
    assert_eq!(body["method"], "GET");
    assert_eq!(body["path"], "/probe/hello/there");
    assert_eq!(
        h["spin-full-url"],
        format!("http://127.0.0.1:{}/probe/hello/there?x=1&y=2", server.port)
    );
    assert_eq!(h["spin-path-info"], "/hello/there");
    assert_eq!(h["spin-matched-route"], "/probe/...");
    assert_eq!(h["spin-raw-component-route"], "/probe/...");
    assert_eq!(h["spin-component-route"], "/probe");
    assert_eq!(h["spin-base-path"], "/");
    assert!(h["spin-client-addr"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(h.get("spin-path-match-id").is_none(), "spoofed header must go");

    // A wildcard route matches its own prefix, with and without the trailing slash.
    let (_, body) = get_json(&server, "/probe").await;
    assert_eq!(body["headers"]["spin-path-info"], "");
    let (_, body) = get_json(&server, "/probe/").await;
    assert_eq!(body["headers"]["spin-path-info"], "/");

    // `:name` segments become spin-path-match-<name>; the longer pattern wins over /probe/...
    let (_, body) = get_json(&server, "/probe/items/42/rest").await;
    let h = &body["headers"];
    assert_eq!(h["spin-path-match-id"], "42");
    assert_eq!(h["spin-path-info"], "/rest");
    assert_eq!(h["spin-component-route"], "/probe/items/:id");
    assert_eq!(h["spin-matched-route"], "/probe/items/:id/...");

    // Exact beats wildcard, and goes to the other component.
    let (_, body) = get_json(&server, "/probe/exact").await;
    assert_eq!(body["headers"]["spin-component-route"], "/probe/exact");
    assert_eq!(body["headers"]["spin-path-info"], "");

    // Methods other than GET reach the component too (Spin routes by path only).
    let resp = client()
        .post(server.url("/probe/post"))
        .body("payload")
        .send()
        .await
        .unwrap();
    let body: Json = resp.json().await.unwrap();
    assert_eq!(body["method"], "POST");

    // No route: 404 with an empty body.
    let resp = client().get(server.url("/nope")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.bytes().await.unwrap().is_empty());
    let resp = client().get(server.url("/probex")).send().await.unwrap();
    assert_eq!(resp.status(), 404);

    // One log line per request.
    let log = server.log();
    assert!(
        log.contains("GET /nope component=- status=404"),
        "log:\n{log}"
    );
    assert!(log.contains("GET /probe/exact component=probe-exact status=200"));
}

#[tokio::test]
async fn sqlite_round_trip_of_every_value_type() {
    let server = Server::start(&default_args(), &[]);
    let (status, body) = get_json(&server, "/probe/sql").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["columns"],
        serde_json::json!(["id", "i", "r", "t", "b", "n"])
    );
    let row = &body["rows"][0];
    assert_eq!(row[1]["integer"], -9_007_199_254_740_993_i64);
    assert_eq!(row[2]["real"], 3.25);
    assert_eq!(row[3]["text"], "héllo 'world'");
    assert_eq!(row[4]["blob"], serde_json::json!([0, 1, 2, 254, 255]));
    assert_eq!(row[5], "null");
    assert_eq!(body["rowid"], 1);
    assert_eq!(body["changes"], 1);
    let bad = body["bad_query_error"].as_str().unwrap();
    assert!(bad.contains("Io") && bad.contains("no such table"), "{bad}");
    // Every connection gets the host's settings (host/src/sqlite.rs).
    assert_eq!(body["settings"]["cache_size"]["integer"], -32_768, "{body}");
    assert_eq!(body["settings"]["foreign_keys"]["integer"], 0, "{body}");
    assert_eq!(body["settings"]["soft_heap_limit"]["integer"], 96 * 1024 * 1024, "{body}");
    // A statement with a large binding runs again correctly after not being cached.
    assert_eq!(
        body["large_binding"],
        serde_json::json!([[{"integer": 100_001}, {"text": "a"}], [{"integer": 100_001}, {"text": "b"}]])
    );

    // BEGIN/COMMIT on one connection works; a transaction left open is rolled back.
    let (_, body) = get_json(&server, "/probe/sqltx").await;
    assert_eq!(body["count"], 2);
    let (_, body) = get_json(&server, "/probe/sqltx").await;
    assert_eq!(body["count"], 4, "the abandoned INSERT must have been rolled back");

    // The rows are really in the file.
    let db = libsql::Builder::new_local(&server.db).build().await.unwrap();
    let conn = db.connect().unwrap();
    // The host rolls the abandoned transaction back after answering, so this reader may
    // meet its lock for a moment: wait for it as any client of the file would.
    conn.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let mut rows = conn
        .query("SELECT i, r, t, b, n FROM probe WHERE id = 1", ())
        .await
        .unwrap();
    let row = rows.next().await.unwrap().unwrap();
    assert_eq!(row.get::<i64>(0).unwrap(), -9_007_199_254_740_993);
    assert_eq!(row.get::<f64>(1).unwrap(), 3.25);
    assert_eq!(row.get::<String>(2).unwrap(), "héllo 'world'");
    assert_eq!(row.get::<Vec<u8>>(3).unwrap(), vec![0, 1, 2, 254, 255]);
    assert_eq!(row.get_value(4).unwrap(), libsql::Value::Null);
    let mut rows = conn
        .query("SELECT count(*), sum(v) FROM probe_tx", ())
        .await
        .unwrap();
    let row = rows.next().await.unwrap().unwrap();
    assert_eq!(row.get::<i64>(0).unwrap(), 4);
    assert_eq!(row.get::<i64>(1).unwrap(), 6);
    let mut rows = conn.query("PRAGMA journal_mode", ()).await.unwrap();
    let row = rows.next().await.unwrap().unwrap();
    assert_eq!(row.get::<String>(0).unwrap(), "wal");
}

#[tokio::test]
async fn sqlite_access_is_limited_to_declared_databases() {
    let server = Server::start(&default_args(), &[]);
    // `probe` declares ["default", "other"]; only `default` exists on this host.
    let (_, body) = get_json(&server, "/probe/x?open=default").await;
    assert_eq!(body["open"], "ok");
    let (_, body) = get_json(&server, "/probe/x?open=other").await;
    assert_eq!(body["open"], "Error::NoSuchDatabase");
    let (_, body) = get_json(&server, "/probe/x?open=undeclared").await;
    assert_eq!(body["open"], "Error::AccessDenied");
    // `probe-exact` declares no databases at all.
    let (_, body) = get_json(&server, "/probe/exact?open=default").await;
    assert_eq!(body["open"], "Error::AccessDenied");
}

#[tokio::test]
async fn variables_from_cli_env_and_defaults() {
    let server = Server::start(
        &["--var", "greeting=from-cli"],
        &[
            ("SPIN_VARIABLE_FROM_ENV", "from-spin-env"),
            ("WEBUI_SECRET_KEY", "from-webui-env"),
        ],
    );
    let (status, body) = get_json(&server, "/probe/var/greeting").await;
    assert_eq!(status, 200);
    assert_eq!(body["value"], "from-cli!");
    let (_, body) = get_json(&server, "/probe/var/from_env").await;
    assert_eq!(body["value"], "from-spin-env");
    let (_, body) = get_json(&server, "/probe/var/secret").await;
    assert_eq!(body["value"], "from-webui-env");
    let (status, body) = get_json(&server, "/probe/var/undeclared").await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("Undefined"), "{body}");
    let (_, body) = get_json(&server, "/probe/var/Bad").await;
    assert!(body["error"].as_str().unwrap().contains("InvalidName"), "{body}");
    drop(server);

    // Defaults apply when nothing else is set; SPIN_VARIABLE_ beats WEBUI_SECRET_KEY.
    let server = Server::start(
        &[],
        &[
            ("SPIN_VARIABLE_WEBUI_SECRET_KEY", "spin-secret"),
            ("WEBUI_SECRET_KEY", "webui-secret"),
        ],
    );
    let (_, body) = get_json(&server, "/probe/var/greeting").await;
    assert_eq!(body["value"], "default-greeting!");
    let (_, body) = get_json(&server, "/probe/var/secret").await;
    assert_eq!(body["value"], "spin-secret");
}

#[test]
fn missing_required_variable_is_a_startup_error() {
    match Server::try_start(&[], &[]) {
        Ok(server) => panic!("host started without webui_secret_key; log:\n{}", server.log()),
        Err((log, status)) => {
            assert!(status.is_some_and(|s| !s.success()), "log:\n{log}");
            assert!(log.contains("webui_secret_key"), "log:\n{log}");
        }
    }
}

#[tokio::test]
async fn trap_gives_500_and_the_next_request_works() {
    let server = Server::start(&default_args(), &[]);
    for _ in 0..3 {
        let resp = client().get(server.url("/probe/trap")).send().await.unwrap();
        assert_eq!(resp.status(), 500);
        assert!(resp.bytes().await.unwrap().is_empty());
        let (status, body) = get_json(&server, "/probe/ok").await;
        assert_eq!(status, 200);
        assert_eq!(body["path"], "/probe/ok");
    }
    // Concurrent requests alongside traps all get an answer.
    let mut tasks = Vec::new();
    for i in 0..24 {
        let url = server.url(if i % 4 == 0 { "/probe/trap" } else { "/probe/fine" });
        tasks.push(tokio::spawn(async move {
            client().get(url).send().await.unwrap().status().as_u16()
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let status = t.await.unwrap();
        if i % 4 == 0 {
            assert_eq!(status, 500);
        } else {
            // A trap ends its instance; requests sharing that instance may fail with it
            // (as in Spin). Everything else succeeds.
            assert!(status == 200 || status == 500, "status {status}");
        }
    }
    let (status, _) = get_json(&server, "/probe/after").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn big_streamed_body_arrives_whole() {
    let server = Server::start(&default_args(), &[]);
    let resp = client()
        .get(server.url("/probe/big?mb=24"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(bytes.len(), 24 * 1024 * 1024);
    for (i, chunk) in bytes.chunks(64 * 1024).enumerate() {
        assert!(
            chunk.iter().all(|b| usize::from(*b) == i % 251),
            "chunk {i} corrupted"
        );
    }
    // Several at once, with instance reuse in play.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let url = server.url("/probe/big?mb=4");
        tasks.push(tokio::spawn(async move {
            client().get(url).send().await.unwrap().bytes().await.unwrap().len()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 4 * 1024 * 1024);
    }
}

#[tokio::test]
async fn instance_reuse_flags_are_accepted() {
    for args in [
        vec!["--max-instance-reuse-count", "1", "--max-instance-concurrent-reuse-count", "1"],
        vec!["--max-instance-reuse-count", "1000", "--max-instance-concurrent-reuse-count", "64"],
    ] {
        let mut all = default_args();
        all.extend(args);
        let server = Server::start(&all, &[]);
        let mut tasks = Vec::new();
        for i in 0..16 {
            let url = server.url(&format!("/probe/n{i}"));
            tasks.push(tokio::spawn(async move {
                client().get(url).send().await.unwrap().status().as_u16()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 200);
        }
        let (status, _) = get_json(&server, "/probe/sql").await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_exits_0() {
    let mut server = Server::start(&default_args(), &[]);
    let (status, _) = get_json(&server, "/probe/warmup").await;
    assert_eq!(status, 200);
    // Start a large download, then ask the host to stop while it is in flight.
    let resp = client()
        .get(server.url("/probe/big?mb=32"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    server.sigterm();
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(bytes.len(), 32 * 1024 * 1024, "in-flight body cut short");
    let status = server.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "exit status {status:?}; log:\n{}", server.log());
    assert!(
        client().get(server.url("/probe/x")).send().await.is_err(),
        "still accepting after SIGTERM"
    );
}

/// A one-response-per-connection HTTP server standing in for an upstream service.
async fn upstream() -> (u16, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let request_line = String::from_utf8_lossy(&buf).lines().next().unwrap_or("").to_string();
                let body = format!("upstream saw: {request_line}");
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    (port, task)
}

#[tokio::test]
async fn outbound_http_is_limited_to_allowed_hosts() {
    let (port, upstream_task) = upstream().await;
    let var = format!("upstream=http://127.0.0.1:{port}");
    let mut args = default_args();
    args.extend(["--var", var.as_str()]);
    let server = Server::start(&args, &[]);

    let (status, body) =
        get_json(&server, &format!("/probe/fetch?url=http://127.0.0.1:{port}/hello?q=1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 200);
    assert_eq!(body["body"], "upstream saw: GET /hello?q=1 HTTP/1.1");

    // Same host, another port: not in allowed_outbound_hosts.
    let other = free_port();
    let (status, body) =
        get_json(&server, &format!("/probe/fetch?url=http://127.0.0.1:{other}/")).await;
    assert_eq!(status, 502, "{body}");
    assert!(body["error"].as_str().unwrap().contains("HttpRequestDenied"), "{body}");
    let (status, body) = get_json(&server, "/probe/fetch?url=http://example.com/").await;
    assert_eq!(status, 502, "{body}");
    assert!(body["error"].as_str().unwrap().contains("HttpRequestDenied"), "{body}");
    upstream_task.abort();
}
