//! The host under test: `host serve` on a free loopback port with a temporary database (or a
//! libSQL server), a known `realtime_token` and secret, killed by PID when the benchmark ends —
//! also on error or Ctrl-C, since [`Host`] kills it on drop.
//!
//! Also what the benchmark reads about the process from `/proc`: peak RSS and CPU time.

use crate::process::Process;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Signs the users' JWTs; any value works, it only has to be fixed for the run (and equal
/// in the host and in `bench-api`'s in-process core, which seeds the same database).
pub const SECRET: &str = "bench-secret-0123456789abcdef";

/// How the host is started.
pub struct HostOptions {
    /// The `host` binary.
    pub binary: PathBuf,
    /// The repository root (spin.toml, target/wasm32-wasip2/release, the component cache).
    pub repo: PathBuf,
    /// Extra arguments after `host serve ...` (e.g. `--ws-queue-frames 4096`).
    pub extra_args: Vec<String>,
    /// The database file [default: a fresh one in the host's temp dir].
    pub db: Option<PathBuf>,
    /// A libSQL server (`http://…` of sqld) instead of a file (`--db-url`); wins over `db`.
    pub db_url: Option<String>,
}

/// A running host; killed (SIGKILL, by PID) and its temp dir removed on drop.
pub struct Host {
    process: Process,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The bearer token of `POST /_realtime/publish`.
    pub realtime_token: String,
    http: reqwest::Client,
}

impl Host {
    /// Starts the host; returns once it is spawned (see [`Host::wait_ready`]).
    pub fn start(options: &HostOptions) -> Result<Self, String> {
        let dir = temp_dir("bench-host")?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let port = free_port()?;
        let realtime_token = format!("bench-{}-{nanos}", std::process::id());
        // The host logs warnings per slow client it drops; a thousand of them would bury the
        // report, so they go to a file (host.log in its dir) whose tail is shown at the end.
        let mut command = Command::new(&options.binary);
        command
            .current_dir(&options.repo)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(database_args(options, &dir))
            .arg("--manifest")
            .arg(options.repo.join("spin.toml"))
            // The tests' cache: compiled components are reused across runs and with the tests.
            .arg("--cache-dir")
            .arg(options.repo.join("target").join("component-cache"))
            .arg("--var")
            .arg(format!("realtime_token={realtime_token}"))
            .args(&options.extra_args)
            .env("SPIN_VARIABLE_WEBUI_SECRET_KEY", SECRET)
            .env(
                "RUST_LOG",
                std::env::var("BENCH_HOST_LOG").unwrap_or_else(|_| "warn".into()),
            );
        let base = format!("http://127.0.0.1:{port}");
        Ok(Self {
            process: Process::spawn("host", command, dir, base.clone())?,
            base,
            realtime_token,
            http: reqwest::Client::new(),
        })
    }

    /// The host's process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Errors when the host process has exited.
    pub fn check_alive(&mut self) -> Result<(), String> {
        self.process.check_alive()
    }

    /// Waits until the API answers (the first start compiles the components, which a debug
    /// host takes a while to do).
    pub async fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            self.check_alive()?;
            if self
                .http
                .get(format!("{}/api/v1/auths/", self.base))
                .send()
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "the host did not answer on {} within {limit:?}",
            self.base
        ))
    }

    /// Signs up the benchmark's user (the first user, hence an admin); returns `(token, id)`.
    pub async fn signup(&self) -> Result<(String, String), String> {
        let body = json!({"name": "Bench", "email": "bench@example.com", "password": "Passw0rd!"});
        let response = self
            .http
            .post(format!("{}/api/v1/auths/signup", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("signup: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("signup: {e}"))?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        match (value["token"].as_str(), value["id"].as_str()) {
            (Some(token), Some(id)) if status.is_success() => Ok((token.to_owned(), id.to_owned())),
            _ => Err(format!("signup answered {status}: {text:.200}")),
        }
    }

    /// The last `lines` lines the host logged.
    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    /// Lines the host logged so far.
    pub fn log_lines(&self) -> usize {
        self.process.log_lines()
    }
}

/// `--db-url URL` or `--db FILE`.
fn database_args(options: &HostOptions, dir: &Path) -> [OsString; 2] {
    match &options.db_url {
        Some(url) => ["--db-url".into(), url.into()],
        None => {
            let file = options.db.clone().unwrap_or_else(|| dir.join("chats.db"));
            ["--db".into(), file.into_os_string()]
        }
    }
}

/// A free loopback TCP port (bound, read, released: another process could take it first,
/// which the caller sees as a failed start).
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| format!("find a free port: {e}"))
}

/// Creates a fresh directory `<temp>/<prefix>-<pid>-<nanos>`; the caller removes it.
pub fn temp_dir(prefix: &str) -> Result<PathBuf, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// A process's peak resident set size (`VmHWM`), in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmHWM:")
}

/// A process's current resident set size (`VmRSS`), in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmRSS:")
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// CPU time (user + system) a process has used, in seconds. `pid` `None` is this process.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |pid| format!("/proc/{pid}/stat"),
    );
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the `(comm)`, which may itself contain spaces; utime and stime are the
    // 14th and 15th fields overall, i.e. the 12th and 13th after the comm.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux ABI that matters here; reading it needs sysconf (libc).
    Some(ticks as f64 / 100.0)
}

/// The soft limit on open files (`Max open files` in /proc/self/limits).
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The default host binary: the release build when it exists.
pub fn default_binary(repo: &Path) -> PathBuf {
    repo.join("target").join("release").join("host")
}

/// The repository root (canonical) and the host binary (`host_bin`, else the release build),
/// checked to exist.
pub fn locate(repo: &Path, host_bin: Option<&Path>) -> Result<(PathBuf, PathBuf), String> {
    let repo = repo
        .canonicalize()
        .map_err(|e| format!("--repo {}: {e}", repo.display()))?;
    let binary = host_bin.map_or_else(|| default_binary(&repo), Path::to_path_buf);
    if !binary.exists() {
        return Err(format!(
            "no host binary at {} (cargo build --release -p host, or pass --host-bin)",
            binary.display()
        ));
    }
    Ok((repo, binary))
}
