//! `POST /{id}/messages/{message_id}` (upsert one message) and `DELETE
//! /{id}/messages/{message_id}` (spec §2.32, §2.33).
//!
//! The upsert is [`crate::message_upsert`]; the answer is the whole chat, as Open WebUI sends
//! it: the one the write produced, or (with pending patches) read once after the write. Deleting restructures the tree
//! (children removed, grandchildren re-parented), so it rewrites the chat JSON.

use super::model::{self, ChatAnswer};
use crate::access;
use crate::auth;
use crate::context::Ctx;
use crate::db::transaction;
use crate::error::{ApiError, ApiResult, E_DEFAULT, E_NOT_FOUND, E_PROHIBITED};
use crate::events::{self, MessageEvent};
use crate::form::Fields;
use crate::history;
use crate::http::Request;
use crate::message_upsert::{self, Applied};
use crate::messages;
use crate::users::User;
use serde_json::{Map, Value as Json, json};

/// Longest voice metadata accepted, in characters of its compact JSON.
const MAX_VOICE_CHARS: usize = 100_000;

/// The message routes' access rule: the chat's owner, or an admin with admin chat access;
/// 401 `E_PROHIBITED` otherwise and for a missing chat. Returns the owner.
pub async fn writable_owner(ctx: &Ctx<'_>, user: &User, id: &str) -> ApiResult<String> {
    let owner = model::owner(ctx.db, id).await?.ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))?;
    if access::owner_or_admin(ctx, &owner, user) { Ok(owner) } else { Err(ApiError::unauthorized(E_PROHIBITED)) }
}

/// `POST /api/v1/chats/{id}/messages/{message_id}`: `{content?, voice?}` merged into the
/// message (created when absent), `updated_at` bumped, `chat:message` /
/// `chat:message:voice` published to the owner.
pub async fn upsert_message(ctx: &Ctx<'_>, request: &Request, id: &str, message_id: &str) -> ApiResult<ChatAnswer> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    let content = fields.optional_str("content");
    let voice = fields.optional_object("voice");
    fields.finish()?;
    let owner = writable_owner(ctx, &user, id).await?;
    let mut update = Map::new();
    if let Some(content) = &content {
        update.insert("content".into(), json!(content));
    }
    if let Some(voice) = &voice {
        if Json::Object(voice.clone()).to_string().chars().count() > MAX_VOICE_CHARS {
            return Err(ApiError::bad_request("Voice metadata is too large"));
        }
        update.insert("meta".into(), json!({"voice": voice}));
    }
    if update.is_empty() {
        return Err(ApiError::bad_request("No message changes supplied"));
    }
    let applied = transaction(ctx.db, async || {
        let target = message_upsert::load(ctx.db, id, message_id)
            .await?
            .ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))?;
        if voice.is_some() && !target.exists() {
            return Err(ApiError::not_found(E_NOT_FOUND));
        }
        Ok(message_upsert::apply(ctx, &target, update, true).await?)
    })
    .await?;
    let written = match applied {
        // Open WebUI fails with a 500 on a chat whose history is not an object.
        Applied::Refused => return Err(ApiError::bad_request(E_DEFAULT)),
        Applied::Written(chat) => chat,
    };
    let (kind, payload) = match (&content, &voice) {
        (Some(content), _) => ("chat:message", json!({"chat_id": id, "message_id": message_id, "content": content})),
        (None, voice) => ("chat:message:voice", json!({"chat_id": id, "message_id": message_id, "voice": voice})),
    };
    events::publish(ctx, MessageEvent::new(id, message_id, &owner, kind, payload)).await;
    // The chat as the write stored it (Open WebUI answers that), or, when the update is
    // pending as a patch, read again with read-time repair.
    Ok(match written {
        Some(stored) => stored.into_answer(),
        None => ChatAnswer::Parsed(model::find(ctx.db, id).await?.ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))?.into_response()),
    })
}

/// `DELETE /api/v1/chats/{id}/messages/{message_id}`: removes the message and its children,
/// re-parents grandchildren (spec §2.33). `updated_at` moves only when something was deleted.
pub async fn delete_message(ctx: &Ctx<'_>, request: &Request, id: &str, message_id: &str) -> ApiResult<Json> {
    let user = auth::verified_user(ctx, request).await?;
    writable_owner(ctx, &user, id).await?;
    let chat = transaction(ctx.db, async || {
        let mut chat = model::find_for_rewrite(ctx.db, id).await?.ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))?;
        history::repair_current_id(&mut chat.chat);
        let mut deleted = Vec::new();
        let mut parent = Json::Null;
        if let Some(Json::Object(history)) = chat.chat.get_mut("history") {
            parent = history
                .get("messages")
                .and_then(|messages| messages.get(message_id))
                .and_then(|message| message.get("parentId"))
                .cloned()
                .unwrap_or(Json::Null);
            deleted = history::delete_message(history, message_id);
        }
        messages::delete_ids(ctx.db, id, &deleted).await?;
        if !deleted.is_empty() {
            let siblings = chat.chat["history"]["messages"].as_object().cloned().unwrap_or_default();
            for (sibling_id, sibling) in siblings {
                // Open WebUI re-upserts every remaining message under the same parent.
                if sibling.get("parentId").unwrap_or(&Json::Null) == &parent {
                    let author = sibling.get("user_id").and_then(Json::as_str).filter(|a| !a.is_empty()).unwrap_or(&chat.user_id);
                    messages::upsert(ctx.db, id, &sibling_id, author, &sibling, ctx.now).await?;
                }
            }
            chat.updated_at = ctx.now;
        }
        chat.title = history::stored_title(&chat.chat);
        chat.current_message_id = history::current_message_id(&chat.chat);
        ctx.db
            .execute(
                "UPDATE chat SET chat = ?, title = ?, current_message_id = ?, updated_at = ? WHERE id = ?",
                &[(&chat.chat).into(), chat.title.as_str().into(), chat.current_message_id.clone().into(), chat.updated_at.into(), id.into()],
            )
            .await?;
        Ok::<_, ApiError>(chat)
    })
    .await?;
    Ok(chat.into_response())
}
