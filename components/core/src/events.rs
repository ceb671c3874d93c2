//! Realtime publishing: the one place message routes hand an event to the Socket.IO relay.
//!
//! Open WebUI's chat event emitter (spec §5.4) sends every event to the owner's room
//! `user:{owner}` as `events` `{chat_id, message_id, data: {type, data}}`, and forwards some
//! types to collaborators in `chat:{id}`. Our routes persist first and then call [`publish`]
//! with the same `{chat_id, message_id, user_id, data}`; the relay (see DESIGN.md,
//! "Realtime") turns it into those emits.
//!
//! Transport is the [`Publisher`] in the request context: the Spin adapter posts the event to
//! the relay's publish endpoint (Spin variables `realtime_url`, `realtime_token`). Persistence
//! never depends on it: publishing happens after the write has committed, and a failure to
//! publish never fails the request.

use crate::context::Ctx;
use async_trait::async_trait;
use serde_json::{Value as Json, json};

/// Event types the emitter also forwards, unchanged, to the shared `chat:{id}` room.
const SHARED_TYPES: &[&str] = &[
    "chat:messages",
    "chat:active",
    "status",
    "source",
    "citation",
    "files",
    "embeds",
    "chat:message:error",
    "chat:tasks:cancel",
    "chat:message:follow_ups",
];

/// One chat message event, as the emitter receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageEvent {
    /// The chat.
    pub chat_id: String,
    /// The message.
    pub message_id: String,
    /// The chat's owner: whose `user:{id}` room gets the event.
    pub user_id: String,
    /// `{type, data}`.
    pub data: Json,
}

impl MessageEvent {
    /// An event of `kind` carrying `data`.
    pub fn new(chat_id: &str, message_id: &str, user_id: &str, kind: &str, data: Json) -> Self {
        Self {
            chat_id: chat_id.into(),
            message_id: message_id.into(),
            user_id: user_id.into(),
            data: json!({"type": kind, "data": data}),
        }
    }

    fn kind(&self) -> Option<&str> {
        self.data.get("type").and_then(Json::as_str)
    }

    /// The `events` payload for room `user:{user_id}`, or `None` for `chat:messages` (which
    /// the emitter sends to the shared room only).
    pub fn personal_payload(&self) -> Option<Json> {
        (self.kind() != Some("chat:messages"))
            .then(|| json!({"chat_id": self.chat_id, "message_id": self.message_id, "data": self.data}))
    }

    /// The `events` payload for room `chat:{chat_id}`, for the types forwarded verbatim.
    /// (`chat:completion` throttling and output accumulation belong to streaming
    /// completions, which this service does not run.)
    pub fn shared_payload(&self) -> Option<Json> {
        let kind = self.kind()?;
        SHARED_TYPES.contains(&kind).then(|| {
            json!({"chat_id": self.chat_id, "message_id": self.message_id, "user_id": self.user_id, "shared": true, "data": self.data})
        })
    }
}

/// Delivers stored events to the realtime relay. Components implement it with outbound
/// HTTP to the relay's publish endpoint; the relay delivers to sockets.
#[async_trait(?Send)]
pub trait Publisher {
    /// Sends one event (`{chat_id, message_id, user_id, data}` as JSON text).
    async fn publish(&self, event: String) -> Result<(), String>;
}

/// A publisher that drops everything (no relay configured, native tests).
pub struct NoPublisher;

#[async_trait(?Send)]
impl Publisher for NoPublisher {
    async fn publish(&self, _event: String) -> Result<(), String> {
        Ok(())
    }
}

impl MessageEvent {
    /// The wire form the relay's publish endpoint takes.
    pub fn to_json(&self) -> Json {
        json!({"chat_id": self.chat_id, "message_id": self.message_id, "user_id": self.user_id, "data": self.data})
    }
}

/// Hands an event to the realtime relay. Call it only after the write has committed: a
/// failure here is logged and never fails the request (clients catch up by refetching).
pub async fn publish(ctx: &Ctx<'_>, event: MessageEvent) {
    if let Err(error) = ctx.publisher.publish(event.to_json().to_string()).await {
        eprintln!("realtime publish failed for chat {}: {error}", event.chat_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_match_the_emitter() {
        let event = MessageEvent::new("c", "m", "u", "status", json!({"done": true}));
        assert_eq!(event.personal_payload(), Some(json!({"chat_id": "c", "message_id": "m", "data": {"type": "status", "data": {"done": true}}})));
        assert_eq!(
            event.shared_payload(),
            Some(json!({"chat_id": "c", "message_id": "m", "user_id": "u", "shared": true, "data": {"type": "status", "data": {"done": true}}}))
        );
        let message = MessageEvent::new("c", "m", "u", "message", json!({"content": "x"}));
        assert_eq!(message.shared_payload(), None, "message deltas stay with the owner");
        let batch = MessageEvent::new("c", "m", "u", "chat:messages", json!({}));
        assert_eq!(batch.personal_payload(), None);
        assert!(batch.shared_payload().is_some());
    }
}
