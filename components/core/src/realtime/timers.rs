//! What the host's ~1 s tick drives: Engine.IO pings and ping timeouts, the 30 s token
//! sweep (`periodic_socket_authentication`), and the session-pool reaper.

use super::engineio::PING;
use super::handlers::verified_user;
use super::relay::NORMAL;
use super::{ConnId, Relay, Sockets};
use crate::context::Ctx;
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
        let mut verdicts: HashMap<String, bool> = HashMap::new();
        for (conn, token) in sessions {
            let valid = match verdicts.get(&token) {
                Some(valid) => *valid,
                None => {
                    let valid = verified_user(ctx, &token).await.is_some();
                    verdicts.insert(token, valid);
                    valid
                }
            };
            if !valid {
                self.end_socket(out, ctx.now, conn, true);
            }
        }
    }
}
