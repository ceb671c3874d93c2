//! Who may open a chat's share link: `POST /shared/{id}/access/update` and
//! `GET /shared/{id}/access` (spec §2.44, §2.45). `id` is the chat id; the grants live on
//! (`shared_chat`, chat id), so they outlive a re-share of the same chat.

use super::model::{self, Chat};
use super::shares::{self, RESOURCE};
use crate::auth;
use crate::config;
use crate::context::Ctx;
use crate::db::transaction;
use crate::error::{ApiError, ApiResult, E_NOT_FOUND};
use crate::grants::{self, Grant};
use crate::http::Request;
use crate::permissions::{self, truthy};
use crate::users::User;
use serde_json::{Value as Json, json};

/// The chat whose share access `user` manages: any chat for an admin with admin chat
/// access, otherwise only their own (404 `E_NOT_FOUND`).
async fn managed_chat(ctx: &Ctx<'_>, user: &User, id: &str) -> ApiResult<Chat> {
    let chat = if user.is_admin() && ctx.settings.enable_admin_chat_access {
        model::find(ctx.db, id).await?
    } else {
        model::find_owned(ctx.db, id, &user.id).await?
    };
    chat.ok_or_else(|| ApiError::not_found(E_NOT_FOUND))
}

/// The permission a non-admin needs to grant to this audience (`filter_allowed_access_grants`
/// for `shared_chat`).
fn audience_permission(grant: &Grant) -> &'static str {
    match grant.principal_type.as_str() {
        "anyone" => "sharing.open_chats",
        _ if grant.is_public() => "sharing.public_chats",
        "user" => "access_grants.allow_users",
        _ => "access_grants.allow_groups",
    }
}

/// `validate_access_grants`: admins may grant anything well-formed; anyone else needs the
/// permission of every audience, or the whole change is refused.
async fn authorise(ctx: &Ctx<'_>, user: &User, grants: &[Grant]) -> ApiResult<()> {
    if user.is_admin() || grants.is_empty() {
        return Ok(());
    }
    let config = config::load(ctx).await?;
    let effective = permissions::effective_permissions(ctx, &config, &user.id).await?;
    let allowed = |key: &str| permissions::lookup(&effective, key).is_some_and(truthy);
    if grants.iter().all(|grant| allowed(audience_permission(grant))) {
        Ok(())
    } else {
        Err(ApiError::forbidden("You do not have permission to share with the requested audience"))
    }
}

/// `POST /api/v1/chats/shared/{id}/access/update`: replaces the share's grants and, when the
/// body has `share_mode` and the chat is shared, the snapshot's mode. Returns the chat as
/// it was before the change.
pub async fn update_access(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let body = body.object()?;
    let mut errors = Vec::new();
    let raw_grants = match body.get("access_grants") {
        None => {
            errors.push(json!({"type": "missing", "loc": ["body", "access_grants"], "msg": "Field required", "input": body}));
            Vec::new()
        }
        Some(Json::Array(items)) => {
            for (index, item) in items.iter().enumerate().filter(|(_, item)| !item.is_object()) {
                errors.push(json!({
                    "type": "dict_type", "loc": ["body", "access_grants", index],
                    "msg": "Input should be a valid dictionary", "input": item,
                }));
            }
            items.clone()
        }
        Some(other) => {
            errors.push(json!({"type": "list_type", "loc": ["body", "access_grants"], "msg": "Input should be a valid list", "input": other}));
            Vec::new()
        }
    };
    let share_mode = shares::share_mode_field(&body, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let chat = managed_chat(ctx, &user, id).await?;
    let grants = grants::normalise(&raw_grants);
    authorise(ctx, &user, &grants).await?;
    transaction(ctx.db, async || {
        grants::replace(ctx.db, RESOURCE, id, &grants, ctx.now).await?;
        if let (Some(mode), Some(share_id)) = (&share_mode, &chat.share_id) {
            shares::set_share_mode(ctx, share_id, mode).await?;
        }
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(chat.into_response())
}

/// `GET /api/v1/chats/shared/{id}/access`: the share's grants.
pub async fn get_access(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Vec<Grant>> {
    let user = auth::verified_user(ctx, request).await?;
    managed_chat(ctx, &user, id).await?;
    Ok(grants::list(ctx.db, RESOURCE, id).await?)
}
