//! `POST /{id}/compact` (spec §2.28). Compaction needs an LLM, which this service does not
//! run: the owner, model and body checks are Open WebUI's, then the answer is the one Open
//! WebUI gives while compaction is disabled (its default).

use super::model;
use crate::auth;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult, E_NOT_FOUND};
use crate::form::Fields;
use crate::history;
use crate::http::Request;
use crate::message_map;
use crate::permissions::truthy;
use serde_json::{Value as Json, json};

/// `POST /api/v1/chats/{id}/compact` with an optional `{"model": str|null}`.
pub async fn compact(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let requested = match body.optional_object()? {
        Some(raw) => {
            let mut fields = Fields::new(&raw);
            let model = fields.optional_str("model");
            fields.finish()?;
            model
        }
        None => None,
    };
    let chat = model::find_owned(ctx.db, id, &user.id).await?.ok_or_else(|| ApiError::unauthorized(E_NOT_FOUND))?;
    // Open WebUI answers 409 while a response streams for the chat; this service runs no
    // completions, so no task is ever active here.
    let history = chat.chat.get("history");
    let messages = match message_map::from_rows(ctx.db, id).await? {
        Some(rows) => rows,
        None => history.and_then(|h| h.get("messages")).and_then(Json::as_object).cloned().unwrap_or_default(),
    };
    let current = chat
        .current_message_id
        .clone()
        .filter(|id| !id.is_empty())
        .or_else(|| history.and_then(|h| h.get("currentId")).and_then(Json::as_str).map(str::to_owned));
    let branch_model = history::message_list(&messages, current.as_deref())
        .into_iter()
        .rev()
        .find_map(|message| message.get("model").filter(|model| truthy(model)).cloned());
    let model = requested
        .filter(|model| !model.is_empty())
        .map(Json::String)
        .or(branch_model)
        .or_else(|| chat.chat.get("models").and_then(Json::as_array).and_then(|models| models.first().cloned()))
        .filter(truthy);
    if model.is_none() {
        return Err(ApiError::bad_request("No model found for context compaction."));
    }
    Ok(json!({"ok": true, "compacted": false, "reason": "disabled", "context_usage": null}))
}
