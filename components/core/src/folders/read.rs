//! `POST /api/v1/folders/{id}/read`: mark the caller's chats in a folder read.

use super::guard::require_folders;
use super::model;
use super::tree;
use crate::access::{Permission, has_folder_access};
use crate::auth;
use crate::chats::read_state::folder_unread_counts;
use crate::context::Ctx;
use crate::db::Value;
use crate::error::{ApiError, ApiResult, E_NOT_FOUND, E_PROHIBITED};
use crate::http::Request;
use crate::tags::NOT_INTERNAL;
use serde_json::{Value as Json, json};

/// Sets `last_read_at = updated_at` on the caller's non-archived chats in the folder (and,
/// for the owner or an admin, its whole subtree); a reader of a shared folder marks only
/// the folder itself.
pub async fn mark_read(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let user = auth::verified_user(ctx, request).await?;
    require_folders(ctx, &user).await?;
    let folder = model::find(ctx.db, id).await?.ok_or_else(|| ApiError::not_found(E_NOT_FOUND))?;
    let privileged = user.id == folder.user_id || user.is_admin();
    if !privileged && !has_folder_access(ctx.db, &user.id, id, Permission::Read).await? {
        return Err(ApiError::forbidden(E_PROHIBITED));
    }
    let folder_ids = if privileged { tree::subtree_ids(ctx.db, id, &folder.user_id).await? } else { vec![id.to_owned()] };
    let placeholders = vec!["?"; folder_ids.len()].join(",");
    let mut params: Vec<Value> = vec![user.id.as_str().into()];
    params.extend(folder_ids.iter().map(Value::from));
    let updated = ctx
        .db
        .execute(
            &format!(
                "UPDATE chat SET last_read_at = updated_at WHERE user_id = ? AND folder_id IN ({placeholders}) \
                 AND archived = 0 AND {NOT_INTERNAL}"
            ),
            &params,
        )
        .await?;
    Ok(json!({
        "folder_id": id,
        "folder_ids": folder_ids,
        "updated_count": updated,
        "folder_unread_counts": folder_unread_counts(ctx, &user.id).await?,
    }))
}
