//! `events:chat {chat_id, data: {type, data?}}` (spec §5.3): `join`, `leave`, `typing`
//! and `last_read_at`, with the access checks of §1.8.

use super::handlers::Reply;
use super::rooms::{self, chat_room, is_saved_chat_id, user_room};
use super::{ConnId, Relay, Sockets, socketio};
use crate::access::{self, Permission};
use crate::chats::read_state::folder_unread_counts;
use crate::context::Ctx;
use crate::users::User;
use serde_json::{Map, Value as Json, json};

/// `Some([false])`: the handler's `return False`.
fn refused() -> Reply {
    Some(vec![json!(false)])
}

/// `Some([true])`.
fn done() -> Reply {
    Some(vec![json!(true)])
}

impl Relay {
    /// Validates the session first (disconnecting invalid ones, as Open WebUI does even
    /// for malformed payloads), then dispatches on `data.type`.
    pub(super) async fn chat_event(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId, payload: Json) -> Reply {
        let user = self.session_user(out, ctx, conn).await?;
        let Json::Object(payload) = payload else { return None };
        // `data.get('data', {})` then `.get('type')`: a missing `data` is `{}`, a non-object raises.
        let event = match payload.get("data") {
            None => Map::new(),
            Some(Json::Object(event)) => event.clone(),
            Some(_) => return None,
        };
        let chat_id = payload.get("chat_id").and_then(Json::as_str).filter(|id| is_saved_chat_id(id));
        match event.get("type").and_then(Json::as_str) {
            Some("typing") => {
                let typing = event.get("data").and_then(|data| data.get("typing")).and_then(Json::as_bool);
                match (chat_id, typing) {
                    (Some(chat_id), Some(typing)) => self.typing(out, ctx, conn, &user, chat_id, typing).await,
                    _ => refused(),
                }
            }
            Some(kind @ ("join" | "leave")) => match chat_id {
                Some(chat_id) => self.join_or_leave(out, ctx, conn, &user, chat_id, kind == "join").await,
                None => refused(),
            },
            Some("last_read_at") => {
                // `data['chat_id']` raises when absent; any other id simply matches no chat.
                let chat_id = payload.get("chat_id")?;
                if let Some(chat_id) = chat_id.as_str() {
                    self.mark_read(out, ctx, &user, chat_id).await?;
                }
                Some(Vec::new())
            }
            _ => Some(Vec::new()),
        }
    }

    /// `typing`: the sender must be in `chat:{id}` and may write the chat; everyone else
    /// in the room hears it.
    async fn typing(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId, user: &User, chat_id: &str, typing: bool) -> Reply {
        let room = chat_room(chat_id);
        if !self.connections.get(&conn)?.rooms.contains(&room) {
            return refused();
        }
        if access::accessible_chat(ctx, chat_id, user, Permission::Write).await.ok()?.is_none() {
            return refused();
        }
        let payload = json!({
            "chat_id": chat_id,
            "user_id": user.id,
            "user": {"id": user.id, "name": user.name},
            "shared": true,
            "data": {"type": "typing", "data": {"typing": typing}},
        });
        out.broadcast(&room, &socketio::event_frame("events", &payload), Some(conn));
        done()
    }

    /// `join` (read access needed) or `leave` (always allowed): the room, the session's
    /// `chat_ids`, then presence. A session without a pool entry (reaped) is refused.
    async fn join_or_leave(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, conn: ConnId, user: &User, chat_id: &str, join: bool) -> Reply {
        let room = chat_room(chat_id);
        if join && access::accessible_chat(ctx, chat_id, user, Permission::Read).await.ok()?.is_none() {
            return refused();
        }
        let connection = self.connections.get_mut(&conn)?;
        if join {
            rooms::join(out, conn, connection, room.clone());
        } else {
            rooms::leave(out, conn, connection, &room);
        }
        let Some(pool) = connection.socket.as_mut().and_then(|socket| socket.pool.as_mut()) else {
            rooms::leave(out, conn, connection, &room);
            return refused();
        };
        pool.chat_ids.retain(|id| id != chat_id);
        if join {
            pool.chat_ids.push(chat_id.to_owned());
        }
        self.publish_presence(out, ctx.now, chat_id);
        done()
    }

    /// `last_read_at`: the owner's `chat.last_read_at = now`, then `chat:list` to all of the
    /// owner's sockets, with `folder_unread_counts` only if the chat was unread. `None`
    /// when the database fails (the Python handler raises: no emit, no ack).
    async fn mark_read(&mut self, out: &mut dyn Sockets, ctx: &Ctx<'_>, user: &User, chat_id: &str) -> Option<()> {
        let rows = ctx
            .db
            .query("SELECT user_id, updated_at, last_read_at FROM chat WHERE id = ?", &[chat_id.into()])
            .await
            .ok()?;
        let Some(row) = rows.first().filter(|row| row.text(0) == user.id) else { return Some(()) };
        let was_unread = row.opt_int(2).is_none_or(|last_read_at| row.int(1) > last_read_at);
        ctx.db
            .execute("UPDATE chat SET last_read_at = ? WHERE id = ?", &[ctx.now.into(), chat_id.into()])
            .await
            .ok()?;
        let mut data = json!({"chat_id": chat_id, "last_read_at": ctx.now});
        if was_unread {
            data["folder_unread_counts"] = Json::Object(folder_unread_counts(ctx, &user.id).await.ok()?);
        }
        let payload = json!({"chat_id": chat_id, "data": {"type": "chat:list", "data": data}});
        out.broadcast(&user_room(&user.id), &socketio::event_frame("events", &payload), None);
        Some(())
    }
}
