//! Socket.IO session handlers of `socket/main.py`: `connect`, `user-join`, `heartbeat`,
//! `usage`, the catch-all, and `get_socket_session_user`, the token check every event
//! handler starts with.
//!
//! Replies follow python-socketio: a handler's return value becomes the ack (`None` →
//! `[]`, a value → `[value]`); a handler that raises sends no ack. Here `Some(args)` is the
//! ack and `None` stands for "raised" (malformed payloads) or "the session was ended".

use super::rooms::{self, user_room};
use super::session::{Auth, PoolEntry, Socket, new_sid};
use super::{ConnId, Relay, Sockets, socketio};
use crate::auth;
use crate::context::Ctx;
use crate::users::User;
use serde_json::{Value as Json, json};

/// The ack arguments, or `None` for no ack.
pub(super) type Reply = Option<Vec<Json>>;

/// Handlers Open WebUI registers that this service does not serve (channels, notes,
/// collaborative documents): they answer like a handler returning `None`.
const NOT_SERVED: &[&str] = &[
    "join-channels",
    "join-note",
    "events:channel",
    "ydoc:document:join",
    "ydoc:document:state",
    "ydoc:document:update",
    "ydoc:document:leave",
    "ydoc:awareness:update",
];

/// `auth.token` when `auth` is an object holding a string token (`if auth and 'token'
/// in auth`; a non-string token never decodes).
fn token_of(auth: Option<&Json>) -> Option<String> {
    auth?.get("token")?.as_str().map(str::to_owned)
}

/// `get_verified_user_by_token`: the HTTP side's JWT validation, then role user or admin.
/// Database errors count as invalid, as the Python handler's `except` does.
pub(super) async fn verified_user(ctx: &Ctx<'_>, token: &str) -> Option<User> {
    auth::user_from_jwt(ctx, token).await.ok().filter(User::is_verified)
}

impl Relay {
    /// `40[auth]`: the session is accepted whatever the token (`always_connect`); a valid
    /// token authenticates it and joins `user:{id}`.
    pub(super) async fn connect(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId, auth: Option<Json>) {
        let Some(connection) = self.connections.get_mut(&conn) else { return };
        if connection.socket.is_some() {
            out.send(conn, &socketio::connect_error_frame("/"));
            return;
        }
        let socket = Socket { sid: new_sid(), auth: None, pool: None };
        out.send(conn, &socketio::connect_frame(&socket.sid));
        connection.socket = Some(socket);
        let Some(token) = token_of(auth.as_ref()) else { return };
        if let Some(user) = verified_user(ctx, &token).await {
            self.authenticate(out, ctx.now, conn, token, &user);
        }
    }

    /// Records a validated token on the session: session-pool entry (keeping the chats it
    /// had joined), `user:{id}` room. A session that switches user leaves the old user's
    /// room (Open WebUI leaves it joined; we do not let one socket hear two users).
    fn authenticate(&mut self, out: &mut dyn Sockets, now: i64, conn: ConnId, token: String, user: &User) {
        let Some(connection) = self.connections.get_mut(&conn) else { return };
        let Some(socket) = connection.socket.as_mut() else { return };
        let previous = socket.auth.replace(Auth { token, user_id: user.id.clone(), name: user.name.clone() });
        let switched = previous.as_ref().is_some_and(|previous| previous.user_id != user.id);
        // A socket that becomes another user keeps nothing of the previous one: not its
        // `user:` room, not the chat rooms it was let into (Open WebUI keeps both).
        let chat_ids = match socket.pool.take() {
            Some(pool) if !switched => pool.chat_ids,
            _ => Vec::new(),
        };
        if let Some(auth) = &socket.auth {
            socket.pool = Some(PoolEntry::new(auth, chat_ids, now));
        }
        if switched {
            rooms::leave_all(out, conn, connection);
        }
        rooms::join(out, conn, connection, user_room(&user.id));
    }

    /// `get_socket_session_user`: validates the session's stored token again and returns
    /// the user as the database has it now. An unauthenticated session, or one whose token
    /// no longer validates, is disconnected (`41`).
    pub(super) async fn session_user(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId) -> Option<User> {
        let token = self.connections.get(&conn)?.socket.as_ref()?.auth.as_ref().map(|auth| auth.token.clone());
        let user = match token {
            Some(token) => verified_user(ctx, &token).await,
            None => None,
        };
        if user.is_none() {
            self.end_socket(out, ctx.now, conn, true);
        }
        user
    }

    /// `42[name, ...args]` on a connected session.
    pub(super) async fn dispatch(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId, data: Option<Json>) -> Reply {
        self.connections.get(&conn)?.socket.as_ref()?;
        let Some(Json::Array(mut args)) = data else { return None };
        if args.is_empty() {
            return None;
        }
        let Json::String(name) = args.remove(0) else { return None };
        // Named handlers take exactly one payload (`async def handler(sid, data)`); any
        // other count raises a TypeError in Python, so no ack.
        let single = || (args.len() == 1).then(|| args[0].clone());
        match name.as_str() {
            "user-join" => self.user_join(out, ctx, conn, single()?).await,
            "heartbeat" => {
                single()?;
                self.heartbeat(out, ctx, conn).await
            }
            "events:chat" => {
                let payload = single()?;
                self.chat_event(out, ctx, conn, payload).await
            }
            "usage" => {
                // Model usage tracking serves the model list, which is not ours; the
                // session check (and its disconnect) still applies.
                single()?;
                self.session_user(out, ctx, conn).await.map(|_| Vec::new())
            }
            name if NOT_SERVED.contains(&name) => single().map(|_| Vec::new()),
            name if name.matches(':').count() == 2 && !args.is_empty() => {
                // The catch-all relays `{user_id}:{a}:{b}` stream events of direct
                // connections; there are none here, but the session check runs first.
                self.session_user(out, ctx, conn).await.map(|_| Vec::new())
            }
            _ => Some(Vec::new()),
        }
    }

    /// `user-join {auth: {token}}`: authenticates (again), acks `{id, name}`; an invalid
    /// token acks nothing but `[]` and changes nothing.
    async fn user_join(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId, data: Json) -> Reply {
        if !data.is_object() {
            return None;
        }
        let Some(token) = token_of(data.get("auth")) else { return Some(Vec::new()) };
        let Some(user) = verified_user(ctx, &token).await else { return Some(Vec::new()) };
        self.authenticate(out, ctx.now, conn, token, &user);
        Some(vec![json!({"id": user.id, "name": user.name})])
    }

    /// `heartbeat {}`: refreshes the session-pool entry (recreating it after a reap) and
    /// the user's `last_active_at`.
    async fn heartbeat(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId) -> Reply {
        let user = self.session_user(out, ctx, conn).await?;
        let socket = self.connections.get_mut(&conn)?.socket.as_mut()?;
        let chat_ids = socket.pool.take().map(|pool| pool.chat_ids).unwrap_or_default();
        socket.pool = socket.auth.as_ref().map(|auth| PoolEntry::new(auth, chat_ids, ctx.now));
        ctx.db
            .execute("UPDATE \"user\" SET last_active_at = ? WHERE id = ?", &[ctx.now.into(), user.id.as_str().into()])
            .await
            .ok()?;
        Some(Vec::new())
    }
}
