//! The chats side of folders: `GET /folder/{folder_id}` (full chats of a subtree),
//! `GET /folder/{folder_id}/list` (one folder, paged) and `POST /{id}/folder` (move a
//! chat) (spec §2.13, §2.14, §2.47).

use super::list::{order_by, page_clause};
use super::model::{self, CHAT_COLUMNS, Chat, ChatTitleId, TITLE_ID_COLUMNS};
use crate::access::{self, Permission, has_folder_access};
use crate::auth;
use crate::context::Ctx;
use crate::db::Value;
use crate::error::{ApiError, ApiResult, E_DEFAULT, E_NOT_FOUND};
use crate::folders::tree;
use crate::form::Fields;
use crate::http::Request;
use crate::tags::NOT_INTERNAL;
use serde_json::Value as Json;

/// Page size of `GET /folder/{id}/list` (the other lists use 60).
pub const FOLDER_PAGE_SIZE: i64 = 10;

/// Chats shown in a folder: the caller's, not pinned, not archived, not internal.
const VISIBLE: &str = "user_id = ? AND (pinned = 0 OR pinned IS NULL) AND archived = 0";

/// `GET /api/v1/chats/folder/{folder_id}`: the caller's chats in the folder and, if the
/// caller owns it, in all their folders below it; newest first. Unknown folder: `[]`.
pub async fn chats_in_subtree(ctx: &Ctx<'_>, request: &Request, folder_id: &str) -> ApiResult<Vec<Json>> {
    let user = auth::verified_user(ctx, request).await?;
    let mut folder_ids = tree::subtree_ids(ctx.db, folder_id, &user.id).await?;
    if folder_ids.is_empty() {
        folder_ids.push(folder_id.to_owned());
    }
    let placeholders = vec!["?"; folder_ids.len()].join(",");
    let mut params: Vec<Value> = vec![user.id.as_str().into()];
    params.extend(folder_ids.iter().map(Value::from));
    let rows = ctx
        .db
        .query(
            &format!(
                "SELECT {CHAT_COLUMNS} FROM chat WHERE {VISIBLE} AND {NOT_INTERNAL} \
                 AND folder_id IN ({placeholders}) ORDER BY updated_at DESC, id ASC"
            ),
            &params,
        )
        .await?;
    let chats = super::model::prepare_all(ctx.db, rows.iter().map(Chat::from_row).collect()).await?;
    Ok(chats.into_iter().map(Chat::into_response).collect())
}

/// `GET /api/v1/chats/folder/{folder_id}/list?page=&sort_by=&sort_dir=`: the caller's
/// chats in exactly this folder, 10 a page, unread first by default.
pub async fn chat_list(ctx: &Ctx<'_>, request: &Request, folder_id: &str) -> ApiResult<Vec<ChatTitleId>> {
    let user = auth::verified_user(ctx, request).await?;
    let page = request.query_int("page")?.unwrap_or(1);
    let sort_by = request.query_str("sort_by").unwrap_or_else(|| "unread_updated_at".into());
    let sort_dir = request.query_str("sort_dir").unwrap_or_else(|| "desc".into());
    let sql = format!(
        "SELECT {TITLE_ID_COLUMNS} FROM chat WHERE {VISIBLE} AND {NOT_INTERNAL} AND folder_id = ? ORDER BY {}{}",
        order_by(&sort_by, &sort_dir),
        page_clause(Some(page), FOLDER_PAGE_SIZE)
    );
    let rows = ctx.db.query(&sql, &[user.id.as_str().into(), folder_id.into()]).await?;
    Ok(rows.iter().map(ChatTitleId::from_row).collect())
}

/// `POST /api/v1/chats/{id}/folder` (`{"folder_id": str|null}`): moves a chat into a folder
/// (or out of any). The chat is unpinned, unarchived when moved into a folder, and marked
/// read for its owner. A non-owner may only move chats between their own folders under the
/// same shared root; the target always needs write access.
pub async fn move_chat(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    let target = fields.optional_str("folder_id");
    fields.finish()?;
    let chat = model::find_stored(ctx.db, id).await?.ok_or_else(|| ApiError::unauthorized(E_DEFAULT))?;
    let owner = chat.user_id == user.id;
    if !owner && !tree::may_move_chat(ctx.db, &user.id, chat.folder_id.as_deref(), target.as_deref()).await? {
        return Err(ApiError::unauthorized(E_DEFAULT));
    }
    if let Some(target) = &target
        && !has_folder_access(ctx.db, &user.id, target, Permission::Write).await?
    {
        return Err(ApiError::not_found(E_NOT_FOUND));
    }
    ctx.db
        .execute(
            "UPDATE chat SET folder_id = ?, updated_at = ?, pinned = 0, \
             last_read_at = CASE WHEN ? THEN ? ELSE last_read_at END, \
             archived = CASE WHEN ? IS NOT NULL THEN 0 ELSE archived END WHERE id = ?",
            &[target.clone().into(), ctx.now.into(), owner.into(), ctx.now.into(), target.into(), id.into()],
        )
        .await?;
    let moved = model::find_stored(ctx.db, id).await?.ok_or_else(|| ApiError::unauthorized(E_DEFAULT))?;
    if owner {
        Ok(moved.into_response())
    } else {
        Ok(access::viewer_projection(ctx.db, moved, Some(&user)).await?)
    }
}
