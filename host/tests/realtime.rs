//! Black-box tests of the realtime relay (`host realtime` and the relay inside `host serve`)
//! against the `realtime-echo` fixture component.
//!
//! They need `target/wasm32-wasip2/release/realtime_echo.wasm` (build it with
//! `cargo build --release --target wasm32-wasip2 -p realtime-echo`, or point
//! `REALTIME_ECHO_WASM` at it); the `host serve` test also needs the `probe` fixture. The Redis
//! test runs when `redis-server` is on the PATH and is skipped (with a note) otherwise; the
//! smoke test of the real component runs when `target/wasm32-wasip2/release/realtime.wasm`
//! exists.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value as Json, json};
mod common;

use common::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const TOKEN: &str = "test-realtime-token";

fn workspace_file(env: &str, rel: &str) -> PathBuf {
    std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel))
}

fn echo_wasm() -> PathBuf {
    let path = workspace_file(
        "REALTIME_ECHO_WASM",
        "target/wasm32-wasip2/release/realtime_echo.wasm",
    );
    assert!(
        path.exists(),
        "{} not found: build it with `cargo build --release --target wasm32-wasip2 -p realtime-echo`",
        path.display()
    );
    path.canonicalize().unwrap()
}

fn temp_dir() -> PathBuf {
    common::temp_dir("realtime")
}

/// A running `host` process; killed on drop.
struct Host {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Host {
    /// `host realtime` with the echo component and the test token.
    fn relay(args: &[&str]) -> Self {
        let echo = echo_wasm();
        let mut all = vec![
            "realtime".to_string(),
            "--realtime-component".to_string(),
            echo.display().to_string(),
            "--var".to_string(),
            format!("realtime_token={TOKEN}"),
            "--var".to_string(),
            "webui_secret_key=relay-secret".to_string(),
        ];
        all.extend(args.iter().map(|s| s.to_string()));
        Self::start(&all, &[])
    }

    /// Starts `host <args> --listen … --db … --cache-dir …` and waits until it listens.
    fn start(args: &[String], env: &[(&str, &str)]) -> Self {
        let dir = temp_dir();
        let port = free_port();
        let log = std::fs::File::create(dir.join("host.log")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_host"));
        cmd.args(args)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--db")
            .arg(dir.join("data/chats.db"))
            .arg("--cache-dir")
            .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("realtime-cache"))
            .env_remove("WEBUI_SECRET_KEY")
            .env_remove("SPIN_VARIABLE_WEBUI_SECRET_KEY")
            .env_remove("SPIN_VARIABLE_REALTIME_TOKEN")
            .env_remove("SPIN_VARIABLE_REDIS_URL")
            .env("RUST_LOG", "info")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut host = Self {
            child: cmd.spawn().unwrap(),
            port,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = host.child.try_wait() {
                panic!("host exited ({status}); log:\n{}", host.log());
            }
            assert!(
                Instant::now() < deadline,
                "host did not start; log:\n{}",
                host.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        host
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("host.log")).unwrap_or_default()
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn connect(&self) -> Ws {
        self.connect_path("/ws/socket.io/?EIO=4&transport=websocket")
            .await
    }

    async fn connect_path(&self, path: &str) -> Ws {
        let url = format!("ws://127.0.0.1:{}{path}", self.port);
        let (ws, resp) = tokio_tungstenite::connect_async(url).await.unwrap();
        assert_eq!(resp.status().as_u16(), 101);
        ws
    }

    /// Connects and reads the fixture's `open:<conn>:…` frame; returns the socket and its id.
    async fn open(&self) -> (Ws, u64) {
        let mut ws = self.connect().await;
        let first = next_text(&mut ws).await;
        let id = first
            .strip_prefix("open:")
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first frame {first:?}"));
        (ws, id)
    }

    async fn publish(&self, token: Option<&str>, body: &str) -> (u16, Json) {
        let mut req = client()
            .post(self.url("/_realtime/publish"))
            .body(body.to_string());
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Json::String(text)),
        )
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

/// The next text frame (pings and pongs skipped), within 10 s.
async fn next_text(ws: &mut Ws) -> String {
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => return t.as_str().to_string(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("no text frame within 10 s")
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

async fn ask(ws: &mut Ws, text: &str) -> String {
    send(ws, text).await;
    next_text(ws).await
}

/// Reads until the socket closes; returns the close code (`None`: closed without a frame).
/// Text frames still in flight are skipped.
async fn close_code(ws: &mut Ws) -> Option<u16> {
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("socket not closed within 10 s")
}

fn event(n: usize, pad: usize) -> String {
    json!({"chat_id": "c1", "message_id": "m1", "user_id": "u1",
           "data": {"type": "status", "data": {"n": n, "pad": "x".repeat(pad)}}})
    .to_string()
}

#[tokio::test]
async fn upgrade_frames_env_sqlite_and_ticks() {
    let host = Host::relay(&[]);
    // Both spellings of the path; the component sees path and query.
    let mut ws = host
        .connect_path("/ws/socket.io?EIO=4&transport=websocket")
        .await;
    let first = next_text(&mut ws).await;
    assert!(
        first.ends_with(":/ws/socket.io?EIO=4&transport=websocket"),
        "{first}"
    );
    let (mut ws, _) = host.open().await;
    assert_eq!(ask(&mut ws, "hello").await, "echo:hello");
    assert_eq!(ask(&mut ws, "héllo ✓").await, "echo:héllo ✓");
    // Configuration reaches the component as WASI env; transport secrets do not.
    assert_eq!(
        ask(&mut ws, "env:WEBUI_SECRET_KEY").await,
        "env:WEBUI_SECRET_KEY=relay-secret"
    );
    assert_eq!(
        ask(&mut ws, "env:REALTIME_TOKEN").await,
        "env:REALTIME_TOKEN"
    );
    // spin:sqlite (sync functions) on the `default` database.
    assert_eq!(ask(&mut ws, "sql:create table t(x)").await, "sql:null");
    assert_eq!(ask(&mut ws, "sql:select 40 + 2").await, "sql:42");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ticks = ask(&mut ws, "ticks").await;
    let n: u64 = ticks.strip_prefix("ticks:").unwrap().parse().unwrap();
    assert!(n >= 1, "{ticks}");

    // Not an upgrade: Open WebUI's 400.
    let resp = client()
        .get(host.url("/ws/socket.io/?EIO=4&transport=websocket"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        resp.json::<Json>().await.unwrap(),
        json!({"detail": "Invalid WebSocket upgrade request"})
    );
    // Other paths are not the relay's.
    let resp = client()
        .get(host.url("/api/v1/chats/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);

    // Binary frames close that socket with 1003.
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(close_code(&mut ws).await, Some(1003));
    // One log line per connection open and close (the close line follows the handshake).
    let deadline = Instant::now() + Duration::from_secs(5);
    while !host.log().contains("realtime connection closed") {
        assert!(
            Instant::now() < deadline,
            "no close line; log:\n{}",
            host.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(host.log().contains("realtime connection open"));
}

#[tokio::test]
async fn rooms_broadcast_and_on_close() {
    let host = Host::relay(&[]);
    let (mut a, a_id) = host.open().await;
    let (mut b, _) = host.open().await;
    let (mut c, _) = host.open().await;
    assert_eq!(ask(&mut a, "join:r").await, "joined:r");
    assert_eq!(ask(&mut a, "join:r").await, "joined:r", "idempotent");
    assert_eq!(ask(&mut b, "join:r").await, "joined:r");
    assert_eq!(ask(&mut c, "join:watchers").await, "joined:watchers");

    // Except the sender.
    assert_eq!(ask(&mut a, "bcast:r:hi").await, "bcast:1");
    assert_eq!(next_text(&mut b).await, "hi");
    // Sender included (the fixture broadcasts before it answers).
    assert_eq!(ask(&mut a, "bcastall:r:all").await, "all");
    assert_eq!(next_text(&mut a).await, "bcast:2");
    assert_eq!(next_text(&mut b).await, "all");
    // c is in no such room: the next thing it sees is its own echo.
    assert_eq!(ask(&mut c, "ping").await, "echo:ping");
    // Unknown room.
    assert_eq!(ask(&mut c, "bcastall:nobody:x").await, "bcast:0");

    assert_eq!(ask(&mut b, "leave:r").await, "left:r");
    assert_eq!(ask(&mut a, "bcastall:r:solo").await, "solo");
    assert_eq!(next_text(&mut a).await, "bcast:1");
    assert_eq!(ask(&mut b, "join:r").await, "joined:r");

    // A closing connection leaves its rooms before on-close runs.
    a.close(None).await.unwrap();
    assert_eq!(next_text(&mut c).await, format!("closed:{a_id}"));
    assert_eq!(ask(&mut b, "bcastall:r:after").await, "after");
    assert_eq!(next_text(&mut b).await, "bcast:1");

    // The component may close a connection, with its code.
    send(&mut b, "close:4001").await;
    assert_eq!(close_code(&mut b).await, Some(4001));
}

#[tokio::test]
async fn publish_endpoint_auth_and_delivery() {
    let host = Host::relay(&[]);
    let (mut ws, _) = host.open().await;
    assert_eq!(ask(&mut ws, "join:events").await, "joined:events");
    let body = event(1, 0);

    let (status, json) = host.publish(None, &body).await;
    assert_eq!(status, 401);
    assert!(json["detail"].is_string(), "{json}");
    let (status, json) = host.publish(Some("wrong"), &body).await;
    assert_eq!(status, 401);
    assert!(json["detail"].is_string(), "{json}");
    let (status, json) = host.publish(Some(TOKEN), "{not json").await;
    assert_eq!(status, 422);
    assert_eq!(json["detail"][0]["type"], "json_invalid", "{json}");
    let (status, _) = host.publish(Some(TOKEN), "[1, 2]").await;
    assert_eq!(status, 422);
    let resp = client()
        .get(host.url("/_realtime/publish"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);

    let (status, json) = host.publish(Some(TOKEN), &body).await;
    assert_eq!(status, 202);
    assert_eq!(json, json!({"accepted": true}));
    let got = next_text(&mut ws).await;
    let relayed: Json = serde_json::from_str(got.strip_prefix("publish:").unwrap()).unwrap();
    assert_eq!(relayed, serde_json::from_str::<Json>(&body).unwrap());
}

#[tokio::test]
async fn oversized_frame_closes_only_that_socket() {
    let host = Host::relay(&["--ws-max-frame-bytes", "1024"]);
    let (mut big, _) = host.open().await;
    let (mut other, _) = host.open().await;
    assert_eq!(
        ask(&mut big, &"y".repeat(1000)).await.len(),
        1005,
        "under the cap"
    );
    send(&mut big, &"x".repeat(2000)).await;
    assert_eq!(close_code(&mut big).await, Some(1009));
    assert_eq!(ask(&mut other, "still here").await, "echo:still here");
    // The publish body shares the cap.
    let (status, _) = host.publish(Some(TOKEN), &event(1, 4000)).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn slow_consumer_is_disconnected_others_keep_receiving() {
    let host = Host::relay(&["--ws-queue-frames", "8"]);
    let (mut slow, _) = host.open().await;
    let (mut fast, _) = host.open().await;
    assert_eq!(ask(&mut slow, "join:events").await, "joined:events");
    assert_eq!(ask(&mut fast, "join:events").await, "joined:events");

    const EVENTS: usize = 300;
    const PAD: usize = 64 * 1024;
    // The fast client reads everything as it comes; the slow one never reads.
    let reader = tokio::spawn(async move {
        for _ in 0..EVENTS {
            let text = next_text(&mut fast).await;
            assert!(
                text.starts_with("publish:"),
                "{}",
                &text[..text.len().min(80)]
            );
        }
        fast
    });
    for n in 0..EVENTS {
        let (status, _) = host.publish(Some(TOKEN), &event(n, PAD)).await;
        assert_eq!(status, 202);
    }
    let mut fast = reader.await.unwrap();
    assert_eq!(ask(&mut fast, "after").await, "echo:after");

    // The slow client finds a few buffered frames, then the end: never all of them.
    let drain = async {
        let mut got = 0;
        loop {
            match slow.next().await {
                Some(Ok(Message::Text(_))) => got += 1,
                Some(Ok(Message::Close(frame))) => return (got, frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return (got, None),
            }
        }
    };
    let (got, _code) = tokio::time::timeout(Duration::from_secs(20), drain)
        .await
        .unwrap();
    assert!(got < EVENTS, "slow client received all {got} frames");
    let log = host.log();
    assert!(log.contains("outbound queue full"), "{log}");
}

#[tokio::test]
async fn trap_and_runaway_call_restart_the_component() {
    let host = Host::relay(&["--realtime-watchdog", "1"]);
    let (mut a, _) = host.open().await;
    let (mut b, _) = host.open().await;
    send(&mut a, "trap").await;
    assert_eq!(close_code(&mut a).await, Some(1011));
    assert_eq!(close_code(&mut b).await, Some(1011));
    // A fresh instance: new connections work, its state starts over.
    let (mut c, _) = host.open().await;
    assert_eq!(ask(&mut c, "hello").await, "echo:hello");

    // A call that never returns is stopped by the watchdog.
    let started = Instant::now();
    send(&mut c, "loop").await;
    assert_eq!(close_code(&mut c).await, Some(1011));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let (mut d, _) = host.open().await;
    assert_eq!(ask(&mut d, "hello").await, "echo:hello");
    let log = host.log();
    assert!(log.contains("realtime component trapped"), "{log}");
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_exits_0() {
    let mut host = Host::relay(&[]);
    let (mut ws, _) = host.open().await;
    assert_eq!(ask(&mut ws, "hello").await, "echo:hello");
    host.sigterm();
    assert_eq!(close_code(&mut ws).await, Some(1001));
    let status = host.wait_exit(Duration::from_secs(20));
    assert!(status.success(), "exit {status}; log:\n{}", host.log());
}

fn probe_manifest(probe: &Path) -> String {
    format!(
        r#"
spin_manifest_version = 2
[application]
name = "realtime-serve-test"
[variables]
webui_secret_key = {{ required = true, secret = true }}
realtime_url = {{ default = "http://example.invalid/_realtime/publish" }}
realtime_token = {{ default = "", secret = true }}
realtime_origin = {{ default = "http://example.invalid" }}

[[trigger.http]]
route = "/probe/var/:name"
component = "probe"

[component.probe]
source = "{probe}"
allowed_outbound_hosts = ["{{{{ realtime_origin }}}}"]
[component.probe.variables]
realtime_url = "{{{{ realtime_url }}}}"
realtime_token = "{{{{ realtime_token }}}}"
"#,
        probe = probe.display()
    )
}

#[tokio::test]
async fn serve_runs_the_relay_on_the_api_port_and_tells_components() {
    let probe = workspace_file("PROBE_WASM", "target/wasm32-wasip2/release/probe.wasm");
    assert!(
        probe.exists(),
        "{} not found: build the probe fixture",
        probe.display()
    );
    let dir = temp_dir();
    let manifest = dir.join("spin.toml");
    std::fs::write(&manifest, probe_manifest(&probe.canonicalize().unwrap())).unwrap();
    let args: Vec<String> = [
        "serve",
        "--manifest",
        manifest.to_str().unwrap(),
        "--realtime-component",
        echo_wasm().to_str().unwrap(),
        "--var",
        "webui_secret_key=serve-secret",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let host = Host::start(&args, &[]);

    let var = |name: &'static str| {
        let url = host.url(&format!("/probe/var/{name}"));
        async move {
            let body: Json = client()
                .get(url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["value"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(var("realtime_url").await, host.url("/_realtime/publish"));
    let token = var("realtime_token").await;
    assert_eq!(token.len(), 64, "a random per-process token: {token:?}");

    let (mut ws, _) = host.open().await;
    assert_eq!(
        ask(&mut ws, "env:WEBUI_SECRET_KEY").await,
        "env:WEBUI_SECRET_KEY=serve-secret"
    );
    assert_eq!(ask(&mut ws, "join:events").await, "joined:events");
    let (status, _) = host.publish(Some("wrong"), &event(1, 0)).await;
    assert_eq!(status, 401);
    let (status, _) = host.publish(Some(&token), &event(1, 0)).await;
    assert_eq!(status, 202);
    assert!(next_text(&mut ws).await.starts_with("publish:"));
}

/// A `redis-server` on a free port, killed (by PID) on drop.
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start() -> Option<Self> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn redis_fans_out_between_relays() {
    let Some(redis) = RedisServer::start() else {
        // scripts/test installs redis-server and sets REQUIRE_REDIS, so CI never skips this.
        assert!(std::env::var_os("REQUIRE_REDIS").is_none(), "REQUIRE_REDIS is set but redis-server is missing");
        eprintln!("redis-server not available: skipping redis_fans_out_between_relays");
        return;
    };
    let url = redis.url();
    let relay1 = Host::relay(&["--redis", &url]);
    let relay2 = Host::relay(&["--redis", &url]);
    let (mut on2, _) = relay2.open().await;
    assert_eq!(ask(&mut on2, "join:events").await, "joined:events");
    let (mut on1, _) = relay1.open().await;
    assert_eq!(ask(&mut on1, "join:events").await, "joined:events");

    // Subscriptions are made in the background: publish until relay 2 has one.
    let deadline = Instant::now() + Duration::from_secs(20);
    let got = loop {
        let (status, json) = relay1.publish(Some(TOKEN), &event(1, 0)).await;
        assert_eq!(status, 202, "{json}");
        if let Ok(Some(Ok(Message::Text(t)))) =
            tokio::time::timeout(Duration::from_millis(300), on2.next()).await
        {
            break t.as_str().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "relay 2 never received; log:\n{}",
            relay2.log()
        );
    };
    assert!(got.starts_with("publish:"), "{got}");
    // Relay 1's own clients get it too, through Redis.
    assert!(next_text(&mut on1).await.starts_with("publish:"));

    // Redis down: publishing answers 503, the relay keeps serving its sockets.
    drop(redis);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, json) = relay1.publish(Some(TOKEN), &event(2, 0)).await;
    assert_eq!(status, 503, "{json}");
    assert!(json["detail"].is_string());
    // Drain whatever relay 1's client still had queued, then check it is alive.
    send(&mut on1, "alive?").await;
    loop {
        let t = next_text(&mut on1).await;
        if t == "echo:alive?" {
            break;
        }
    }
}

#[tokio::test]
async fn smoke_real_realtime_component() {
    let path = workspace_file(
        "REALTIME_WASM",
        "target/wasm32-wasip2/release/realtime.wasm",
    );
    if !path.exists() {
        assert!(std::env::var_os("REQUIRE_REDIS").is_none(), "scripts/test builds realtime.wasm; it is missing");
        eprintln!("{} not built: skipping the smoke test", path.display());
        return;
    }
    let args: Vec<String> = [
        "realtime",
        "--realtime-component",
        path.to_str().unwrap(),
        "--var",
        "webui_secret_key=smoke-secret",
        "--var",
        "realtime_token=smoke",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let host = Host::start(&args, &[]);
    let mut ws = host.connect().await;
    let open = next_text(&mut ws).await;
    // Engine.IO v4 open packet: `0{"sid":…,"pingInterval":…}`.
    assert!(open.starts_with('0'), "{open}");
    let packet: Json = serde_json::from_str(&open[1..]).unwrap();
    assert!(packet["sid"].is_string(), "{open}");
}
