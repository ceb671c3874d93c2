//! Per-connection state: the Engine.IO transport, its Socket.IO session, who it is
//! authenticated as, and its entry in the session pool.
//!
//! Open WebUI keeps these in three places (python-socketio's session store, the
//! `LOCAL_AUTHENTICATED_SIDS` set and the `SESSION_POOL` dict); here they are one
//! [`Connection`] per WebSocket, so closing a connection drops all of it at once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::BTreeSet;

/// One WebSocket connection.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The Engine.IO session id sent in the open packet.
    pub eio_sid: String,
    /// The Socket.IO session on namespace `/`, once the client has sent `40`.
    pub socket: Option<Socket>,
    /// Rooms the relay has joined this connection to (a mirror of the host's rooms, so
    /// that "is the sender in `chat:{id}`" needs no host call).
    pub rooms: BTreeSet<String>,
    /// When the next ping is due (relay clock, ms).
    pub next_ping_ms: u64,
    /// When the unanswered ping went out, if one is outstanding.
    pub ping_sent_ms: Option<u64>,
    /// The relay asked the host to close it; frames still queued are ignored.
    pub closing: bool,
}

impl Connection {
    /// A fresh connection whose first ping is due at `next_ping_ms`.
    pub fn new(next_ping_ms: u64) -> Self {
        Self { eio_sid: new_sid(), socket: None, rooms: BTreeSet::new(), next_ping_ms, ping_sent_ms: None, closing: false }
    }
}

/// A Socket.IO session.
#[derive(Debug, Clone)]
pub struct Socket {
    /// The Socket.IO session id sent in `40{"sid"}`.
    pub sid: String,
    /// Set by a valid token at connect or `user-join`; `None` means unauthenticated.
    pub auth: Option<Auth>,
    /// The session-pool entry (presence); dropped by the reaper after missed heartbeats
    /// and recreated by the next heartbeat.
    pub pool: Option<PoolEntry>,
}

/// Who a session is authenticated as, and the token to check again every 30 s.
#[derive(Debug, Clone, PartialEq)]
pub struct Auth {
    /// The raw JWT the client presented.
    pub token: String,
    /// `user.id`.
    pub user_id: String,
    /// `user.name` when the token was accepted.
    pub name: String,
}

/// A `SESSION_POOL` entry: what presence is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolEntry {
    /// The user.
    pub user_id: String,
    /// The name shown in presence.
    pub name: String,
    /// Chats this session has joined, in join order without duplicates.
    pub chat_ids: Vec<String>,
    /// Last connect, `user-join` or heartbeat (epoch seconds).
    pub last_seen_at: i64,
}

impl PoolEntry {
    /// A new entry seen at `now`.
    pub fn new(auth: &Auth, chat_ids: Vec<String>, now: i64) -> Self {
        Self { user_id: auth.user_id.clone(), name: auth.name.clone(), chat_ids, last_seen_at: now }
    }

    /// Is the entry recent enough to count (`now - last_seen_at <= timeout`)?
    pub fn is_live(&self, now: i64, timeout_s: i64) -> bool {
        now.saturating_sub(self.last_seen_at) <= timeout_s
    }
}

/// A random, URL-safe session id (python-engineio's are 20 base64 characters; any unique
/// string works for the client).
pub fn new_sid() -> String {
    URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}
