//! `GET /share/{share_id}`: opening a share link (spec §2.26). Fork uses the same resolution
//! when the id it is given is a share token rather than a chat it may read.

use super::model::{self, Chat};
use super::shares;
use crate::access::{self, Permission};
use crate::auth;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult, E_INVALID_TOKEN, E_NOT_FOUND, E_PROHIBITED};
use crate::http::Request;
use crate::users::User;
use serde_json::{Value as Json, json};

/// A resolved share link: the chat shown (the live original or the snapshot) and the
/// ChatResponse the viewer gets for it.
pub struct Opened {
    /// The source chat, before the viewer projection.
    pub chat: Chat,
    /// The viewer projection with `chat.share_mode` set (`"continue"` when live).
    pub response: Json,
}

impl Opened {
    /// The chat as the viewer sees it (projected JSON and variables), which is what fork
    /// copies from when it reached the chat through a link.
    pub fn viewed_chat(&self) -> Chat {
        Chat {
            chat: self.response["chat"].clone(),
            variables: self.response["variables"].clone(),
            ..self.chat.clone()
        }
    }
}

async fn project(ctx: &Ctx<'_>, chat: Chat, user: Option<&User>, live: bool) -> ApiResult<Opened> {
    let mut response = access::viewer_projection(ctx.db, chat.clone(), user).await?;
    if let Some(inner) = response["chat"].as_object_mut() {
        inner.insert("share_mode".into(), if live { json!("continue") } else { Json::Null });
    }
    Ok(Opened { chat, response })
}

/// `get_shared_chat_by_id`: resolves `share_id` for `user` (or an anonymous viewer) with
/// Open WebUI's 401s.
pub async fn open(ctx: &Ctx<'_>, share_id: &str, user: Option<&User>) -> ApiResult<Opened> {
    if let Some(shared) = shares::find(ctx.db, share_id).await? {
        let readable = shares::is_open(ctx.db, &shared).await?
            || match user {
                Some(user) => shares::can_read(ctx, user, &shared).await?,
                None => false,
            };
        if readable {
            // Live: a `continue` share opened by someone who may write the original.
            let live = match user {
                Some(user) if shared.continues() => {
                    access::accessible_chat(ctx, &shared.chat_id, user, Permission::Write).await?.is_some()
                }
                _ => false,
            };
            let chat = if live { model::find(ctx.db, &shared.chat_id).await? } else { Some(shared.snapshot()) };
            if let Some(chat) = chat {
                return project(ctx, chat, user, live).await;
            }
        }
        return Err(ApiError::unauthorized(if user.is_some() { E_PROHIBITED } else { E_INVALID_TOKEN }));
    }
    // Admins (with admin chat access) may also open any chat by its id.
    if let Some(user) = user.filter(|user| user.is_admin() && ctx.settings.enable_admin_chat_access)
        && let Some(chat) = model::find(ctx.db, share_id).await?
    {
        let writable = access::can_access(ctx, &chat, user, Permission::Write).await?;
        return project(ctx, chat, Some(user), writable).await;
    }
    Err(ApiError::unauthorized(E_NOT_FOUND))
}

/// `GET /api/v1/chats/share/{share_id}`: signing in is optional.
pub async fn get_shared_chat(ctx: &Ctx<'_>, request: &Request, share_id: &str) -> ApiResult<Json> {
    let user = auth::optional_verified_user(ctx, request).await;
    Ok(open(ctx, share_id, user.as_ref()).await?.response)
}
