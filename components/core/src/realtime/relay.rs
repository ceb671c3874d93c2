//! The relay's state and its transport-level entry points: opening, Engine.IO frames,
//! closing. Socket.IO packets go on to `handlers`.

use super::engineio::{self, Packet};
use super::session::Connection;
use super::socketio::{self, Kind};
use super::{ConnId, RelayConfig, Sockets, Upgrade, rooms};
use crate::context::Ctx;
use std::collections::BTreeMap;

/// WebSocket close code for frames that are not Engine.IO or a bad handshake.
pub(super) const PROTOCOL_ERROR: u16 = 1002;
/// WebSocket close code for an orderly close.
pub(super) const NORMAL: u16 = 1000;

/// Every connection's state, and the clocks driving pings and sweeps.
pub struct Relay {
    pub(super) config: RelayConfig,
    pub(super) connections: BTreeMap<ConnId, Connection>,
    /// The host clock (ms) at the last tick; pings are scheduled against it.
    pub(super) clock_ms: u64,
    /// When the next token sweep is due (host clock, ms).
    pub(super) next_sweep_ms: u64,
}

impl Relay {
    /// A relay with no connections.
    pub fn new(config: RelayConfig) -> Self {
        Self { config, connections: BTreeMap::new(), clock_ms: 0, next_sweep_ms: 0 }
    }

    /// How many connections are open.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// A new WebSocket: checks the Engine.IO handshake query and sends the open packet.
    /// Only `EIO=4` over `transport=websocket` is served (no long-polling sessions exist
    /// that a `sid` could upgrade); anything else is closed with 1002.
    pub fn on_open(&mut self, out: &mut dyn Sockets, conn: ConnId, request: &Upgrade) {
        let param = |name: &str| {
            request
                .query
                .split('&')
                .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value)
        };
        let supported = param("EIO") == Some("4")
            && matches!(param("transport"), None | Some("websocket"))
            && param("sid").is_none();
        if !supported {
            out.close(conn, PROTOCOL_ERROR, "unsupported Engine.IO version or transport");
            return;
        }
        let connection = Connection::new(self.clock_ms.saturating_add(self.config.ping_interval_ms));
        let config = &self.config;
        out.send(conn, &engineio::open_frame(&connection.eio_sid, config.ping_interval_ms, config.ping_timeout_ms, config.max_payload));
        self.connections.insert(conn, connection);
    }

    /// One text frame from a connection.
    pub async fn on_text(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId, frame: &str) {
        let clock_ms = self.clock_ms;
        let interval = self.config.ping_interval_ms;
        let Some(connection) = self.connections.get_mut(&conn).filter(|connection| !connection.closing) else {
            return;
        };
        match engineio::decode(frame) {
            Err(engineio::Invalid) => self.close(out, conn, PROTOCOL_ERROR, "invalid packet"),
            Ok(Packet::Pong(_)) => {
                // A pong answers our outstanding ping; the next one is due an interval later.
                if connection.ping_sent_ms.take().is_some() {
                    connection.next_ping_ms = clock_ms.saturating_add(interval);
                }
            }
            Ok(Packet::Close) => self.close(out, conn, NORMAL, "client close"),
            Ok(Packet::Upgrade) => {
                out.send(conn, engineio::NOOP);
            }
            Ok(Packet::Message(text)) => self.on_message(out, ctx, conn, text).await,
            Ok(Packet::Open(_) | Packet::Ping(_) | Packet::Noop | Packet::Unknown(_) | Packet::Binary) => {}
        }
    }

    /// A connection is gone; the host has already taken it out of every room.
    pub async fn on_close(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId) {
        if let Some(connection) = self.connections.remove(&conn)
            && let Some(socket) = connection.socket
        {
            self.socket_ended(out, ctx.now, socket);
        }
    }

    /// Asks the host to close a connection and ignores whatever it still sends.
    pub(super) fn close(&mut self, out: &mut dyn Sockets, conn: ConnId, code: u16, reason: &str) {
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.closing = true;
        }
        out.close(conn, code, reason);
    }

    /// One Socket.IO packet. Undecodable ones are dropped and the connection lives on, as
    /// python-socketio does.
    async fn on_message(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId, text: &str) {
        let Ok(packet) = socketio::decode(text) else { return };
        if packet.namespace != "/" {
            // Open WebUI serves the default namespace only.
            if packet.kind == Kind::Connect {
                out.send(conn, &socketio::connect_error_frame(&packet.namespace));
            }
            return;
        }
        match packet.kind {
            Kind::Connect => self.connect(out, ctx, conn, packet.data).await,
            Kind::Disconnect => self.end_socket(out, ctx.now, conn, false),
            Kind::Event => {
                let reply = self.dispatch(out, ctx, conn, packet.data).await;
                if let (Some(id), Some(args)) = (packet.id, reply) {
                    out.send(conn, &socketio::ack_frame(id, &args));
                }
            }
            Kind::Ack | Kind::ConnectError | Kind::BinaryEvent | Kind::BinaryAck => {}
        }
    }

    /// Ends a connection's Socket.IO session (the transport stays open, as in
    /// python-socketio): `41` to the client when the server decides, out of every room,
    /// presence for the chats it had joined.
    pub(super) fn end_socket(&mut self, out: &mut dyn Sockets, now: i64, conn: ConnId, notify_client: bool) {
        let Some(connection) = self.connections.get_mut(&conn) else { return };
        let Some(socket) = connection.socket.take() else { return };
        if notify_client {
            out.send(conn, &socketio::disconnect_frame());
        }
        rooms::leave_all(out, conn, connection);
        self.socket_ended(out, now, socket);
    }
}
