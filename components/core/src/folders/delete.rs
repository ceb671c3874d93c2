//! `DELETE /api/v1/folders/{id}?delete_contents=true`: delete a folder and its subtree.

use super::guard::require_folders;
use super::model;
use super::tree;
use crate::auth;
use crate::config;
use crate::context::Ctx;
use crate::db::{Value, transaction};
use crate::error::{ApiError, ApiResult, E_NOT_FOUND, E_PROHIBITED};
use crate::http::Request;
use crate::permissions;
use crate::tags::{self, NOT_INTERNAL};

/// Deletes the folder and every descendant of its owner. With `delete_contents` (the
/// default) the owner's chats in them are deleted too (their messages, share snapshots and
/// now-unused tag rows with them); every other chat still pointing at a deleted folder is
/// moved to the root, and the folders' access grants are revoked. Only the owner or an
/// admin may delete; deleting chats needs `chat.delete`.
pub async fn delete(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<bool> {
    let user = auth::verified_user(ctx, request).await?;
    let delete_contents = request.query_bool("delete_contents")?.unwrap_or(true);
    require_folders(ctx, &user).await?;
    let folder = match model::find_owned(ctx.db, id, &user.id).await? {
        Some(folder) => folder,
        None => {
            let folder = model::find(ctx.db, id).await?.ok_or_else(|| ApiError::not_found(E_NOT_FOUND))?;
            if !user.is_admin() {
                return Err(ApiError::forbidden(E_PROHIBITED));
            }
            folder
        }
    };
    let owner = folder.user_id.as_str();
    let ids = tree::subtree_ids(ctx.db, id, owner).await?;
    let placeholders = vec!["?"; ids.len()].join(",");
    let in_folders = |first: &str| -> Vec<Value> {
        std::iter::once(Value::from(first)).chain(ids.iter().map(Value::from)).collect()
    };
    if delete_contents && !user.is_admin() {
        let count = ctx
            .db
            .query(
                &format!("SELECT COUNT(*) FROM chat WHERE user_id = ? AND folder_id IN ({placeholders}) AND {NOT_INTERNAL}"),
                &in_folders(owner),
            )
            .await?;
        if count.first().map_or(0, |row| row.int(0)) > 0 {
            let config = config::load(ctx).await?;
            if !permissions::has_permission(ctx, &config, &user.id, "chat.delete").await? {
                return Err(ApiError::forbidden(E_PROHIBITED));
            }
        }
    }
    let owned_chats = format!("SELECT id FROM chat WHERE user_id = ? AND folder_id IN ({placeholders})");
    transaction(ctx.db, async || {
        if delete_contents {
            let used = ctx
                .db
                .query(
                    &format!(
                        "SELECT DISTINCT t.value FROM chat, json_each(chat.meta, '$.tags') t \
                         WHERE chat.user_id = ? AND chat.folder_id IN ({placeholders}) AND t.type = 'text'"
                    ),
                    &in_folders(owner),
                )
                .await?;
            let tag_ids: Vec<String> = used.iter().map(|row| row.text(0)).collect();
            ctx.db.execute(&format!("DELETE FROM chat_message WHERE chat_id IN ({owned_chats})"), &in_folders(owner)).await?;
            ctx.db.execute(&format!("DELETE FROM shared_chat WHERE chat_id IN ({owned_chats})"), &in_folders(owner)).await?;
            ctx.db.execute(&format!("DELETE FROM chat WHERE id IN ({owned_chats})"), &in_folders(owner)).await?;
            tags::delete_orphans(ctx.db, owner, &tag_ids, 0).await?;
        }
        let ids_only: Vec<Value> = ids.iter().map(Value::from).collect();
        ctx.db.execute(&format!("UPDATE chat SET folder_id = NULL WHERE folder_id IN ({placeholders})"), &ids_only).await?;
        ctx.db
            .execute(&format!("DELETE FROM access_grant WHERE resource_type = 'folder' AND resource_id IN ({placeholders})"), &ids_only)
            .await?;
        ctx.db.execute(&format!("DELETE FROM folder WHERE user_id = ? AND id IN ({placeholders})"), &in_folders(owner)).await?;
        Ok::<_, ApiError>(true)
    })
    .await
}
