//! `POST /{id}/messages/{message_id}/event` (spec §2.34): Open WebUI's chat event emitter
//! with persistence on. Each persisted type changes the stored message exactly as §5.5
//! says; the event is then published to the owner ([`crate::events`]).
//!
//! The answer is `true`, or `false` where Open WebUI's emitter raises (a `message` append
//! onto content of another type, `files`/`embeds` that cannot be extended); the owner's
//! socket still gets the event in that case, as Open WebUI emits before persisting.

use super::messages::writable_owner;
use crate::auth;
use crate::context::Ctx;
use crate::db::transaction;
use crate::error::{ApiError, ApiResult};
use crate::events::{self, MessageEvent};
use crate::form::Fields;
use crate::history;
use crate::http::Request;
use crate::message_upsert::{self, Target};
use crate::permissions::truthy;
use serde_json::{Map, Value as Json, json};

/// Chat ids the emitter never persists for (temporary and channel chats).
const NOT_SAVED_PREFIXES: [&str; 3] = ["temporary:", "local:", "channel:"];

/// What one event does to the stored message.
enum Plan {
    /// Nothing is stored.
    Skip,
    /// Open WebUI's emitter raises here (answer `false`, store nothing).
    Raise,
    /// Upsert this update; `true` bumps `updated_at`.
    Write(Map<String, Json>, bool),
}

/// `POST /api/v1/chats/{id}/messages/{message_id}/event`.
pub async fn send_event(ctx: &Ctx<'_>, request: &Request, id: &str, message_id: &str) -> ApiResult<bool> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    let kind = fields.required_str("type");
    let data = fields.required_object("data");
    fields.finish()?;
    let owner = writable_owner(ctx, &user, id).await?;
    let saved = !NOT_SAVED_PREFIXES.iter().any(|prefix| id.starts_with(prefix));
    let ok = if saved { persist(ctx, id, message_id, &kind, &data).await? } else { true };
    events::publish(ctx, MessageEvent::new(id, message_id, &owner, &kind, Json::Object(data))).await;
    Ok(ok)
}

/// Runs the plan for `kind` against the message, in one transaction.
async fn persist(ctx: &Ctx<'_>, id: &str, message_id: &str, kind: &str, data: &Map<String, Json>) -> ApiResult<bool> {
    transaction(ctx.db, async || {
        let Some(target) = message_upsert::load(ctx.db, id, message_id).await? else { return Ok(true) };
        match plan(&target, kind, data) {
            Plan::Skip => Ok(true),
            Plan::Raise => Ok(false),
            Plan::Write(update, touch) => {
                // A chat Open WebUI cannot write is skipped silently there too.
                message_upsert::apply(ctx, &target, update, touch).await?;
                Ok::<_, ApiError>(true)
            }
        }
    })
    .await
}

/// One field update.
fn set(key: &str, value: Json, touch: bool) -> Plan {
    let mut update = Map::new();
    update.insert(key.into(), value);
    Plan::Write(update, touch)
}

/// `new + existing` for `files` and `embeds`: new entries first; a non-list payload can only
/// be stored when there is no stored list to extend it with.
fn prepend(new: Json, existing: Option<&Json>) -> Option<Json> {
    match (new, existing) {
        (Json::Array(mut new), Some(Json::Array(existing))) => {
            new.extend(existing.iter().cloned());
            Some(Json::Array(new))
        }
        (_, Some(Json::Array(_))) => None,
        (new, _) => Some(new),
    }
}

/// The mutation of spec §5.5 for one event type.
fn plan(target: &Target, kind: &str, data: &Map<String, Json>) -> Plan {
    match kind {
        "status" => {
            // Appended only to an existing message; a stored non-list fails quietly there.
            if !target.exists() {
                return Plan::Skip;
            }
            let mut status = Json::Object(data.clone());
            history::strip_nul(&mut status);
            match target.field("statusHistory") {
                None => set("statusHistory", json!([status]), false),
                Some(Json::Array(items)) => {
                    let mut items = items.clone();
                    items.push(status);
                    set("statusHistory", Json::Array(items), false)
                }
                Some(_) => Plan::Skip,
            }
        }
        "message" => {
            if !target.exists() {
                return Plan::Skip;
            }
            let existing = target.field("content").cloned().unwrap_or_else(|| json!(""));
            let added = data.get("content").cloned().unwrap_or_else(|| json!(""));
            // Python's `existing + added`: strings concatenate, so do lists; anything else raises.
            match (existing, added) {
                (Json::String(existing), Json::String(added)) => set("content", json!(existing + &added), true),
                (Json::Array(mut existing), Json::Array(added)) => {
                    existing.extend(added);
                    set("content", Json::Array(existing), true)
                }
                _ => Plan::Raise,
            }
        }
        "replace" => set("content", data.get("content").cloned().unwrap_or_else(|| json!("")), true),
        "embeds" => {
            let embeds = data.get("embeds").cloned().unwrap_or_else(|| json!([]));
            let replace = data.get("replace").is_some_and(truthy);
            let existing = if replace { None } else { target.field("embeds") };
            prepend(embeds, existing).map_or(Plan::Raise, |embeds| set("embeds", embeds, false))
        }
        "files" => {
            let files = data.get("files").cloned().unwrap_or_else(|| json!([]));
            prepend(files, target.field("files")).map_or(Plan::Raise, |files| set("files", files, false))
        }
        "source" | "citation" if data.get("type").is_none_or(Json::is_null) => {
            let mut sources = match target.field("sources") {
                Some(Json::Array(items)) => items.clone(),
                _ => Vec::new(),
            };
            sources.push(Json::Object(data.clone()));
            set("sources", Json::Array(sources), false)
        }
        _ => Plan::Skip,
    }
}
