//! What the host's ~1 s tick drives: Engine.IO pings and ping timeouts, the 30 s token
//! sweep (`periodic_socket_authentication`) with its chat access re-check, and the
//! session-pool reaper.

use super::engineio::PING;
use super::handlers::verified_user;
use super::relay::NORMAL;
use super::{ConnId, Relay, Sockets, rooms, socketio};
use crate::context::Ctx;
use crate::users::User;
use serde_json::json;
use std::collections::HashMap;

impl Relay {
    /// One tick at host time `now_ms` (only differences between ticks matter); `ctx.now`
    /// is the wall clock for the session pool.
    pub async fn on_tick(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, now_ms: u64) {
        self.clock_ms = now_ms;
        self.ping(out, now_ms);
        if now_ms >= self.next_sweep_ms {
            self.next_sweep_ms = now_ms.saturating_add(self.config.auth_sweep_ms);
            self.sweep_tokens(out, ctx).await;
        }
        self.reap(out, ctx.now);
    }

    /// In Engine.IO v4 the server pings: `ping_interval` after the open packet or the last
    /// pong; a ping unanswered for `ping_timeout` closes the connection.
    fn ping(&mut self, out: &mut dyn Sockets, now_ms: u64) {
        let timeout = self.config.ping_timeout_ms;
        let mut timed_out = Vec::new();
        for (conn, connection) in self.connections.iter_mut().filter(|(_, connection)| !connection.closing) {
            match connection.ping_sent_ms {
                Some(sent) if now_ms.saturating_sub(sent) > timeout => timed_out.push(*conn),
                Some(_) => {}
                None if now_ms >= connection.next_ping_ms => {
                    connection.ping_sent_ms = Some(now_ms);
                    out.send(*conn, PING);
                }
                None => {}
            }
        }
        for conn in timed_out {
            self.close(out, conn, NORMAL, "ping timeout");
        }
    }

    /// Validates every authenticated session's token again and disconnects (`41`) those
    /// that no longer pass (expired, session stamp changed, user deactivated or demoted).
    /// Sessions sharing a token (tabs of one browser) cost one check.
    async fn sweep_tokens(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>) {
        let sessions: Vec<(ConnId, String)> = self
            .connections
            .iter()
            .filter_map(|(conn, connection)| Some((*conn, connection.socket.as_ref()?.auth.as_ref()?.token.clone())))
            .collect();
        let mut verdicts: HashMap<String, Option<User>> = HashMap::new();
        for (conn, token) in sessions {
            let user = match verdicts.get(&token) {
                Some(user) => user.clone(),
                None => {
                    let user = verified_user(ctx, &token).await;
                    verdicts.insert(token, user.clone());
                    user
                }
            };
            match user {
                None => self.end_socket(out, ctx.now, conn, true),
                Some(user) => self.recheck_chat_access(out, ctx, conn, &user).await,
            }
        }
    }

    /// `refresh_chat_access` (spec §5.6), run with every token sweep: a socket that may no
    /// longer read a chat it joined (unshared, grant removed, moved out of a shared folder,
    /// deleted) leaves `chat:{id}`, loses it from its session, and is told `chat:access`.
    async fn recheck_chat_access(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId, user: &User) {
        let joined: Vec<String> = self
            .connections
            .get(&conn)
            .map(|connection| connection.rooms.iter().filter_map(|room| room.strip_prefix("chat:").map(str::to_owned)).collect())
            .unwrap_or_default();
        for chat_id in joined {
            // A database error is not a verdict: keep the room until the next sweep.
            let Ok(readable) = crate::access::accessible_chat(ctx, &chat_id, user, crate::access::Permission::Read).await else {
                continue;
            };
            if readable.is_some() {
                continue;
            }
            let Some(connection) = self.connections.get_mut(&conn) else { return };
            rooms::leave(out, conn, connection, &rooms::chat_room(&chat_id));
            if let Some(pool) = connection.socket.as_mut().and_then(|socket| socket.pool.as_mut()) {
                pool.chat_ids.retain(|id| *id != chat_id);
            }
            let notice = json!({"chat_id": chat_id, "shared": true, "data": {"type": "chat:access", "data": {}}});
            out.send(conn, &socketio::event_frame("events", &notice));
            self.publish_presence(out, ctx.now, &chat_id);
        }
    }
}
