//! The tag routes: a chat's tags (`GET/POST/DELETE /{id}/tags`, `DELETE /{id}/tags/all`),
//! the user's tag rows (`GET /all/tags`) and chats by tag (`POST /tags`) (spec §2.18,
//! §2.27, §2.48–2.50, §3.4).
//!
//! A chat's tags live in `chat.meta.tags` as normalised ids; the `tag` table holds one row
//! per (id, user) with the display name. Rows are created when a tag is first used and
//! removed once no chat of the user (archived ones included) carries the id any more.

use super::model::{self, ChatTitleId, TITLE_ID_COLUMNS};
use crate::access::{self, Permission};
use crate::auth;
use crate::context::Ctx;
use crate::db::{DbError, transaction};
use crate::error::{ApiError, ApiResult, E_DEFAULT, E_NOT_FOUND};
use crate::form::Fields;
use crate::history::strip_nul_str;
use crate::http::{Body, Request};
use crate::tags::{self, NOT_INTERNAL, Tag};
use serde_json::Value as Json;

/// `TagForm`: `{"name": str}`. NUL bytes are dropped, as for chats: SQLite text would cut
/// the name short at the first one.
fn parse_name(body: Body) -> ApiResult<String> {
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    let name = fields.required_str("name");
    fields.finish()?;
    Ok(strip_nul_str(&name))
}

/// Rewrites `meta.tags` of a chat (read, change, write; call it inside a transaction so
/// no concurrent change is lost) and returns the tag ids before and after.
async fn change_tags(ctx: &Ctx<'_>, chat_id: &str, change: impl FnOnce(Option<&Json>) -> Json) -> Result<(Vec<String>, Vec<String>), DbError> {
    let Some(chat) = model::find_stored(ctx.db, chat_id).await? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut meta = chat.meta.clone();
    meta["tags"] = change(meta.get("tags"));
    ctx.db.execute("UPDATE chat SET meta = ? WHERE id = ?", &[(&meta).into(), chat_id.into()]).await?;
    Ok((chat.tags(), string_ids(&meta["tags"])))
}

fn string_ids(tags: &Json) -> Vec<String> {
    tags.as_array().into_iter().flatten().filter_map(|tag| tag.as_str().map(str::to_owned)).collect()
}

/// `GET /api/v1/chats/{id}/tags`: the owner's tag rows for the chat's tag ids, for anyone
/// who may read the chat (401 `E_NOT_FOUND` otherwise).
pub async fn chat_tags(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Vec<Tag>> {
    let user = auth::verified_user(ctx, request).await?;
    let chat = access::accessible_chat(ctx, id, &user, Permission::Read)
        .await?
        .ok_or_else(|| ApiError::unauthorized(E_NOT_FOUND))?;
    Ok(tags::by_ids(ctx.db, &chat.user_id, &chat.tags()).await?)
}

/// `POST /api/v1/chats/{id}/tags`: adds a tag (owner only, 401 `E_DEFAULT` otherwise).
/// The tag row keeps the first spelling of the name; `updated_at` is not touched.
pub async fn add_tag(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Vec<Tag>> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let name = parse_name(body)?;
    crate::limits::check_tag_name(&name)?;
    model::find_owned(ctx.db, id, &user.id).await?.ok_or_else(|| ApiError::unauthorized(E_DEFAULT))?;
    let tag_id = tags::normalise(&name);
    if tag_id == "none" {
        return Err(ApiError::bad_request("[ERROR: Tag name cannot be 'None']"));
    }
    transaction(ctx.db, async || {
        tags::ensure_exist(ctx.db, &user.id, std::slice::from_ref(&name)).await?;
        let (before, after) = change_tags(ctx, id, |current| tags::with_tag(current, &tag_id)).await?;
        if after.len() > before.len() {
            // An error rolls the whole change back, tag row included.
            crate::limits::check_tag_count(after.len())?;
        }
        Ok(tags::by_ids(ctx.db, &user.id, &after).await?)
    })
    .await
}

/// `DELETE /api/v1/chats/{id}/tags` (JSON body): removes a tag (owner only, 401
/// `E_NOT_FOUND` otherwise) and deletes the tag row once no chat of the user carries it.
pub async fn remove_tag(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Vec<Tag>> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let name = parse_name(body)?;
    model::find_owned(ctx.db, id, &user.id).await?.ok_or_else(|| ApiError::unauthorized(E_NOT_FOUND))?;
    let tag_id = tags::normalise(&name);
    transaction(ctx.db, async || {
        let (_, after) = change_tags(ctx, id, |current| tags::without_tag(current, &tag_id)).await?;
        tags::delete_orphans(ctx.db, &user.id, std::slice::from_ref(&tag_id), 0).await?;
        Ok(tags::by_ids(ctx.db, &user.id, &after).await?)
    })
    .await
}

/// `DELETE /api/v1/chats/{id}/tags/all` (not in 0.12.4; older Open WebUI had it): clears
/// the chat's tags and removes the tag rows no other chat uses. Owner only.
pub async fn remove_all_tags(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<bool> {
    let user = auth::verified_user(ctx, request).await?;
    model::find_owned(ctx.db, id, &user.id).await?.ok_or_else(|| ApiError::unauthorized(E_NOT_FOUND))?;
    transaction(ctx.db, async || {
        let (before, _) = change_tags(ctx, id, |_| Json::Array(Vec::new())).await?;
        tags::delete_orphans(ctx.db, &user.id, &before, 0).await?;
        Ok(true)
    })
    .await
}

/// `GET /api/v1/chats/all/tags`: every tag row of the caller.
pub async fn all_tags(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<Tag>> {
    let user = auth::verified_user(ctx, request).await?;
    Ok(tags::for_user(ctx.db, &user.id).await?)
}

/// `POST /api/v1/chats/tags`: the caller's chats carrying a tag (archived and folder chats
/// included), `updated_at DESC, id`, paged by `skip`/`limit` (default 50; 0, Open WebUI's
/// "no limit", and anything larger are capped at [`crate::limits::MAX_PAGE_SIZE`]).
///
/// Open WebUI deletes the tag row whenever the page comes back empty, which also happens
/// when `skip` runs past the end while chats still carry the tag. We delete it only when no
/// chat of the caller carries it (docs/compatibility.md).
pub async fn chats_by_tag(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<ChatTitleId>> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    let name = fields.required_str("name");
    let skip = fields.optional_int("skip").unwrap_or(0);
    let limit = crate::limits::page_size(fields.optional_int("limit"), 50);
    fields.finish()?;
    let tag_id = tags::normalise(&strip_nul_str(&name));
    let rows = ctx
        .db
        .query(
            &format!(
                "SELECT {TITLE_ID_COLUMNS} FROM chat WHERE user_id = ? AND {NOT_INTERNAL} \
                 AND EXISTS (SELECT 1 FROM json_each(chat.meta, '$.tags') WHERE json_each.value = ?) \
                 ORDER BY updated_at DESC, id ASC LIMIT ? OFFSET ?"
            ),
            &[user.id.as_str().into(), tag_id.as_str().into(), limit.into(), skip.max(0).into()],
        )
        .await?;
    if rows.is_empty() {
        tags::delete_orphans(ctx.db, &user.id, &[tag_id], 0).await?;
    }
    Ok(rows.iter().map(ChatTitleId::from_row).collect())
}

