//! Presence (`chat:presence` to `chat:{id}`) and the session-pool reaper.
//!
//! Presence lists the users whose sessions have the chat in `chat_ids` and were seen
//! within the session timeout, once per user, sorted by id. Open WebUI reads a pool shared
//! by every worker through Redis; a relay here counts its own connections.

use super::rooms::{self, chat_room};
use super::session::Socket;
use super::{Relay, Sockets, socketio};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

impl Relay {
    /// Emits the current presence of a chat to its room.
    pub(super) fn publish_presence(&self, out: &mut dyn Sockets, now: i64, chat_id: &str) {
        // A BTreeMap both dedupes by user id and sorts by it (str order is code-point order,
        // like Python's `sorted`).
        let mut people = BTreeMap::new();
        let pools = self.connections.values().filter_map(|connection| connection.socket.as_ref()?.pool.as_ref());
        for pool in pools {
            if pool.chat_ids.iter().any(|id| id == chat_id) && pool.is_live(now, self.config.session_timeout_s) {
                people.insert(pool.user_id.clone(), pool.name.clone());
            }
        }
        let users: Vec<_> = people.into_iter().map(|(id, name)| json!({"id": id, "name": name})).collect();
        let payload = json!({
            "chat_id": chat_id,
            "shared": true,
            "data": {"type": "chat:presence", "data": {"users": users}},
        });
        out.broadcast(&chat_room(chat_id), &socketio::event_frame("events", &payload), None);
    }

    /// A Socket.IO session is over (client or server disconnect, transport closed): the
    /// chats it had joined get fresh presence. The caller has already removed it.
    pub(super) fn socket_ended(&mut self, out: &mut dyn Sockets, now: i64, socket: Socket) {
        for chat_id in socket.pool.map(|pool| pool.chat_ids).unwrap_or_default() {
            self.publish_presence(out, now, &chat_id);
        }
    }

    /// `periodic_session_pool_cleanup`: drops pool entries without a heartbeat for longer
    /// than the timeout, takes those sessions out of their chat rooms and republishes
    /// presence. The sockets stay connected (and in `user:{id}`); their next heartbeat
    /// recreates the entry with no chats.
    pub(super) fn reap(&mut self, out: &mut dyn Sockets, now: i64) {
        let timeout = self.config.session_timeout_s;
        let mut touched = BTreeSet::new();
        for (conn, connection) in &mut self.connections {
            let expired = connection
                .socket
                .as_mut()
                .and_then(|socket| socket.pool.take_if(|pool| !pool.is_live(now, timeout)));
            for chat_id in expired.map(|pool| pool.chat_ids).unwrap_or_default() {
                rooms::leave(out, *conn, connection, &chat_room(&chat_id));
                touched.insert(chat_id);
            }
        }
        for chat_id in touched {
            self.publish_presence(out, now, &chat_id);
        }
    }
}
