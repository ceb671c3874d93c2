//! `DELETE /{id}` and `DELETE /` (spec §2.35, §2.7).

use super::model::{self, Chat};
use crate::auth;
use crate::config;
use crate::context::Ctx;
use crate::db::{DbError, transaction};
use crate::error::{ApiError, ApiResult, E_NOT_FOUND, E_PROHIBITED};
use crate::http::Request;
use crate::permissions;
use crate::tags;
use crate::users::User;

async fn may_delete(ctx: &Ctx<'_>, user: &User) -> ApiResult<()> {
    if user.is_admin() {
        return Ok(());
    }
    let config = config::load(ctx).await?;
    if permissions::has_permission(ctx, &config, &user.id, "chat.delete").await? {
        Ok(())
    } else {
        Err(ApiError::unauthorized(E_PROHIBITED))
    }
}

/// Removes a chat row with its messages and share snapshots.
async fn delete_rows(ctx: &Ctx<'_>, id: &str) -> Result<(), DbError> {
    ctx.db.execute("DELETE FROM chat_message WHERE chat_id = ?", &[id.into()]).await?;
    ctx.db.execute("DELETE FROM chat WHERE id = ?", &[id.into()]).await?;
    ctx.db.execute("DELETE FROM shared_chat WHERE chat_id = ?", &[id.into()]).await?;
    Ok(())
}

/// `DELETE /api/v1/chats/{id}`: owner (or admin with admin chat access); 404 otherwise.
pub async fn delete_chat(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<bool> {
    let user = auth::verified_user(ctx, request).await?;
    may_delete(ctx, &user).await?;
    let chat: Option<Chat> = model::find(ctx.db, id).await?.filter(|chat| {
        chat.user_id == user.id || (user.is_admin() && ctx.settings.enable_admin_chat_access)
    });
    let chat = chat.ok_or_else(|| ApiError::not_found(E_NOT_FOUND))?;
    transaction(ctx.db, async || {
        tags::delete_orphans(ctx.db, &chat.user_id, &chat.tags(), 1).await?;
        let children = ctx
            .db
            .query(
                "SELECT id FROM chat WHERE user_id = ? AND json_type(meta, '$.internal') = 'true' \
                 AND json_extract(meta, '$.parent_chat_id') = ?",
                &[chat.user_id.as_str().into(), id.into()],
            )
            .await?;
        for child in children {
            delete_rows(ctx, &child.text(0)).await?;
        }
        delete_rows(ctx, id).await?;
        Ok::<_, ApiError>(true)
    })
    .await
}

/// `DELETE /api/v1/chats/`: every chat of the caller, their messages, shares and tags.
pub async fn delete_all(ctx: &Ctx<'_>, request: &Request) -> ApiResult<bool> {
    let user = auth::verified_user(ctx, request).await?;
    may_delete(ctx, &user).await?;
    let uid = user.id.as_str();
    transaction(ctx.db, async || {
        ctx.db.execute("DELETE FROM shared_chat WHERE user_id = ?", &[uid.into()]).await?;
        ctx.db
            .execute("DELETE FROM chat_message WHERE chat_id IN (SELECT id FROM chat WHERE user_id = ?)", &[uid.into()])
            .await?;
        ctx.db.execute("DELETE FROM chat WHERE user_id = ?", &[uid.into()]).await?;
        ctx.db.execute("DELETE FROM tag WHERE user_id = ?", &[uid.into()]).await?;
        Ok::<_, ApiError>(true)
    })
    .await
}
