//! `host serve`: load the manifest, resolve variables, open the database, compile the
//! components, build the router, and serve HTTP until told to stop.

use crate::http_trigger::HttpTrigger;
use crate::manifest::Manifest;
use crate::router::Router;
use crate::runtime::{ReuseConfig, Runtime, RuntimeConfig};
use crate::sqlite::SqliteDatabases;
use crate::variables::{ResolvedVariables, VariableSources};
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Everything `host serve` needs to know.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The SQLite/libSQL file behind the `default` database.
    pub db: PathBuf,
    /// The Spin manifest.
    pub manifest: PathBuf,
    /// `--var name=value` pairs.
    pub vars: HashMap<String, String>,
    /// Compiled-component cache directory.
    pub cache_dir: PathBuf,
    /// Instance reuse policy.
    pub reuse: ReuseConfig,
}

/// Builds the application and serves it until `shutdown` resolves.
pub async fn serve(opts: ServeOptions, shutdown: impl Future<Output = ()>) -> Result<()> {
    let manifest = Manifest::load(&opts.manifest)?;
    let variables =
        ResolvedVariables::resolve(&manifest, &VariableSources::from_process(opts.vars.clone()))?;
    if let Some(dir) = opts.db.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create database directory {}", dir.display()))?;
    }
    let databases = Arc::new(SqliteDatabases::open_default(&opts.db).await?);

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

    let listener = TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("cannot listen on {}", opts.listen))?;
    let local = listener.local_addr()?;
    tracing::info!(
        "serving {} on http://{local} (database {})",
        manifest.application.name.as_deref().unwrap_or("<unnamed>"),
        opts.db.display()
    );
    for (route, component) in router.routes() {
        tracing::info!("  http://{local}{route} -> {component}");
    }
    let trigger = Arc::new(HttpTrigger::new(router, runtime));
    trigger.serve(listener, shutdown).await
}
