//! Domain events from the HTTP side (`POST …/messages/{id}/event`, message upserts) turned
//! into the chat event emitter's Socket.IO emits (spec §5.4).
//!
//! The wire form is [`MessageEvent::to_json`]: `{chat_id, message_id, user_id, data:
//! {type, data}}`. Every event goes to the owner's `user:{user_id}` (except
//! `chat:messages`); the forwarded types also go to `chat:{chat_id}` for saved chats.

use super::rooms::{chat_room, is_saved_chat_id, user_room};
use super::{Relay, Sockets, socketio};
use crate::events::MessageEvent;
use serde_json::Value as Json;

/// Parses a published event; `None` unless `chat_id`, `message_id` and `user_id` are
/// strings and `data` is an object with a string `type`.
pub fn parse_event(event: &str) -> Option<MessageEvent> {
    let value: Json = serde_json::from_str(event).ok()?;
    let text = |key: &str| value.get(key).and_then(Json::as_str).map(str::to_owned);
    let data = value.get("data").filter(|data| data.get("type").is_some_and(Json::is_string))?.clone();
    Some(MessageEvent { chat_id: text("chat_id")?, message_id: text("message_id")?, user_id: text("user_id")?, data })
}

impl Relay {
    /// Emits one published event to its rooms; false (and nothing sent) when it does not
    /// parse.
    pub fn on_publish(&mut self, out: &mut dyn Sockets, event: &str) -> bool {
        let Some(event) = parse_event(event) else { return false };
        if let Some(payload) = event.personal_payload() {
            out.broadcast(&user_room(&event.user_id), &socketio::event_frame("events", &payload), None);
        }
        if is_saved_chat_id(&event.chat_id)
            && let Some(payload) = event.shared_payload()
        {
            out.broadcast(&chat_room(&event.chat_id), &socketio::event_frame("events", &payload), None);
        }
        true
    }
}
