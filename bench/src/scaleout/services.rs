//! The processes around the hosts under test: a libSQL server (`sqld`), a `redis-server` and
//! `host realtime` relays, each on a free loopback port with its log in its own temp dir and
//! killed by PID when its [`Process`] guard drops.

use bench::host::{SECRET, free_port, temp_dir};
use bench::process::Process;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Starts `sqld` with its data in a fresh temp dir, as the tests do; returns once
/// `GET /health` answers.
pub async fn sqld(binary: &Path) -> Result<Process, String> {
    let dir = temp_dir("bench-sqld")?;
    let port = free_port()?;
    let mut command = Command::new(binary);
    command
        .arg("--db-path")
        .arg(dir.join("data.sqld"))
        .arg("--http-listen-addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--no-welcome")
        .arg("--disable-metrics")
        .current_dir(&dir);
    let mut sqld = Process::spawn("sqld", command, dir, format!("http://127.0.0.1:{port}"))?;
    sqld.wait_port(port, Duration::from_secs(30)).await?;
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = http.get(format!("{}/health", sqld.url)).send().await
            && response.status().is_success()
        {
            return Ok(sqld);
        }
        sqld.check_alive()?;
        if Instant::now() >= deadline {
            return Err("sqld did not answer /health within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts `redis-server` without persistence.
pub async fn redis() -> Result<Process, String> {
    let dir = temp_dir("bench-redis")?;
    let port = free_port()?;
    let mut command = Command::new("redis-server");
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .current_dir(&dir);
    let url = format!("redis://127.0.0.1:{port}");
    let mut redis = Process::spawn("redis-server", command, dir, url)?;
    redis.wait_port(port, Duration::from_secs(10)).await?;
    Ok(redis)
}

/// How a relay is started.
pub struct RelayOptions<'a> {
    /// The `host` binary.
    pub binary: &'a Path,
    /// The repository root (the built realtime component, the component cache).
    pub repo: &'a Path,
    /// The libSQL server the relay reads users from (`--db-url`).
    pub db_url: &'a str,
    /// `redis://…`.
    pub redis_url: &'a str,
    /// The publish token (`realtime_token`).
    pub publish_token: &'a str,
}

/// Starts `host realtime` on the shared database and Redis; returns once it listens.
pub async fn relay(options: &RelayOptions<'_>) -> Result<Process, String> {
    let dir = temp_dir("bench-relay")?;
    let port = free_port()?;
    let mut command = Command::new(options.binary);
    command
        .current_dir(options.repo)
        .arg("realtime")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--db-url")
        .arg(options.db_url)
        .arg("--redis")
        .arg(options.redis_url)
        .arg("--realtime-component")
        .arg(
            options
                .repo
                .join("target/wasm32-wasip2/release/realtime.wasm"),
        )
        .arg("--cache-dir")
        .arg(options.repo.join("target").join("component-cache"))
        .arg("--var")
        .arg(format!("realtime_token={}", options.publish_token))
        .arg("--var")
        .arg(format!("webui_secret_key={SECRET}"))
        .env("RUST_LOG", "warn");
    let url = format!("http://127.0.0.1:{port}");
    let mut relay = Process::spawn("relay", command, dir, url)?;
    relay.wait_port(port, Duration::from_secs(120)).await?;
    Ok(relay)
}
