//! `host serve`: load the manifest, resolve variables, open the database, compile the
//! components, build the router, start the realtime relay, and serve HTTP and WebSockets on
//! one port until told to stop. `host realtime`: the relay alone.
//!
//! In `host serve` the HTTP components reach the in-process relay through three application
//! variables the host supplies when neither `--var` nor the environment sets them (so the
//! same `spin.toml` points elsewhere under `spin up`):
//! - `realtime_origin` = `http://<listen address>` (for `allowed_outbound_hosts`);
//! - `realtime_url` = `http://<listen address>/_realtime/publish`;
//! - `realtime_token` = the manifest default if it has one, else a random per-process token.

use crate::http_trigger::HttpTrigger;
use crate::manifest::Manifest;
use crate::realtime::settings::{Lookup, component_env, random_token};
use crate::realtime::{Relay, RelayLimits, RelayOptions};
use crate::router::Router;
use crate::runtime::{ReuseConfig, Runtime, RuntimeConfig};
use crate::sqlite::{DatabaseLocation, SqliteDatabases};
use crate::variables::{ResolvedVariables, VariableSources};
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Everything `host serve` needs to know.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The `default` database: a SQLite/libSQL file or a libSQL server.
    pub db: DatabaseLocation,
    /// The Spin manifest.
    pub manifest: PathBuf,
    /// `--var name=value` pairs.
    pub vars: HashMap<String, String>,
    /// Compiled-component cache directory.
    pub cache_dir: PathBuf,
    /// Instance reuse policy.
    pub reuse: ReuseConfig,
    /// The realtime relay.
    pub realtime: RealtimeConfig,
    /// Largest request body accepted (413 above it).
    pub max_body_bytes: u64,
}

/// Realtime relay settings shared by `host serve` and `host realtime`.
#[derive(Debug, Clone, Default)]
pub struct RealtimeConfig {
    /// The realtime component. `None`: `target/wasm32-wasip2/release/realtime.wasm` next to the
    /// manifest (or the current directory), and `host serve` runs without a relay if it is
    /// missing.
    pub component: Option<PathBuf>,
    /// Redis URL for fan-out between relays (else the `redis_url` variable).
    pub redis_url: Option<String>,
    /// Limits.
    pub limits: RelayLimits,
}

/// Everything `host realtime` needs to know.
#[derive(Debug, Clone)]
pub struct RealtimeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The `default` database: a SQLite/libSQL file or a libSQL server.
    pub db: DatabaseLocation,
    /// `--var name=value` pairs.
    pub vars: HashMap<String, String>,
    /// Compiled-component cache directory.
    pub cache_dir: PathBuf,
    /// The relay.
    pub realtime: RealtimeConfig,
}

/// Where the realtime component is built, relative to the workspace.
const DEFAULT_REALTIME_WASM: &str = "target/wasm32-wasip2/release/realtime.wasm";

async fn open_database(db: &DatabaseLocation) -> Result<Arc<SqliteDatabases>> {
    if let DatabaseLocation::File(path) = db
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create database directory {}", dir.display()))?;
    }
    Ok(Arc::new(SqliteDatabases::open_default(db).await?))
}

/// The address other processes on this machine reach a listener on (`0.0.0.0` → loopback).
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

/// Starts the relay, or `None` when `host serve` has no realtime component to run.
async fn start_relay(
    config: &RealtimeConfig,
    base_dir: &Path,
    lookup: &Lookup<'_>,
    token: String,
    cache_dir: &Path,
    databases: Arc<SqliteDatabases>,
    optional: bool,
) -> Result<Option<Arc<Relay>>> {
    let component = match &config.component {
        Some(path) => path.clone(),
        None => {
            let path = base_dir.join(DEFAULT_REALTIME_WASM);
            if optional && !path.exists() {
                tracing::warn!(
                    "realtime relay disabled: {} not found (build it, or pass --realtime-component)",
                    path.display()
                );
                return Ok(None);
            }
            path
        }
    };
    let redis_url = config
        .redis_url
        .clone()
        .or_else(|| lookup.non_empty("redis_url"));
    let relay = Relay::start(
        RelayOptions {
            component,
            cache_dir: cache_dir.to_path_buf(),
            env: component_env(lookup),
            token,
            redis_url,
            limits: config.limits,
        },
        databases,
    )
    .await?;
    Ok(Some(relay))
}

/// Builds the application and serves it until `shutdown` resolves.
pub async fn serve(opts: ServeOptions, shutdown: impl Future<Output = ()>) -> Result<()> {
    let manifest = Manifest::load(&opts.manifest)?;
    // Bound first: the relay's URL (a variable the components see) needs the real port.
    let listener = TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("cannot listen on {}", opts.listen))?;
    let local = listener.local_addr()?;

    let mut sources = VariableSources::from_process(opts.vars.clone());
    let token = sources
        .cli
        .get("realtime_token")
        .or_else(|| sources.env.get("SPIN_VARIABLE_REALTIME_TOKEN"))
        .cloned()
        .or_else(|| {
            manifest
                .variables
                .get("realtime_token")
                .and_then(|d| d.default.clone())
        })
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(random_token);
    let origin = format!("http://{}", reachable(local));
    sources.host_defaults.extend([
        (
            "realtime_url".to_string(),
            format!("{origin}{}", crate::realtime::publish::PATH),
        ),
        ("realtime_origin".to_string(), origin),
        ("realtime_token".to_string(), token.clone()),
    ]);
    let variables = ResolvedVariables::resolve(&manifest, &sources)?;
    let databases = open_database(&opts.db).await?;

    let routes: Vec<(&str, &str)> = manifest
        .http_triggers
        .iter()
        .filter_map(|t| t.route.as_deref().map(|r| (t.component.as_str(), r)))
        .collect();
    let (router, duplicates) = Router::build(manifest.base(), routes)?;
    for d in duplicates {
        tracing::warn!(
            "route {} is declared by both {} and {}; {} serves it",
            d.route,
            d.replaced_id,
            d.effective_id,
            d.effective_id
        );
    }

    let config = RuntimeConfig {
        cache_dir: opts.cache_dir.clone(),
        reuse: opts.reuse,
    };
    let runtime = {
        let manifest = manifest.clone();
        let variables = variables.clone();
        let databases = databases.clone();
        // Compiling is CPU-bound and may take seconds: keep it off the async workers.
        tokio::task::spawn_blocking(move || {
            Runtime::build(&manifest, &variables, databases, &config)
        })
        .await??
    };

    let lookup = Lookup {
        manifest: Some(&variables),
        cli: &sources.cli,
        env: &sources.env,
    };
    let relay = start_relay(
        &opts.realtime,
        &manifest.base_dir,
        &lookup,
        token,
        &opts.cache_dir,
        databases.clone(),
        opts.realtime.component.is_none(),
    )
    .await?;

    tracing::info!(
        "serving {} on http://{local} (database {})",
        manifest.application.name.as_deref().unwrap_or("<unnamed>"),
        opts.db
    );
    for (route, component) in router.routes() {
        tracing::info!("  http://{local}{route} -> {component}");
    }
    let mut trigger = HttpTrigger::new(router, runtime).with_max_body_bytes(opts.max_body_bytes);
    if let Some(relay) = relay {
        tracing::info!("  ws://{local}/ws/socket.io -> realtime");
        tracing::info!(
            "  http://{local}{} -> realtime (publish)",
            crate::realtime::publish::PATH
        );
        trigger = trigger.with_relay(relay);
    }
    Arc::new(trigger).serve(listener, shutdown).await
}

/// `host realtime`: serves only the relay (`/ws/socket.io`, `/_realtime/publish`) until
/// `shutdown` resolves.
pub async fn realtime(opts: RealtimeOptions, shutdown: impl Future<Output = ()>) -> Result<()> {
    let listener = TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("cannot listen on {}", opts.listen))?;
    let local = listener.local_addr()?;
    let env: HashMap<String, String> = std::env::vars().collect();
    let lookup = Lookup {
        manifest: None,
        cli: &opts.vars,
        env: &env,
    };
    let token = lookup.non_empty("realtime_token").unwrap_or_else(|| {
        tracing::warn!(
            "realtime_token is not set (--var realtime_token=... or SPIN_VARIABLE_REALTIME_TOKEN): \
             using a random token, so nothing can publish to this relay's endpoint"
        );
        random_token()
    });
    let databases = open_database(&opts.db).await?;
    let base_dir = std::env::current_dir()?;
    let relay = start_relay(
        &opts.realtime,
        &base_dir,
        &lookup,
        token,
        &opts.cache_dir,
        databases,
        false,
    )
    .await?
    .context("no realtime component")?;
    let (router, _) = Router::build("/", std::iter::empty())?;
    tracing::info!(
        "realtime relay on ws://{local}/ws/socket.io, publish at http://{local}{} (database {})",
        crate::realtime::publish::PATH,
        opts.db
    );
    let trigger = HttpTrigger::new(router, Runtime::empty()).with_relay(relay);
    Arc::new(trigger).serve(listener, shutdown).await
}
