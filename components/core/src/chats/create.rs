//! `POST /new` (spec §2.9).

use super::model::{self, Chat};
use crate::access::{Permission, has_folder_access};
use crate::auth;
use crate::config;
use crate::context::{Ctx, new_id};
use crate::db::transaction;
use crate::error::{ApiError, ApiResult, E_DEFAULT, E_NOT_FOUND, E_PROHIBITED};
use crate::history;
use crate::http::{Body, Request};
use crate::messages;
use crate::permissions;
use crate::users::User;
use serde_json::{Map, Value as Json, json};

/// The validated ChatForm body: `{chat: object, variables: object|null, folder_id: str|null}`.
pub struct ChatForm {
    /// The conversation JSON.
    pub chat: Json,
    /// Variables, when given.
    pub variables: Option<Json>,
    /// Folder, when given.
    pub folder_id: Option<String>,
    /// The raw body object (import reads extra fields from it).
    pub raw: Map<String, Json>,
}

/// Validates a decoded body as ChatForm with pydantic's 422 errors.
pub fn parse_chat_form(body: Body) -> ApiResult<ChatForm> {
    let raw = body.object()?;
    let mut errors = Vec::new();
    let chat = match raw.get("chat") {
        Some(value @ Json::Object(_)) => value.clone(),
        None => {
            errors.push(json!({"type": "missing", "loc": ["body", "chat"], "msg": "Field required", "input": raw}));
            Json::Null
        }
        Some(other) => {
            errors.push(json!({"type": "dict_type", "loc": ["body", "chat"], "msg": "Input should be a valid dictionary", "input": other}));
            Json::Null
        }
    };
    let variables = match raw.get("variables") {
        None | Some(Json::Null) => None,
        Some(value @ Json::Object(_)) => Some(value.clone()),
        Some(other) => {
            errors.push(json!({"type": "dict_type", "loc": ["body", "variables"], "msg": "Input should be a valid dictionary", "input": other}));
            None
        }
    };
    let folder_id = match raw.get("folder_id") {
        None | Some(Json::Null) => None,
        Some(Json::String(id)) => Some(id.clone()),
        Some(other) => {
            errors.push(json!({"type": "string_type", "loc": ["body", "folder_id"], "msg": "Input should be a valid string", "input": other}));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(ChatForm { chat, variables, folder_id, raw })
}

/// `require_chat_creation_permission`: non-admins may not save chats when temporary chats
/// are enforced.
pub async fn require_creation_permission(ctx: &Ctx<'_>, user: &User) -> ApiResult<()> {
    if user.is_admin() {
        return Ok(());
    }
    let config = config::load(ctx).await?;
    let effective = permissions::effective_permissions(ctx, &config, &user.id).await?;
    let chat = &effective["chat"];
    if permissions::truthy(&chat["temporary"]) && permissions::truthy(&chat["temporary_enforced"]) {
        return Err(ApiError::forbidden(E_PROHIBITED));
    }
    Ok(())
}

/// `require_chat_import_permission`: import, clone, clone/shared and fork need `chat.import`
/// (admins always have it); 403 `E_PROHIBITED` otherwise.
pub async fn require_import_permission(ctx: &Ctx<'_>, user: &User) -> ApiResult<()> {
    if user.is_admin() {
        return Ok(());
    }
    let config = config::load(ctx).await?;
    if permissions::has_permission(ctx, &config, &user.id, "chat.import").await? {
        Ok(())
    } else {
        Err(ApiError::forbidden(E_PROHIBITED))
    }
}

/// The fields of a new `chat` row.
pub struct NewChat {
    /// Owner.
    pub user_id: String,
    /// Conversation JSON (already stamped and sanitised).
    pub chat: Json,
    /// Folder.
    pub folder_id: Option<String>,
    /// Meta object.
    pub meta: Json,
    /// Variables object.
    pub variables: Json,
    /// Pinned flag.
    pub pinned: bool,
    /// Archived flag.
    pub archived: bool,
    /// Explicit current message id (import), else derived.
    pub current_message_id: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}

impl NewChat {
    /// A chat created now by `user_id`: no folder, empty meta and variables, not pinned or
    /// archived, current message derived from the JSON. Callers override what differs.
    pub fn fresh(user_id: &str, chat: Json, now: i64) -> Self {
        Self {
            user_id: user_id.to_owned(),
            chat,
            folder_id: None,
            meta: json!({}),
            variables: json!({}),
            pinned: false,
            archived: false,
            current_message_id: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Inserts a chat row and its `chat_message` rows; returns the stored chat.
pub async fn insert(ctx: &Ctx<'_>, new: NewChat) -> ApiResult<Chat> {
    let id = new_id();
    let title = match new.chat.get("title") {
        None => "New Chat".to_owned(),
        Some(Json::String(title)) => history::strip_nul_str(title),
        // Open WebUI fails validation on a non-string title and answers 400.
        Some(_) => return Err(ApiError::bad_request(E_DEFAULT)),
    };
    let current = new.current_message_id.clone().or_else(|| history::current_message_id(&new.chat));
    ctx.db
        .execute(
            "INSERT INTO chat (id, user_id, title, chat, created_at, updated_at, share_id, archived, pinned, meta, \
             variables, folder_id, tasks, summary, current_message_id, last_read_at, timer_at) \
             VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, NULL)",
            &[
                id.as_str().into(),
                new.user_id.as_str().into(),
                title.into(),
                (&new.chat).into(),
                new.created_at.into(),
                new.updated_at.into(),
                new.archived.into(),
                new.pinned.into(),
                (&new.meta).into(),
                (&new.variables).into(),
                new.folder_id.clone().into(),
                current.into(),
                ctx.now.into(),
            ],
        )
        .await?;
    messages::upsert_all(ctx.db, &id, &new.user_id, &new.chat, ctx.now).await?;
    model::find(ctx.db, &id).await?.ok_or_else(|| ApiError::bad_request(E_DEFAULT))
}

/// `POST /api/v1/chats/new`.
pub async fn create(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let form = parse_chat_form(body)?;
    crate::limits::check_title(form.chat.get("title"))?;
    if let Some(folder_id) = &form.folder_id
        && !has_folder_access(ctx.db, &user.id, folder_id, Permission::Write).await?
    {
        return Err(ApiError::not_found(E_NOT_FOUND));
    }
    let mut chat = form.chat;
    history::stamp_authors(&mut chat, &user.id, &user.name);
    history::strip_nul(&mut chat);
    require_creation_permission(ctx, &user).await?;
    let created = transaction(ctx.db, async || {
        insert(
            ctx,
            NewChat {
                folder_id: form.folder_id.clone(),
                variables: form.variables.clone().unwrap_or_else(|| json!({})),
                ..NewChat::fresh(&user.id, chat, ctx.now)
            },
        )
        .await
    })
    .await?;
    Ok(created.into_response())
}
