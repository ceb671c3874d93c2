//! `POST /{id}/fork`: a new chat holding one branch of another, up to a message (spec §2.38).
//! `id` is a chat the caller may read, or else a share token (then the link's rules apply
//! and a snapshot is copied only as far as the snapshot goes).

use super::clone::reattribute;
use super::create::{NewChat, insert, require_creation_permission, require_import_permission};
use super::fork_branch;
use super::model::Chat;
use super::share_link;
use crate::access::{self, Permission, has_folder_access};
use crate::auth;
use crate::context::Ctx;
use crate::db::transaction;
use crate::error::{ApiError, ApiResult};
use crate::form::Fields;
use crate::history;
use crate::http::Request;
use crate::message_map;
use crate::users::User;
use serde_json::{Map, Value as Json, json};

/// The chat to fork from: one the caller may read, else the share link `id`.
async fn source(ctx: &Ctx<'_>, id: &str, user: &User) -> ApiResult<Chat> {
    match access::accessible_chat(ctx, id, user, Permission::Read).await? {
        Some(chat) => Ok(chat),
        None => Ok(share_link::open(ctx, id, Some(user)).await?.viewed_chat()),
    }
}

/// The message map to copy from: a live chat's `chat_message` rows (authoritative, with
/// the JSON filling gaps), a snapshot's own JSON history.
async fn message_map(ctx: &Ctx<'_>, chat: &Chat, is_snapshot: bool, history: &Json) -> ApiResult<Map<String, Json>> {
    let from_json = history.get("messages").and_then(Json::as_object).cloned().unwrap_or_default();
    if is_snapshot {
        return Ok(from_json);
    }
    let from_rows = message_map::for_chat(ctx.db, &chat.id, ctx.now).await?;
    Ok(if from_rows.is_empty() { from_json } else { from_rows })
}

/// `POST /api/v1/chats/{id}/fork` with an optional `{"message_id": str|null}` (default: the
/// chat's current message).
pub async fn fork_chat(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let body = body.optional_object()?.unwrap_or_default();
    let mut fields = Fields::new(&body);
    let message_id = fields.optional_str("message_id");
    fields.finish()?;
    require_import_permission(ctx, &user).await?;

    let chat = source(ctx, id, &user).await?;
    let is_snapshot = chat.share_id.as_deref() == Some(chat.id.as_str());
    let is_owner = chat.user_id == user.id;
    let history = chat.chat.get("history").filter(|history| history.is_object()).cloned().unwrap_or_else(|| json!({}));
    let messages = message_map(ctx, &chat, is_snapshot, &history).await?;
    let source_id = [message_id, chat.current_message_id.clone(), history["currentId"].as_str().map(str::to_owned)]
        .into_iter()
        .flatten()
        .find(|id| !id.is_empty())
        .ok_or_else(|| ApiError::bad_request("chat has no messages to fork"))?;
    let branch = fork_branch::build(&messages, &source_id)?.settle(&history);

    let mut forked = chat.chat.as_object().cloned().unwrap_or_default();
    forked.shift_remove("currentId");
    forked.shift_remove("share_mode");
    forked.insert("originalChatId".into(), json!(chat.id));
    forked.insert("branchPointMessageId".into(), json!(source_id));
    forked.insert("title".into(), json!(format!("{} (fork)", chat.title)));
    forked.insert("history".into(), branch.history);
    forked.insert("messages".into(), Json::Array(branch.messages));
    let mut forked = Json::Object(forked);
    if !is_owner {
        // Someone else's chat: what they may see of it, and its owner's messages become theirs.
        let viewed = Chat { chat: forked, ..chat.clone() };
        forked = access::viewer_projection(ctx.db, viewed, Some(&user)).await?["chat"].take();
        reattribute(&mut forked, &chat.user_id, &user);
    }
    history::strip_nul(&mut forked);

    let mut meta = if is_owner { chat.meta.as_object().cloned().unwrap_or_default() } else { Map::new() };
    meta.insert("forked_from".into(), json!(chat.id));
    meta.insert("forked_from_message_id".into(), json!(source_id));
    // The source's folder only for its owner, and only while they may still write to it.
    let folder_id = match chat.folder_id.as_deref().filter(|_| is_owner) {
        Some(folder_id) if has_folder_access(ctx.db, &user.id, folder_id, Permission::Write).await? => Some(folder_id.to_owned()),
        _ => None,
    };
    require_creation_permission(ctx, &user).await?;
    let fork = transaction(ctx.db, async || {
        insert(
            ctx,
            NewChat {
                folder_id,
                meta: Json::Object(meta),
                variables: if is_owner { chat.variables.clone() } else { json!({}) },
                pinned: is_owner && chat.pinned == Some(true),
                ..NewChat::fresh(&user.id, forked, ctx.now)
            },
        )
        .await
    })
    .await?;
    Ok(fork.into_response())
}
