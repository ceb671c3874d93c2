//! The realtime relay: Open WebUI 0.12.4's Socket.IO server (`socket/main.py`, spec §5) as
//! plain Rust, independent of WIT and Spin so that all of it is tested natively.
//!
//! The host owns sockets, rooms, timers and transport and reaches the relay through five
//! calls ([`Relay::on_open`], [`Relay::on_text`], [`Relay::on_close`],
//! [`Relay::on_publish`], [`Relay::on_tick`]); the relay answers through [`Sockets`].
//! Calls are serialised, so the relay is a plain `&mut` state machine.
//!
//! Files, one job each: [`engineio`] and [`socketio`] are the packet codecs; `session`
//! the per-connection state; `rooms` room names and membership; `handlers` the connect,
//! `user-join`, `heartbeat` and token checks; `chat_events` the `events:chat` types;
//! `presence` the `chat:presence` emits and the session reaper; `timers` pings and the
//! periodic token sweep; `publish` domain events from the HTTP side.

mod chat_events;
mod config;
pub mod engineio;
mod handlers;
mod presence;
mod publish;
mod relay;
mod rooms;
mod session;
pub mod socketio;
mod timers;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

pub use config::RelayConfig;
pub use publish::parse_event;
pub use relay::Relay;
pub use rooms::is_saved_chat_id;

/// A WebSocket connection id, unique for the life of the host process.
pub type ConnId = u64;

/// What the host does on the relay's behalf (`owui:realtime/sockets`). Every call only
/// queues work; none blocks on the network.
pub trait Sockets {
    /// Queues one text frame. False when the connection is gone or its queue is full (the
    /// host then closes it, and `on_close` follows).
    fn send(&mut self, conn: ConnId, frame: &str) -> bool;
    /// Closes a connection with a WebSocket close code and reason; `on_close` follows.
    fn close(&mut self, conn: ConnId, code: u16, reason: &str);
    /// Adds a connection to a room. Idempotent.
    fn join(&mut self, conn: ConnId, room: &str);
    /// Removes a connection from a room. Idempotent.
    fn leave(&mut self, conn: ConnId, room: &str);
    /// Queues a frame for every connection in `room` except `except`; returns how many.
    fn broadcast(&mut self, room: &str, frame: &str, except: Option<ConnId>) -> u32;
}

/// The upgrade request of a new WebSocket connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Upgrade {
    /// Request path, e.g. `/ws/socket.io/`.
    pub path: String,
    /// Raw query string without `?`, e.g. `EIO=4&transport=websocket`.
    pub query: String,
    /// Request headers, names lower-cased.
    pub headers: Vec<(String, String)>,
}
