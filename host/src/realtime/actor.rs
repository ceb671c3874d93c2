//! The actor: the one task that owns the realtime component's `Store` and calls its handlers.
//!
//! A component instance is single-threaded state (sessions, timers, presence), so every call
//! into it is serialised: WebSocket tasks, the publish endpoint and the Redis subscriber send
//! [`Command`]s into one bounded channel, and this task executes them in order, plus an
//! `on-tick` about once a second. The `sockets` imports the component calls act directly on
//! the connection table (frames go into bounded queues, never onto the network) and on the
//! rooms, which live in the store so that only this task touches them.
//!
//! Failure handling: every call gets an epoch deadline (the watchdog), so a runaway call traps
//! instead of wedging the relay. After any trap the instance is unusable; the actor drops the
//! store (its SQLite connections go back to the pool, open transactions roll back), closes every
//! connection with 1011 so that clients reconnect into the fresh instance's clean state, and
//! instantiates the component again.

use super::bindings::Realtime;
use super::bindings::RealtimePre;
use super::bindings::exports::owui::realtime::handlers::Upgrade;
use super::bindings::owui::realtime::sockets;
use super::connections::{CloseReason, Connections, Frame};
use super::rooms::Rooms;
use crate::sqlite::SqliteCtx;
use crate::sqlite::SqliteDatabases;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How often the engine's epoch advances; the watchdog's resolution.
pub const EPOCH_PERIOD: Duration = Duration::from_millis(100);
/// Close code sent to every client when the component is replaced after a trap.
const CLOSE_RESTARTED: u16 = 1011;
/// Pause between failed instantiations, so a component that traps on start cannot spin a core.
const REINSTANTIATE_BACKOFF: Duration = Duration::from_secs(1);

/// Something for the component to handle, in the order sent.
#[derive(Debug)]
pub enum Command {
    /// A WebSocket connection was accepted.
    Open {
        /// Its id.
        conn: u64,
        /// Its upgrade request.
        request: Upgrade,
    },
    /// A text frame arrived on a connection.
    Text {
        /// The connection.
        conn: u64,
        /// The frame.
        frame: String,
    },
    /// A connection is gone (already removed from the connection table).
    Close {
        /// The connection.
        conn: u64,
    },
    /// A domain event to relay (JSON text).
    Publish {
        /// The event.
        event: String,
    },
}

/// The host side of `owui:realtime/sockets` for one instance.
pub struct SocketsHost {
    connections: Arc<Connections>,
    rooms: Rooms,
}

impl sockets::Host for SocketsHost {
    fn send(&mut self, conn: u64, frame: String) -> wasmtime::Result<bool> {
        Ok(self.connections.send(conn, Frame::from(frame)))
    }

    fn close(&mut self, conn: u64, code: u16, reason: String) -> wasmtime::Result<()> {
        self.connections
            .close(conn, CloseReason::new(code, &reason));
        Ok(())
    }

    fn join(&mut self, conn: u64, room: String) -> wasmtime::Result<()> {
        self.rooms.join(conn, &room);
        Ok(())
    }

    fn leave(&mut self, conn: u64, room: String) -> wasmtime::Result<()> {
        self.rooms.leave(conn, &room);
        Ok(())
    }

    fn broadcast(
        &mut self,
        room: String,
        frame: String,
        except_conn: Option<u64>,
    ) -> wasmtime::Result<u32> {
        let frame = Frame::from(frame);
        let members = self
            .rooms
            .members(&room)
            .filter(|c| Some(*c) != except_conn);
        Ok(self.connections.send_many(members, &frame))
    }
}

/// Everything the realtime component's store holds.
pub struct RelayState {
    table: ResourceTable,
    wasi: WasiCtx,
    sqlite: SqliteCtx,
    sockets: SocketsHost,
    limits: StoreLimits,
}

impl WasiView for RelayState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Adds everything world `realtime` imports (plus the WASI that Rust's std pulls in).
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<RelayState>> {
    let mut linker = Linker::<RelayState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    sockets::add_to_linker::<RelayState, HasSelf<SocketsHost>>(&mut linker, |s| &mut s.sockets)?;
    crate::sqlite::add_to_linker_with(&mut linker, |s| &mut s.sqlite)?;
    Ok(linker)
}

/// What the actor needs to (re-)create an instance.
pub struct ActorConfig {
    /// The engine the component was compiled with (epoch interruption on).
    pub engine: Engine,
    /// The linked component.
    pub pre: RealtimePre<RelayState>,
    /// WASI environment variables of the component.
    pub env: Vec<(String, String)>,
    /// Databases; the component may open only `default`.
    pub databases: Arc<SqliteDatabases>,
    /// The connection table the `sockets` imports act on.
    pub connections: Arc<Connections>,
    /// Longest a single handler call may run before it traps.
    pub watchdog: Duration,
    /// Interval of `on-tick` calls.
    pub tick: Duration,
    /// Linear memory the instance may grow to.
    pub max_memory_bytes: usize,
}

/// One live instance and the connections it has been told about.
struct Live {
    store: Store<RelayState>,
    bindings: Realtime,
    /// Connections opened in *this* instance: events for older ones (from before a restart)
    /// must not reach a component that never saw them open.
    open: HashSet<u64>,
}

/// What the actor does next.
enum Next {
    Command(Command),
    Tick,
}

/// The actor task's state.
pub struct Actor {
    config: ActorConfig,
    commands: mpsc::Receiver<Command>,
    stop: watch::Receiver<bool>,
}

impl Actor {
    /// An actor fed by `commands`, stopping when `stop` becomes true.
    pub fn new(
        config: ActorConfig,
        commands: mpsc::Receiver<Command>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        Self {
            config,
            commands,
            stop,
        }
    }

    /// Instantiates the component and serves commands until stopped.
    pub async fn run(mut self) {
        let Some(mut live) = self.instantiate_until_ok().await else {
            return;
        };
        let mut ticker = tokio::time::interval(self.config.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let next = tokio::select! {
                _ = self.stop.wait_for(|s| *s) => None,
                command = self.commands.recv() => command.map(Next::Command),
                _ = ticker.tick() => Some(Next::Tick),
            };
            let result = match next {
                None => break,
                Some(Next::Command(command)) => self.dispatch(&mut live, command).await,
                Some(Next::Tick) => {
                    let now_ms = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                        .unwrap_or(0);
                    self.arm_watchdog(&mut live.store);
                    live.bindings
                        .owui_realtime_handlers()
                        .call_on_tick(&mut live.store, now_ms)
                        .await
                }
            };
            if let Err(e) = result {
                tracing::error!(
                    "realtime component trapped: {e:?}; closing all {} connection(s) and starting a fresh instance",
                    self.config.connections.len()
                );
                self.config
                    .connections
                    .kill_all(&CloseReason::new(CLOSE_RESTARTED, "relay restarted"));
                drop(live);
                match self.instantiate_until_ok().await {
                    Some(fresh) => live = fresh,
                    None => return,
                }
            }
        }
        tracing::debug!("realtime actor stopped");
    }

    fn arm_watchdog(&self, store: &mut Store<RelayState>) {
        let ticks = self.config.watchdog.as_millis() / EPOCH_PERIOD.as_millis();
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
    }

    async fn dispatch(&self, live: &mut Live, command: Command) -> wasmtime::Result<()> {
        self.arm_watchdog(&mut live.store);
        let handlers = live.bindings.owui_realtime_handlers();
        match command {
            Command::Open { conn, request } => {
                live.open.insert(conn);
                handlers.call_on_open(&mut live.store, conn, &request).await
            }
            Command::Text { conn, frame } => {
                if !live.open.contains(&conn) {
                    return Ok(());
                }
                handlers.call_on_text(&mut live.store, conn, &frame).await
            }
            Command::Close { conn } => {
                if !live.open.remove(&conn) {
                    return Ok(());
                }
                // The WIT promises the component that a closed connection is in no room.
                live.store.data_mut().sockets.rooms.leave_all(conn);
                handlers.call_on_close(&mut live.store, conn).await
            }
            Command::Publish { event } => handlers.call_on_publish(&mut live.store, &event).await,
        }
    }

    /// Instantiates, retrying with a pause after failures; `None` if stopped meanwhile.
    async fn instantiate_until_ok(&mut self) -> Option<Live> {
        loop {
            match self.instantiate().await {
                Ok(live) => return Some(live),
                Err(e) => tracing::error!(
                    "cannot instantiate the realtime component: {e:?}; retrying in {REINSTANTIATE_BACKOFF:?}"
                ),
            }
            tokio::select! {
                _ = self.stop.wait_for(|s| *s) => return None,
                () = tokio::time::sleep(REINSTANTIATE_BACKOFF) => {}
            }
        }
    }

    async fn instantiate(&self) -> wasmtime::Result<Live> {
        let c = &self.config;
        let wasi = WasiCtxBuilder::new()
            .inherit_stdout()
            .inherit_stderr()
            .envs(&c.env)
            .build();
        let state = RelayState {
            table: ResourceTable::new(),
            wasi,
            sqlite: SqliteCtx::new(
                Arc::new(HashSet::from(["default".to_string()])),
                c.databases.clone(),
            ),
            sockets: SocketsHost {
                connections: c.connections.clone(),
                rooms: Rooms::default(),
            },
            limits: StoreLimitsBuilder::new()
                .memory_size(c.max_memory_bytes)
                .instances(16)
                .build(),
        };
        let mut store = Store::new(&c.engine, state);
        store.limiter(|s| &mut s.limits);
        store.epoch_deadline_trap();
        // Instantiation runs the component's start code: the watchdog covers it too.
        self.arm_watchdog(&mut store);
        let bindings = c.pre.instantiate_async(&mut store).await?;
        tracing::info!("realtime component instantiated");
        Ok(Live {
            store,
            bindings,
            open: HashSet::new(),
        })
    }
}
