//! The core's [`Sockets`] over the host's `owui:realtime/sockets` imports.

use crate::bindings::owui::realtime::sockets;
use chat_core::realtime::{ConnId, Sockets};

/// The host, as the relay sees it.
pub struct HostSockets;

impl Sockets for HostSockets {
    fn send(&mut self, conn: ConnId, frame: &str) -> bool {
        sockets::send(conn, frame)
    }

    fn close(&mut self, conn: ConnId, code: u16, reason: &str) {
        sockets::close(conn, code, reason);
    }

    fn join(&mut self, conn: ConnId, room: &str) {
        sockets::join(conn, room);
    }

    fn leave(&mut self, conn: ConnId, room: &str) {
        sockets::leave(conn, room);
    }

    fn broadcast(&mut self, room: &str, frame: &str, except: Option<ConnId>) -> u32 {
        sockets::broadcast(room, frame, except)
    }
}
