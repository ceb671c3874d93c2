//! `POST /{id}`: partial update with Open WebUI's merge rules (spec §2.30).

use super::create::parse_chat_form;
use super::model;
use crate::access;
use crate::auth;
use crate::context::Ctx;
use crate::db::transaction;
use crate::error::{ApiError, ApiResult, E_PROHIBITED};
use crate::history;
use crate::http::Request;
use crate::messages;
use serde_json::{Map, Value as Json};

/// Keys whose presence in the payload recomputes `current_message_id`.
const CURRENT_KEYS: [&str; 4] = ["history", "messages", "currentId", "branchPointMessageId"];

/// Is `stored` protected from being overwritten by an incoming version (foreign author,
/// or an assistant message still streaming)?
fn protected(stored: &Json, merged: Option<&Json>, owner: &str) -> bool {
    let author = stored.get("user_id").and_then(Json::as_str).filter(|id| !id.is_empty()).unwrap_or(owner);
    let streaming = |message: Option<&Json>| message.and_then(|m| m.get("done")) == Some(&Json::Bool(false));
    author != owner || (stored.get("role").and_then(Json::as_str) == Some("assistant") && (streaming(Some(stored)) || streaming(merged)))
}

/// Applies `incoming` onto the stored chat JSON (`update_chat_by_id`).
pub fn merge_chat(stored: &Json, incoming: &Map<String, Json>, owner: &str) -> Json {
    let mut updated = stored.as_object().cloned().unwrap_or_default();
    for (key, value) in incoming {
        updated.insert(key.clone(), value.clone());
    }
    if let Some(incoming_history) = incoming.get("history") {
        let stored_history = stored.get("history");
        let mut merged = history::merge_history(stored_history, Some(incoming_history));
        let stored_messages = stored_history.and_then(|h| h.get("messages")).and_then(Json::as_object);
        if let (Some(stored_messages), Some(Json::Object(merged_messages))) = (stored_messages, merged.get_mut("messages")) {
            for (id, message) in stored_messages {
                if protected(message, merged_messages.get(id), owner) {
                    merged_messages.insert(id.clone(), message.clone());
                }
            }
        }
        let merged = history::merge_history(Some(&merged), None);
        updated.insert("history".into(), merged);
    }
    let mut updated = Json::Object(updated);
    history::strip_nul(&mut updated);
    updated
}

/// `POST /api/v1/chats/{id}`.
pub async fn update_chat(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let form = parse_chat_form(body)?;
    let mut incoming = form.chat.as_object().cloned().unwrap_or_default();
    let existing = model::find(ctx.db, id).await?.ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))?;
    // Only a new title is checked: one Open WebUI stored may come back unchanged.
    if incoming.get("title").and_then(Json::as_str) != Some(existing.title.as_str()) {
        crate::limits::check_title(incoming.get("title"))?;
    }
    if existing.user_id != user.id {
        let folder_owned = match &existing.folder_id {
            Some(folder_id) => !ctx
                .db
                .query("SELECT 1 FROM folder WHERE id = ? AND user_id = ?", &[folder_id.as_str().into(), user.id.as_str().into()])
                .await?
                .is_empty(),
            None => false,
        };
        let only_title = incoming.len() == 1 && incoming.contains_key("title");
        if !folder_owned || !only_title || form.variables.is_some() || form.folder_id.is_some() {
            return Err(ApiError::unauthorized(E_PROHIBITED));
        }
        match incoming.get("title").and_then(Json::as_str).map(str::trim) {
            Some(title) if !title.is_empty() => {
                incoming.insert("title".into(), Json::String(title.to_owned()));
            }
            _ => return Err(ApiError::bad_request("[ERROR: Invalid title]")),
        }
    }
    let mut incoming_json = Json::Object(incoming);
    history::stamp_authors(&mut incoming_json, &user.id, &user.name);
    let incoming = incoming_json.as_object().cloned().unwrap_or_default();
    let touch = incoming.contains_key("history") || incoming.contains_key("messages");
    let updated = transaction(ctx.db, async || {
        // A full-chat write: pending message patches are folded into the blob we rewrite.
        let stored = model::find_for_rewrite(ctx.db, id).await?.ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))?;
        let merged = merge_chat(&stored.chat, &incoming, &stored.user_id);
        let title = match merged.get("title") {
            None => "New Chat".to_owned(),
            Some(Json::String(title)) => title.clone(),
            Some(other) => other.to_string(),
        };
        let current = if CURRENT_KEYS.iter().any(|key| incoming.contains_key(*key)) {
            history::current_message_id(&merged)
        } else {
            stored.current_message_id.clone()
        };
        let updated_at = if touch { ctx.now } else { stored.updated_at };
        let variables = match &form.variables {
            Some(variables) => variables.clone(),
            None => stored.variables.clone(),
        };
        ctx.db
            .execute(
                "UPDATE chat SET chat = ?, title = ?, current_message_id = ?, updated_at = ?, variables = ? WHERE id = ?",
                &[(&merged).into(), title.into(), current.into(), updated_at.into(), (&variables).into(), id.into()],
            )
            .await?;
        let stored_messages = stored.chat.get("history").and_then(|h| h.get("messages"));
        let incoming_ids = incoming.get("history").and_then(|h| h.get("messages")).and_then(Json::as_object);
        let merged_messages = merged.get("history").and_then(|h| h.get("messages"));
        for message_id in incoming_ids.into_iter().flat_map(|messages| messages.keys()) {
            let Some(message) = merged_messages.and_then(|m| m.get(message_id)) else { continue };
            if message.get("role").is_some_and(crate::permissions::truthy) && stored_messages.and_then(|m| m.get(message_id)) != Some(message) {
                let author = message.get("user_id").and_then(Json::as_str).filter(|a| !a.is_empty()).unwrap_or(&stored.user_id);
                messages::upsert(ctx.db, id, message_id, author, message, ctx.now).await?;
            }
        }
        model::find_stored(ctx.db, id).await?.ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))
    })
    .await?;
    if updated.user_id != user.id {
        return Ok(access::viewer_projection(ctx.db, updated, Some(&user)).await?);
    }
    Ok(updated.into_response())
}
