//! Read/unread state: `POST /read` and `POST /{id}/unread` with per-folder unread counts
//! (spec §2.3, §2.46).

use super::list::UNREAD;
use super::model;
use crate::auth;
use crate::context::Ctx;
use crate::db::DbError;
use crate::error::{ApiError, ApiResult, E_NOT_FOUND};
use crate::http::Request;
use crate::tags::NOT_INTERNAL;
use serde_json::{Map, Value as Json, json};
use std::collections::{HashMap, HashSet};

/// Unread chats per folder of the user, rolled up through `parent_id`; every folder the
/// user owns has an entry (0 included).
pub async fn folder_unread_counts(ctx: &Ctx<'_>, user_id: &str) -> Result<Map<String, Json>, DbError> {
    let folders = ctx
        .db
        .query("SELECT id, parent_id FROM folder WHERE user_id = ?", &[user_id.into()])
        .await?;
    let parent: HashMap<String, Option<String>> =
        folders.iter().map(|row| (row.text(0), row.opt_text(1))).collect();
    let mut counts: Vec<(String, i64)> = folders.iter().map(|row| (row.text(0), 0)).collect();
    let direct = ctx
        .db
        .query(
            &format!(
                "SELECT folder_id, COUNT(id) FROM chat WHERE user_id = ? AND folder_id IS NOT NULL \
                 AND archived = 0 AND {UNREAD} GROUP BY folder_id"
            ),
            &[user_id.into()],
        )
        .await?;
    for row in direct {
        let amount = row.int(1);
        let mut current = row.opt_text(0);
        let mut seen = HashSet::new();
        while let Some(id) = current.filter(|id| seen.insert(id.clone())) {
            if let Some(entry) = counts.iter_mut().find(|(folder, _)| *folder == id) {
                entry.1 += amount;
            }
            current = parent.get(&id).cloned().flatten();
        }
    }
    Ok(counts.into_iter().map(|(id, count)| (id, json!(count))).collect())
}

/// `POST /api/v1/chats/read`: marks every non-archived, non-internal chat read.
pub async fn mark_all_read(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Json> {
    let user = auth::verified_user(ctx, request).await?;
    let updated = ctx
        .db
        .execute(
            &format!("UPDATE chat SET last_read_at = updated_at WHERE user_id = ? AND archived = 0 AND {NOT_INTERNAL}"),
            &[user.id.as_str().into()],
        )
        .await?;
    Ok(json!({
        "updated_count": updated,
        "folder_unread_counts": folder_unread_counts(ctx, &user.id).await?,
    }))
}

/// `POST /api/v1/chats/{id}/unread`: sets `last_read_at = 0` (owner only, else 404).
pub async fn mark_unread(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let user = auth::verified_user(ctx, request).await?;
    let chat = model::find_owned(ctx.db, id, &user.id)
        .await?
        .ok_or_else(|| ApiError::not_found(E_NOT_FOUND))?;
    ctx.db.execute("UPDATE chat SET last_read_at = 0 WHERE id = ?", &[id.into()]).await?;
    Ok(json!({
        "chat_id": id,
        "last_read_at": 0,
        "folder_id": chat.folder_id,
        "folder_unread_counts": folder_unread_counts(ctx, &user.id).await?,
    }))
}
