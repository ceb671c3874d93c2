//! `GET /{id}` and `GET /{id}/pinned` (spec §2.29, §2.36).

use super::model;
use crate::access::{self, Permission};
use crate::auth;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult, E_DEFAULT, E_NOT_FOUND};
use crate::http::Request;
use serde_json::{Value as Json, json};

/// `GET /api/v1/chats/{id}`: the viewer projection, with `chat.share_mode = "continue"` for
/// anyone who may write (always the owner).
pub async fn get_chat(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let user = auth::verified_user(ctx, request).await?;
    let chat = access::accessible_chat(ctx, id, &user, Permission::Read)
        .await?
        .ok_or_else(|| ApiError::unauthorized(E_NOT_FOUND))?;
    let writable = access::can_access(ctx, &chat, &user, Permission::Write).await?;
    let mut data = access::viewer_projection(ctx.db, chat, Some(&user)).await?;
    if let Some(inner) = data["chat"].as_object_mut() {
        inner.insert("share_mode".into(), if writable { json!("continue") } else { Json::Null });
    }
    Ok(data)
}

/// `GET /api/v1/chats/{id}/pinned`: owner only (401 `Something went wrong :/` otherwise).
pub async fn get_pinned(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Option<bool>> {
    let user = auth::verified_user(ctx, request).await?;
    let chat = model::find_owned(ctx.db, id, &user.id)
        .await?
        .ok_or_else(|| ApiError::unauthorized(E_DEFAULT))?;
    Ok(chat.pinned)
}
