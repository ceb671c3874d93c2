//! `POST /{id}/clone` (a copy of one's own chat) and `POST /{id}/clone/shared` (a copy of
//! what a share link shows) (spec §2.39, §2.40). Both go through Open WebUI's import path:
//! messages without an author get the cloner, the folder is kept only while writable.

use super::create::{NewChat, insert, require_creation_permission, require_import_permission};
use super::model::{self, Chat};
use super::shares;
use crate::access::{self, Permission, for_each_message, has_folder_access, has_grant};
use crate::auth;
use crate::context::Ctx;
use crate::db::transaction;
use crate::error::{ApiError, ApiResult, E_DEFAULT, E_NOT_FOUND, E_PROHIBITED};
use crate::form::Fields;
use crate::history;
use crate::http::Request;
use crate::users::User;
use serde_json::{Value as Json, json};

/// `chat.history.currentId`, which both clones record as `branchPointMessageId`. Open
/// WebUI indexes it blindly and answers 500 when the chat has no history object or the
/// history no `currentId`; that is a 400 here.
fn branch_point(chat: &Chat) -> ApiResult<Json> {
    chat.chat
        .get("history")
        .and_then(Json::as_object)
        .and_then(|history| history.get("currentId"))
        .cloned()
        .ok_or_else(|| ApiError::bad_request("[ERROR: chat has no history to clone]"))
}

/// Messages whose author is `owner_id` (or that name no author) become `user`'s: their
/// `user_id`, and on user messages `user = {id, name}`.
pub fn reattribute(chat: &mut Json, owner_id: &str, user: &User) {
    for_each_message(chat, |message| {
        let author = message.get("user_id").and_then(Json::as_str).filter(|id| !id.is_empty()).unwrap_or(owner_id);
        if author == owner_id {
            message["user_id"] = json!(user.id);
            if message.get("role").and_then(Json::as_str) == Some("user") {
                message["user"] = json!({"id": user.id, "name": user.name});
            }
        }
    });
}

/// `_chat_import_form_to_chat_model`'s author fill: every message keeps its `user_id`,
/// else takes its `user.id`, else `owner_id`.
fn default_authors(chat: &mut Json, owner_id: &str) {
    for_each_message(chat, |message| {
        let present = |value: Option<&Json>| value.filter(|value| crate::permissions::truthy(value)).cloned();
        let author = present(message.get("user_id"))
            .or_else(|| present(message.get("user").filter(|user| user.is_object()).and_then(|user| user.get("id"))))
            .unwrap_or_else(|| json!(owner_id));
        message["user_id"] = author;
    });
}

/// What a clone copies besides the chat JSON.
struct CopyOf {
    meta: Json,
    variables: Json,
    pinned: bool,
    folder_id: Option<String>,
}

/// `Chats.import_chats` for one chat: creation permission, folder still writable, authors
/// filled in, new timestamps, not archived.
async fn import_copy(ctx: &Ctx<'_>, user: &User, mut chat: Json, copy: CopyOf) -> ApiResult<Chat> {
    require_creation_permission(ctx, user).await?;
    let folder_id = match copy.folder_id {
        Some(folder_id) if has_folder_access(ctx.db, &user.id, &folder_id, Permission::Write).await? => Some(folder_id),
        _ => None,
    };
    default_authors(&mut chat, &user.id);
    history::strip_nul(&mut chat);
    transaction(ctx.db, async || {
        insert(
            ctx,
            NewChat {
                folder_id,
                meta: copy.meta,
                variables: copy.variables,
                pinned: copy.pinned,
                ..NewChat::fresh(&user.id, chat, ctx.now)
            },
        )
        .await
    })
    .await
}

/// `POST /api/v1/chats/{id}/clone` with CloneForm `{"title": str|null}` (a body is required):
/// the owner's copy keeps meta (tags), variables, pinned and, if still writable, the folder.
pub async fn clone_chat(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let title = fields.optional_str("title");
    fields.finish()?;
    crate::limits::check_title(title.clone().map(Json::String).as_ref())?;
    require_import_permission(ctx, &user).await?;
    let chat = model::find_owned(ctx.db, id, &user.id).await?.ok_or_else(|| ApiError::unauthorized(E_DEFAULT))?;
    let branch_point = branch_point(&chat)?;
    let mut copy = chat.chat.clone();
    if let Json::Object(map) = &mut copy {
        map.insert("originalChatId".into(), json!(chat.id));
        map.insert("branchPointMessageId".into(), branch_point);
        let title = title.filter(|title| !title.is_empty()).unwrap_or_else(|| format!("Clone of {}", chat.title));
        map.insert("title".into(), json!(title));
    }
    let copy_of = CopyOf { meta: chat.meta.clone(), variables: chat.variables.clone(), pinned: chat.pinned == Some(true), folder_id: chat.folder_id.clone() };
    Ok(import_copy(ctx, &user, copy, copy_of).await?.into_response())
}

/// The chat `POST /{id}/clone/shared` copies: the snapshot, or the live original of a
/// `continue` share the caller may read; an admin (with admin chat access) may name any chat.
async fn shared_source(ctx: &Ctx<'_>, user: &User, id: &str) -> ApiResult<Chat> {
    let admin_access = user.is_admin() && ctx.settings.enable_admin_chat_access;
    let shared = shares::find(ctx.db, id).await?;
    let mut chat = None;
    if let Some(shared) = &shared {
        if !admin_access
            && shared.user_id != user.id
            && !shares::is_open(ctx.db, shared).await?
            && !has_grant(ctx.db, &user.id, shares::RESOURCE, &shared.chat_id, Permission::Read).await?
        {
            return Err(ApiError::unauthorized(E_PROHIBITED));
        }
        chat = Some(shared.snapshot());
        if shared.continues() && shares::can_read(ctx, user, shared).await? {
            // The original may be gone; then only the admin fallback below can still help.
            chat = model::find(ctx.db, &shared.chat_id).await?;
        }
    }
    if chat.is_none() && admin_access {
        chat = model::find(ctx.db, id).await?;
    }
    chat.ok_or_else(|| ApiError::unauthorized(E_NOT_FOUND))
}

/// `POST /api/v1/chats/{id}/clone/shared` (`id` is a share token; no body is read): a copy of
/// what the caller sees through the link, with the sharer's messages attributed to the
/// cloner. Never in a folder, no variables; no event is published.
pub async fn clone_shared(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let user = auth::verified_user(ctx, request).await?;
    require_import_permission(ctx, &user).await?;
    let chat = shared_source(ctx, &user, id).await?;
    let branch_point = branch_point(&chat)?;
    let mut copy = access::viewer_projection(ctx.db, chat.clone(), Some(&user)).await?["chat"].take();
    if let Json::Object(map) = &mut copy {
        map.insert("originalChatId".into(), json!(chat.id));
        map.insert("branchPointMessageId".into(), branch_point);
        map.insert("title".into(), json!(format!("Clone of {}", chat.title)));
    }
    reattribute(&mut copy, &chat.user_id, &user);
    let copy_of = CopyOf { meta: chat.meta.clone(), variables: json!({}), pinned: chat.pinned == Some(true), folder_id: None };
    Ok(import_copy(ctx, &user, copy, copy_of).await?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User { id: "me".into(), name: "Me".into(), email: String::new(), role: "user".into(), profile_image_url: String::new() }
    }

    #[test]
    fn reattribute_moves_the_owners_messages_only() {
        let mut chat = json!({"history": {"messages": {
            "a": {"role": "user", "user_id": "owner", "user": {"id": "owner", "name": "O"}},
            "b": {"role": "assistant"},
            "c": {"role": "user", "user_id": "guest", "user": {"id": "guest", "name": "G"}}
        }}, "messages": [{"role": "user", "user_id": ""}]});
        reattribute(&mut chat, "owner", &user());
        let messages = &chat["history"]["messages"];
        assert_eq!(messages["a"]["user"], json!({"id": "me", "name": "Me"}));
        assert_eq!(messages["b"], json!({"role": "assistant", "user_id": "me"}));
        assert_eq!(messages["c"]["user_id"], "guest");
        assert_eq!(chat["messages"][0]["user_id"], "me");
    }

    #[test]
    fn default_authors_fill_only_missing_ones() {
        let mut chat = json!({"history": {"messages": {
            "a": {"user_id": "x"}, "b": {"user": {"id": "y"}}, "c": {"user_id": "", "user": "z"}
        }}});
        default_authors(&mut chat, "me");
        let messages = &chat["history"]["messages"];
        assert_eq!([&messages["a"]["user_id"], &messages["b"]["user_id"], &messages["c"]["user_id"]], ["x", "y", "me"]);
    }

    #[test]
    fn branch_point_needs_a_history_with_current_id() {
        let mut chat = Chat::from_row(&crate::db::Row(Vec::new()));
        assert_eq!(branch_point(&chat).map_err(|e| e.status), Err(400));
        chat.chat = json!({"history": {"currentId": null}});
        assert_eq!(branch_point(&chat), Ok(Json::Null));
        chat.chat = json!({"history": []});
        assert!(branch_point(&chat).is_err());
    }
}
