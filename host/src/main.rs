//! `host`: the command line of the native host.
//!
//! `host serve` runs the components of a Spin manifest like `spin up` does:
//!
//! ```text
//! host serve [--listen 127.0.0.1:3000] [--db .data/chats.db | --db-url URL [--db-token T]]
//!            [--manifest spin.toml]
//!            [--var name=value]... [--cache-dir .data/cache]
//!            [--max-instance-reuse-count N] [--max-instance-concurrent-reuse-count N]
//!            [relay flags]
//! ```
//!
//! It also serves the realtime relay on the same port (`/ws/socket.io`, and
//! `POST /_realtime/publish` for the components' events) when the realtime component exists.
//! `host realtime` runs the relay alone, next to a Spin deployment:
//!
//! ```text
//! host realtime [--listen 127.0.0.1:3001] [--db .data/chats.db | --db-url URL [--db-token T]]
//!               [--var name=value]...
//!               [--cache-dir .data/cache] [relay flags]
//! relay flags:  [--realtime-component target/wasm32-wasip2/release/realtime.wasm]
//!               [--redis redis://host:6379] [--ws-max-frame-bytes 1048576]
//!               [--ws-queue-frames 1024] [--realtime-watchdog 10]
//! ```
//!
//! `--db-url` (or `LIBSQL_URL`) serves the `default` database from a libSQL server (sqld,
//! Turso) instead of a local file, with `--db-token` (or `LIBSQL_AUTH_TOKEN`).
//! `--runtime-config-file FILE` takes the database from Spin's runtime config instead
//! (`[sqlite_database.default]`, see [`host::runtime_config`]).
//!
//! Logging goes through `tracing` (filter with `RUST_LOG`, default `info`). Ctrl-C or SIGTERM
//! stops accepting connections, lets in-flight requests finish and exits 0.

use anyhow::Result;
use clap::{Parser, Subcommand};
use host::realtime::RelayLimits;
use host::runtime::ReuseConfig;
use host::serve::{RealtimeConfig, RealtimeOptions, ServeOptions, realtime, serve};
use host::sqlite::DatabaseLocation;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "host",
    version,
    about = "Runs the chat components like `spin up` does"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP components of a Spin manifest (and the realtime relay).
    Serve(ServeArgs),
    /// Serve only the realtime relay (WebSockets at /ws/socket.io, POST /_realtime/publish).
    Realtime(RealtimeArgs),
}

#[derive(clap::Args)]
struct RealtimeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3001")]
    listen: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    /// Set a variable (`webui_secret_key`, `realtime_token`, `redis_url`, ...), before
    /// SPIN_VARIABLE_<NAME> and Open WebUI's <NAME>.
    #[arg(long = "var", visible_alias = "variable", value_name = "NAME=VALUE", value_parser = host::variables::parse_cli_var)]
    vars: Vec<(String, String)>,
    /// Where compiled components are cached.
    #[arg(long, default_value = ".data/cache")]
    cache_dir: PathBuf,
    #[command(flatten)]
    relay: RelayArgs,
}

/// Where the `default` database is, shared by `serve` and `realtime`.
#[derive(clap::Args)]
struct DbArgs {
    /// SQLite/libSQL file behind the `default` database (its directory is created).
    #[arg(long, default_value = ".data/chats.db")]
    db: PathBuf,
    /// A libSQL server (sqld, Turso) behind the `default` database instead of the file:
    /// `http://`, `https://` or `libsql://` URL.
    #[arg(long, env = "LIBSQL_URL", conflicts_with = "db")]
    db_url: Option<String>,
    /// Auth token for `--db-url` (a JWT for Turso; none for a local sqld without auth).
    #[arg(long, env = "LIBSQL_AUTH_TOKEN", hide_env_values = true)]
    db_token: Option<String>,
    /// A Spin runtime config file (what `spin up --runtime-config-file` reads): its
    /// `[sqlite_database.default]` selects the database (type "spin" with `path`, or
    /// "libsql" with `url` and `token`); without that table, `--db`'s default applies.
    #[arg(long, conflicts_with_all = ["db", "db_url"])]
    runtime_config_file: Option<PathBuf>,
}

impl DbArgs {
    fn location(self) -> Result<DatabaseLocation> {
        if let Some(file) = &self.runtime_config_file {
            let config = host::runtime_config::load(file, &std::env::current_dir()?)?;
            for table in &config.ignored {
                tracing::warn!(
                    "runtime config {}: [{table}] is not used by this host",
                    file.display()
                );
            }
            if let Some(location) = config.default_database {
                return Ok(location);
            }
        }
        Ok(match self.db_url {
            Some(url) => DatabaseLocation::Remote {
                url,
                token: self.db_token.unwrap_or_default(),
            },
            None => DatabaseLocation::File(self.db),
        })
    }
}

/// Flags of the realtime relay, shared by `serve` and `realtime`.
#[derive(clap::Args)]
struct RelayArgs {
    /// The realtime component [default: target/wasm32-wasip2/release/realtime.wasm; `serve`
    /// runs without a relay when that file does not exist].
    #[arg(long)]
    realtime_component: Option<PathBuf>,
    /// Redis URL: publish events there and relay what every relay publishes (else the
    /// `redis_url` variable).
    #[arg(long)]
    redis: Option<String>,
    /// Largest WebSocket frame (and published event) accepted, in bytes; larger frames close
    /// the socket with 1009.
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(1..))]
    ws_max_frame_bytes: u64,
    /// Frames queued per connection; a client that falls this far behind is disconnected.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    ws_queue_frames: u64,
    /// Seconds one call into the realtime component may run before it is stopped (trap) and
    /// the component restarted.
    #[arg(long, default_value_t = 10.0)]
    realtime_watchdog: f64,
}

impl RelayArgs {
    fn config(self) -> Result<RealtimeConfig> {
        Ok(RealtimeConfig {
            component: self.realtime_component,
            redis_url: self.redis,
            limits: RelayLimits {
                max_frame_bytes: usize::try_from(self.ws_max_frame_bytes)?,
                queue_frames: usize::try_from(self.ws_queue_frames)?,
                watchdog: Duration::try_from_secs_f64(self.realtime_watchdog)
                    .map_err(|e| anyhow::anyhow!("--realtime-watchdog: {e}"))?,
                ..RelayLimits::default()
            },
        })
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    /// The Spin manifest to run.
    #[arg(long, default_value = "spin.toml")]
    manifest: PathBuf,
    /// Set an application variable (highest priority, before SPIN_VARIABLE_<NAME>).
    #[arg(long = "var", visible_alias = "variable", value_name = "NAME=VALUE", value_parser = host::variables::parse_cli_var)]
    vars: Vec<(String, String)>,
    /// Where compiled components are cached.
    #[arg(long, default_value = ".data/cache")]
    cache_dir: PathBuf,
    /// Requests one component instance serves before it is dropped (Spin's default: 128).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..))]
    max_instance_reuse_count: u64,
    /// Requests one component instance serves concurrently (Spin's default: 16).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    max_instance_concurrent_reuse_count: u64,
    /// Seconds an idle instance is kept for reuse (Spin's default: 1).
    #[arg(long, default_value_t = 1.0)]
    idle_instance_timeout: f64,
    /// Seconds a request may take to produce its response (default: no limit).
    #[arg(long)]
    request_timeout: Option<f64>,
    /// Largest request body accepted, in bytes; larger ones get 413 (default 16 MiB).
    #[arg(long, default_value_t = host::http_trigger::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: u64,
    #[command(flatten)]
    relay: RelayArgs,
}

fn main() -> Result<()> {
    host::malloc::configure();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(run_serve(args)),
        Command::Realtime(args) => runtime.block_on(run_realtime(args)),
    }
}

async fn run_realtime(args: RealtimeArgs) -> Result<()> {
    let opts = RealtimeOptions {
        listen: args.listen,
        db: args.db.location()?,
        vars: args.vars.into_iter().collect(),
        cache_dir: args.cache_dir,
        realtime: args.relay.config()?,
    };
    realtime(opts, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn run_serve(args: ServeArgs) -> Result<()> {
    let seconds = |s: f64| Duration::try_from_secs_f64(s).map_err(|e| anyhow::anyhow!("{e}"));
    let opts = ServeOptions {
        listen: args.listen,
        db: args.db.location()?,
        manifest: args.manifest,
        vars: args.vars.into_iter().collect(),
        cache_dir: args.cache_dir,
        reuse: ReuseConfig {
            max_instance_reuse_count: usize::try_from(args.max_instance_reuse_count)?,
            max_instance_concurrent_reuse_count: usize::try_from(
                args.max_instance_concurrent_reuse_count,
            )?,
            idle_instance_timeout: seconds(args.idle_instance_timeout)?,
            request_timeout: args.request_timeout.map(seconds).transpose()?,
        },
        realtime: args.relay.config()?,
        max_body_bytes: args.max_body_bytes,
    };
    serve(opts, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
