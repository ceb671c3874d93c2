//! Pin and archive toggles, and archive/unarchive of everything (spec §2.37, §2.41,
//! §2.22, §2.23).

use super::model::{self, Chat};
use crate::auth;
use crate::context::Ctx;
use crate::db::transaction;
use crate::error::{ApiError, ApiResult, E_DEFAULT};
use crate::http::Request;
use crate::tags::{self, NOT_INTERNAL};
use serde_json::Value as Json;

async fn owned(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Chat> {
    let user = auth::verified_user(ctx, request).await?;
    model::find_owned(ctx.db, id, &user.id)
        .await?
        .ok_or_else(|| ApiError::unauthorized(E_DEFAULT))
}

/// The chat as stored after the toggle (pending message patches folded, no repair).
async fn reload(ctx: &Ctx<'_>, id: &str) -> ApiResult<Json> {
    model::find_stored(ctx.db, id)
        .await?
        .map(|chat| chat.into_response())
        .ok_or_else(|| ApiError::unauthorized(E_DEFAULT))
}

/// `POST /api/v1/chats/{id}/pin`: toggles `pinned` and moves the chat to the top.
pub async fn toggle_pin(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    owned(ctx, request, id).await?;
    // Toggled in one statement, so two concurrent toggles cannot both write the same value.
    ctx.db
        .execute(
            "UPDATE chat SET pinned = NOT COALESCE(pinned, 0), updated_at = ?, last_read_at = ? WHERE id = ?",
            &[ctx.now.into(), ctx.now.into(), id.into()],
        )
        .await?;
    reload(ctx, id).await
}

/// `POST /api/v1/chats/{id}/archive`: toggles `archived`, clears the folder both ways.
pub async fn toggle_archive(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    owned(ctx, request, id).await?;
    transaction(ctx.db, async || {
        // Read and toggle inside the transaction, so concurrent toggles serialise.
        let chat = model::find_stored(ctx.db, id).await?.ok_or_else(|| ApiError::unauthorized(E_DEFAULT))?;
        let archived = !chat.archived;
        ctx.db
            .execute(
                "UPDATE chat SET archived = ?, folder_id = NULL, updated_at = ?, last_read_at = ? WHERE id = ?",
                &[archived.into(), ctx.now.into(), ctx.now.into(), id.into()],
            )
            .await?;
        if !archived {
            tags::ensure_exist(ctx.db, &chat.user_id, &chat.tags()).await?;
        }
        Ok::<_, ApiError>(())
    })
    .await?;
    reload(ctx, id).await
}

/// `POST /api/v1/chats/archive/all`: archives every chat of the caller (internal included).
pub async fn archive_all(ctx: &Ctx<'_>, request: &Request) -> ApiResult<bool> {
    let user = auth::verified_user(ctx, request).await?;
    ctx.db
        .execute("UPDATE chat SET archived = 1, folder_id = NULL WHERE user_id = ?", &[user.id.as_str().into()])
        .await?;
    Ok(true)
}

/// `POST /api/v1/chats/unarchive/all`: unarchives everything and restores tag rows.
pub async fn unarchive_all(ctx: &Ctx<'_>, request: &Request) -> ApiResult<bool> {
    let user = auth::verified_user(ctx, request).await?;
    let uid = user.id.as_str();
    transaction(ctx.db, async || {
        let rows = ctx
            .db
            .query(
                &format!(
                    "SELECT DISTINCT t.value FROM chat, json_each(chat.meta, '$.tags') t \
                     WHERE chat.user_id = ? AND chat.archived = 1 AND {NOT_INTERNAL} AND t.type = 'text'"
                ),
                &[uid.into()],
            )
            .await?;
        ctx.db.execute("UPDATE chat SET archived = 0 WHERE user_id = ?", &[uid.into()]).await?;
        let names: Vec<String> = rows.iter().map(|row| row.text(0)).collect();
        tags::ensure_exist(ctx.db, uid, &names).await?;
        Ok::<_, ApiError>(true)
    })
    .await
}
