//! The realtime relay: the host side of world `owui:realtime/realtime`.
//!
//! The host owns sockets, rooms, timers and transport; the component owns the protocol
//! (Engine.IO / Socket.IO) and every decision. One file per job:
//! - [`ws`]: the WebSocket upgrade at `/ws/socket.io` and one task per connection;
//! - [`connections`]: the connection table and per-connection bounded outbound queues;
//! - [`rooms`]: room membership (kept in the component's store);
//! - [`actor`]: the task owning the component's store, calling its handlers one at a time,
//!   with a watchdog and re-instantiation after a trap;
//! - [`publish`]: `POST /_realtime/publish`, where HTTP components hand over events;
//! - [`redis`]: fan-out between relays through a Redis channel;
//! - [`settings`]: what the component sees as its environment, and the relay's own variables;
//! - [`bindings`]: Wasmtime bindings of the world.
//!
//! [`Relay`] ties them together; the HTTP trigger hands it the two paths it owns, so the relay
//! runs on the same port as the HTTP API (`host serve`) or alone (`host realtime`).

pub mod actor;
pub mod bindings;
pub mod connections;
pub mod publish;
pub mod redis;
pub mod rooms;
pub mod settings;
pub mod ws;

use crate::sqlite::SqliteDatabases;
use actor::{Actor, ActorConfig, Command, EPOCH_PERIOD};
use anyhow::{Context as _, Result};
use connections::{CloseReason, Connections};
use http::{Request, Response};
use hyper::body::Incoming;
use publish::PublishError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use wasmtime::{Config, Engine};
use wasmtime_wasi_http::WasiBody;

/// Commands waiting for the actor, at most (beyond that, senders wait).
const ACTOR_CHANNEL_CAPACITY: usize = 1024;
/// How long shutdown waits for sockets to finish their close handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// Tunable limits of the relay.
#[derive(Debug, Clone, Copy)]
pub struct RelayLimits {
    /// Largest text frame a client may send (and largest published event), in bytes.
    pub max_frame_bytes: usize,
    /// Frames queued per connection before it is closed as too slow.
    pub queue_frames: usize,
    /// Longest one handler call may run before it traps.
    pub watchdog: Duration,
    /// Interval of `on-tick` calls.
    pub tick: Duration,
    /// Linear memory the component may grow to, in bytes.
    pub max_memory_bytes: usize,
}

impl Default for RelayLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 1 << 20,
            queue_frames: 1024,
            watchdog: Duration::from_secs(10),
            tick: Duration::from_secs(1),
            max_memory_bytes: 512 << 20,
        }
    }
}

/// Everything needed to start a relay.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// The realtime component (`.wasm`).
    pub component: PathBuf,
    /// Where compiled components are cached.
    pub cache_dir: PathBuf,
    /// The component's WASI environment (see [`settings::component_env`]).
    pub env: Vec<(String, String)>,
    /// The bearer token the publish endpoint requires.
    pub token: String,
    /// Redis URL for fan-out between relays, if any.
    pub redis_url: Option<String>,
    /// Limits.
    pub limits: RelayLimits,
}

/// A running relay.
pub struct Relay {
    ws: Arc<ws::WsContext>,
    token: String,
    limits: RelayLimits,
    redis: Option<redis::RedisBus>,
    stop: watch::Sender<bool>,
    actor: Mutex<Option<JoinHandle<()>>>,
    epoch_stop: Arc<AtomicBool>,
}

/// The engine of the realtime component: like the HTTP components' but with epoch
/// interruption (the watchdog) and the on-demand allocator (there is exactly one instance, so
/// a pool would only reserve address space).
fn engine() -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    config.epoch_interruption(true);
    Engine::new(&config).map_err(crate::wasmtime_error)
}

impl Relay {
    /// Compiles and links the component, then starts the actor, the epoch ticker and (with a
    /// Redis URL) the subscriber.
    pub async fn start(opts: RelayOptions, databases: Arc<SqliteDatabases>) -> Result<Arc<Self>> {
        let engine = engine()?;
        let pre = {
            let engine = engine.clone();
            let path = opts.component.clone();
            let cache_dir = opts.cache_dir.clone();
            // Compiling is CPU-bound and may take seconds: keep it off the async workers.
            tokio::task::spawn_blocking(move || -> Result<_> {
                let component = crate::cache::load_or_compile(&engine, &path, &cache_dir)?;
                let linker = actor::linker(&engine).map_err(crate::wasmtime_error)?;
                let pre = linker
                    .instantiate_pre(&component)
                    .and_then(bindings::RealtimePre::new)
                    .map_err(crate::wasmtime_error)
                    .with_context(|| {
                        format!(
                            "{} cannot be linked as world owui:realtime/realtime",
                            path.display()
                        )
                    })?;
                Ok(pre)
            })
            .await??
        };

        let connections = Arc::new(Connections::new(opts.limits.queue_frames));
        let (tx, rx) = mpsc::channel(ACTOR_CHANNEL_CAPACITY);
        let (stop, stop_rx) = watch::channel(false);
        let actor = Actor::new(
            ActorConfig {
                engine: engine.clone(),
                pre,
                env: opts.env,
                databases,
                connections: connections.clone(),
                watchdog: opts.limits.watchdog,
                tick: opts.limits.tick,
                max_memory_bytes: opts.limits.max_memory_bytes,
            },
            rx,
            stop_rx,
        );
        let actor = tokio::spawn(actor.run());

        // A thread rather than a task: a runaway guest occupies the async worker it runs on,
        // and the clock that stops it must not depend on a free worker.
        let epoch_stop = Arc::new(AtomicBool::new(false));
        {
            let stop = epoch_stop.clone();
            std::thread::Builder::new()
                .name("realtime-epoch".to_string())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_PERIOD);
                        engine.increment_epoch();
                    }
                })
                .context("cannot start the epoch thread")?;
        }

        let redis = match &opts.redis_url {
            Some(url) => Some(redis::RedisBus::start(url, tx.clone())?),
            None => None,
        };
        let ws = Arc::new(ws::WsContext {
            connections,
            actor: tx,
            max_frame_bytes: opts.limits.max_frame_bytes,
            closing: AtomicBool::new(false),
        });
        tracing::info!(
            "realtime relay: component {}, fan-out {}",
            opts.component.display(),
            if redis.is_some() { "Redis" } else { "local" }
        );
        Ok(Arc::new(Self {
            ws,
            token: opts.token,
            limits: opts.limits,
            redis,
            stop,
            actor: Mutex::new(Some(actor)),
            epoch_stop,
        }))
    }

    /// True for the paths the relay answers (before any Spin routing).
    pub fn owns_path(path: &str) -> bool {
        ws::is_socket_path(path) || path == publish::PATH
    }

    /// Answers a request to one of the relay's paths.
    pub async fn handle(
        &self,
        req: Request<Incoming>,
        client_addr: SocketAddr,
    ) -> Response<WasiBody> {
        if req.uri().path() == publish::PATH {
            publish::handle(self, req).await
        } else {
            ws::upgrade(&self.ws, req, client_addr)
        }
    }

    /// The publish endpoint's bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The frame size cap (also the publish body cap).
    pub fn max_frame_bytes(&self) -> usize {
        self.limits.max_frame_bytes
    }

    /// Live WebSocket connections.
    pub fn connection_count(&self) -> usize {
        self.ws.connections.len()
    }

    /// Hands one event (JSON text) to the component, through Redis when configured.
    pub async fn publish(&self, event: String) -> Result<(), PublishError> {
        match &self.redis {
            Some(redis) => redis.publish(&event).await,
            None => self
                .ws
                .actor
                .send(Command::Publish { event })
                .await
                .map_err(|_| PublishError::Unavailable("relay stopping".to_string())),
        }
    }

    /// First step of shutdown: closes every socket with 1001 and waits (briefly) until their
    /// tasks are done, so the component sees every `on-close`.
    pub async fn close_connections(&self) {
        self.ws.closing.store(true, Ordering::Relaxed);
        let n = self.ws.connections.len();
        if n > 0 {
            tracing::info!("closing {n} realtime connection(s)");
        }
        self.ws.connections.kill_all(&CloseReason::new(
            ws::CLOSE_GOING_AWAY,
            "server shutting down",
        ));
        let drained = async {
            while !self.ws.connections.is_empty() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        if tokio::time::timeout(CLOSE_GRACE, drained).await.is_err() {
            tracing::warn!("some realtime connections did not close in time");
        }
    }

    /// Last step of shutdown: stops the subscriber, the actor (dropping the component) and
    /// the epoch thread.
    pub async fn stop(&self) {
        if let Some(redis) = &self.redis {
            redis.stop();
        }
        let _ = self.stop.send(true);
        let actor = self.actor.lock().ok().and_then(|mut a| a.take());
        if let Some(actor) = actor
            && tokio::time::timeout(CLOSE_GRACE, actor).await.is_err()
        {
            tracing::warn!("realtime actor did not stop in time");
        }
        self.epoch_stop.store(true, Ordering::Relaxed);
    }
}
