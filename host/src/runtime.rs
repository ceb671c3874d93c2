//! The Wasmtime side: one engine, each component compiled once, instances on demand.
//!
//! - One [`Engine`] with the component model, component-model-async (WASI 0.3) and the pooling
//!   allocator, shared by every component.
//! - Each component is compiled once at startup (through the on-disk [`cache`](crate::cache))
//!   and linked once into a [`ServicePre`] (a pre-instantiated `wasi:http/handler@0.3.0`).
//! - The linker offers what Spin offers our components: WASI 0.2 *and* 0.3 (Rust std in a
//!   `wasm32-wasip2` component imports WASI 0.2.6), `wasi:http@0.3.0` with our outbound hook,
//!   `spin:sqlite@3.1.0` and `spin:variables@3.0.0`.
//! - Requests are dispatched through `wasmtime-wasi-http`'s [`ProxyHandler`], the same
//!   machinery Spin 4.1 uses: a worker task owns a `Store` and instance, may take further
//!   requests (sequentially up to `--max-instance-reuse-count`, concurrently up to
//!   `--max-instance-concurrent-reuse-count`), and keeps running until every response body it
//!   produced has been fully streamed, so a streamed body never outlives its store. A trap
//!   ends that worker (its in-flight requests fail) and the next request gets a fresh instance.

use crate::manifest::Manifest;
use crate::outbound_http::{AllowedHosts, OutboundHttp};
use crate::sqlite::{SqliteCtx, SqliteDatabases};
use crate::variables::{ComponentVariables, ResolvedVariables};
use anyhow::{Context as _, Result};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use wasmtime::component::{GuestTaskId, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreContextMut,
};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, Proxy, ProxyHandler, ShouldAccept, WorkerExpiration, WorkerState,
    WorkerStatus,
};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// How component instances are reused, as Spin 4.1's flags of the same names.
#[derive(Debug, Clone, Copy)]
pub struct ReuseConfig {
    /// Requests one instance serves before it is dropped (Spin's WASIp3 default: 128).
    pub max_instance_reuse_count: usize,
    /// Requests one instance serves at the same time (Spin's WASIp3 default: 16).
    pub max_instance_concurrent_reuse_count: usize,
    /// How long an idle instance is kept for reuse (Spin's default: 1 s).
    pub idle_instance_timeout: Duration,
    /// Time a request may take to produce a response (Spin's default: none).
    pub request_timeout: Option<Duration>,
}

impl Default for ReuseConfig {
    fn default() -> Self {
        Self {
            max_instance_reuse_count: 128,
            max_instance_concurrent_reuse_count: 16,
            idle_instance_timeout: Duration::from_secs(1),
            request_timeout: None,
        }
    }
}

/// Everything a [`Store`] of one component holds.
pub struct HostState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHttp,
    /// `spin:sqlite` state (connections of this instance).
    pub(crate) sqlite: SqliteCtx,
    /// `spin:variables` values of this component.
    pub(crate) variables: Arc<ComponentVariables>,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.hooks,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }
}

/// What every new store of one component starts from.
struct ComponentTemplate {
    id: Arc<str>,
    environment: Vec<(String, String)>,
    allowed_databases: Arc<HashSet<String>>,
    databases: Arc<SqliteDatabases>,
    variables: Arc<ComponentVariables>,
    allowed_hosts: Arc<AllowedHosts>,
}

impl ComponentTemplate {
    fn new_state(&self) -> HostState {
        let wasi = WasiCtxBuilder::new()
            .inherit_stdout()
            .inherit_stderr()
            .envs(&self.environment)
            .build();
        HostState {
            table: ResourceTable::new(),
            wasi,
            http: WasiHttpCtx::new(),
            hooks: OutboundHttp::new(self.id.clone(), self.allowed_hosts.clone()),
            sqlite: SqliteCtx::new(self.allowed_databases.clone(), self.databases.clone()),
            variables: self.variables.clone(),
        }
    }
}

/// The [`HandlerState`] of one component: how to make a new worker (store + instance).
pub struct ComponentHandler {
    shutting_down: Arc<AtomicBool>,
    engine: Engine,
    pre: ServicePre<HostState>,
    template: ComponentTemplate,
    reuse: ReuseConfig,
}

impl HandlerState for ComponentHandler {
    type StoreData = HostState;
    type WorkerExpiration = Expiration;
    type WorkerState = Worker;

    async fn instantiate(&self) -> wasmtime::Result<Instance<HostState, Expiration, Worker>> {
        let mut store = Store::new(&self.engine, self.template.new_state());
        let service = self.pre.instantiate_async(&mut store).await?;
        Ok(Instance {
            store,
            proxy: Proxy::P3(service),
            view: <HostState as WasiHttpView>::http,
            expiration: Expiration {
                idle_timeout: self.reuse.idle_instance_timeout,
                request_timeout: self.reuse.request_timeout,
                sleep: Box::pin(tokio::time::sleep(Duration::from_secs(3600))),
            },
            state: Worker {
                shutting_down: self.shutting_down.clone(),
                component_id: self.template.id.clone(),
                reuse: self.reuse,
            },
        })
    }
}

/// Decides when a worker's instance is dropped: idle too long, or a request overran.
pub struct Expiration {
    idle_timeout: Duration,
    request_timeout: Option<Duration>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl WorkerExpiration for Expiration {
    fn poll(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        let me = self.get_mut();
        let timeout = match status {
            WorkerStatus::Idle => Some(me.idle_timeout),
            WorkerStatus::Requests | WorkerStatus::PostReturn => me.request_timeout,
        };
        let Some(deadline) = timeout.and_then(|t| start.checked_add(t)) else {
            return Poll::Pending;
        };
        let deadline = tokio::time::Instant::from_std(deadline);
        if me.sleep.deadline() != deadline {
            me.sleep.as_mut().reset(deadline);
        }
        me.sleep.as_mut().poll(cx)
    }
}

/// Per-worker policy: how many requests to take, and logging when the worker ends.
pub struct Worker {
    shutting_down: Arc<AtomicBool>,
    component_id: Arc<str>,
    reuse: ReuseConfig,
}

impl WorkerState for Worker {
    type StoreData = HostState;
    type RequestData = ();

    fn should_accept_request(&self, concurrent_count: usize, total_count: usize) -> ShouldAccept {
        if total_count >= self.reuse.max_instance_reuse_count {
            ShouldAccept::Never
        } else if concurrent_count >= self.reuse.max_instance_concurrent_reuse_count {
            ShouldAccept::No
        } else {
            ShouldAccept::Yes
        }
    }

    fn on_request_start(
        &self,
        _store: StoreContextMut<'_, HostState>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync + 'static>> {
        match self.reuse.request_timeout {
            Some(t) => Box::pin(tokio::time::sleep(t)),
            None => Box::pin(std::future::pending()),
        }
    }

    fn drop(&self, store: Store<HostState>, result: wasmtime::Result<()>) {
        if let Err(e) = result {
            if self.shutting_down.load(Ordering::Relaxed) {
                // Idle workers are simply dropped with the tokio runtime at exit, which the
                // handler reports as a panic: not worth an error line.
                tracing::debug!(component = %self.component_id, "instance dropped at shutdown: {e:?}");
            } else {
                tracing::error!(component = %self.component_id, "component instance failed: {e:?}");
            }
        }
        drop(store);
    }
}

/// Settings for [`Runtime::build`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled components are cached.
    pub cache_dir: PathBuf,
    /// Instance reuse policy.
    pub reuse: ReuseConfig,
}

/// All components of the application, ready to serve.
pub struct Runtime {
    handlers: HashMap<String, ProxyHandler<ComponentHandler>>,
    shutting_down: Arc<AtomicBool>,
}

/// The engine configuration every component is compiled and run with.
pub fn engine() -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(1000)
        .total_core_instances(4000)
        .total_memories(1000)
        .total_tables(2000)
        .total_stacks(1000)
        // Large enough for an export of a big chat history, small enough to bound a runaway.
        .max_memory_size(1 << 30);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    // `CHATS_PROFILE=perfmap`: write /tmp/perf-PID.map so `perf report` names Wasm functions.
    if std::env::var("CHATS_PROFILE").is_ok_and(|value| value == "perfmap") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    Engine::new(&config).map_err(crate::wasmtime_error)
}

impl Runtime {
    /// Compiles (or loads from cache) and links every component of the manifest.
    pub fn build(
        manifest: &Manifest,
        variables: &ResolvedVariables,
        databases: Arc<SqliteDatabases>,
        config: &RuntimeConfig,
    ) -> Result<Self> {
        let engine = engine()?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(crate::wasmtime_error)?;
        wasmtime_wasi::p3::add_to_linker(&mut linker).map_err(crate::wasmtime_error)?;
        wasmtime_wasi_http::p3::add_to_linker(&mut linker).map_err(crate::wasmtime_error)?;
        crate::sqlite::add_to_linker(&mut linker).map_err(crate::wasmtime_error)?;
        crate::variables::add_to_linker(&mut linker).map_err(crate::wasmtime_error)?;

        let shutting_down = Arc::new(AtomicBool::new(false));
        let mut handlers = HashMap::new();
        for (id, decl) in &manifest.components {
            let path = manifest
                .component_path(id)
                .with_context(|| format!("component {id:?} has no local source"))?;
            let component = crate::cache::load_or_compile(&engine, &path, &config.cache_dir)?;
            let pre = linker
                .instantiate_pre(&component)
                .map_err(crate::wasmtime_error)
                .and_then(|pre| ServicePre::new(pre).map_err(crate::wasmtime_error))
                .with_context(|| {
                    format!(
                        "component {id:?} ({}) cannot be linked as a wasi:http@0.3.0 service",
                        path.display()
                    )
                })?;
            let allowed_hosts = AllowedHosts::parse(&decl.allowed_outbound_hosts, variables)
                .with_context(|| format!("component {id:?}"))?;
            let template = ComponentTemplate {
                id: Arc::from(id.as_str()),
                environment: decl
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                allowed_databases: Arc::new(decl.sqlite_databases.iter().cloned().collect()),
                databases: databases.clone(),
                variables: variables.component(id),
                allowed_hosts: Arc::new(allowed_hosts),
            };
            handlers.insert(
                id.clone(),
                ProxyHandler::new(ComponentHandler {
                    shutting_down: shutting_down.clone(),
                    engine: engine.clone(),
                    pre,
                    template,
                    reuse: config.reuse,
                }),
            );
        }
        Ok(Self {
            handlers,
            shutting_down,
        })
    }

    /// A runtime with no components (`host realtime` serves only the relay's paths).
    pub fn empty() -> Self {
        Self {
            handlers: HashMap::new(),
            shutting_down: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Marks the process as stopping: instances dropped from now on are not errors.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }

    /// Hands a request to a component. Errors (instantiation failure, trap, timeout) mean 500.
    pub async fn handle(
        &self,
        component_id: &str,
        request: wasmtime_wasi_http::handler::Request,
    ) -> Result<wasmtime_wasi_http::handler::Response> {
        let handler = self
            .handlers
            .get(component_id)
            .with_context(|| format!("unknown component {component_id:?}"))?;
        handler
            .handle((), request)
            .await
            .map_err(crate::wasmtime_error)
    }
}
