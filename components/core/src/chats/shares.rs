//! The `shared_chat` table (spec §3.7): one snapshot per share link, keyed by the share
//! token, with the snapshot's `share_mode` inside its chat JSON. Also who may open a link
//! (spec §1.9) and the `share_mode` body field both share routes accept.

use super::model::{self, Chat};
use crate::access::{Permission, has_grant};
use crate::context::Ctx;
use crate::db::{Database, DbError, Row};
use crate::grants;
use crate::users::User;
use serde_json::{Map, Value as Json, json};

/// The resource type of share grants; their resource id is the original chat's id.
pub const RESOURCE: &str = "shared_chat";

/// The columns [`SharedChat::from_row`] reads.
const COLUMNS: &str = "id, chat_id, user_id, title, chat, created_at, updated_at";

/// A `shared_chat` row.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedChat {
    /// The share token (uuid4).
    pub id: String,
    /// The original chat.
    pub chat_id: String,
    /// Who shared it (the chat's owner).
    pub user_id: String,
    /// Snapshot title.
    pub title: String,
    /// Snapshot chat JSON, with `share_mode`.
    pub chat: Json,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds (re-snapshots bump it).
    pub updated_at: i64,
}

impl SharedChat {
    fn from_row(row: &Row) -> Self {
        let chat = row.json(4);
        Self {
            id: row.text(0),
            chat_id: row.text(1),
            user_id: row.text(2),
            title: row.text(3),
            chat: if chat.is_object() { chat } else { json!({}) },
            created_at: row.int(5),
            updated_at: row.int(6),
        }
    }

    /// True when the snapshot says `share_mode: "continue"` (viewers with access may
    /// continue the live chat).
    pub fn continues(&self) -> bool {
        self.chat.get("share_mode").and_then(Json::as_str) == Some("continue")
    }

    /// `get_chat_by_share_id`: the snapshot as a chat whose id and share id are the token.
    pub fn snapshot(&self) -> Chat {
        Chat {
            id: self.id.clone(),
            user_id: self.user_id.clone(),
            title: self.title.clone(),
            chat: self.chat.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            share_id: Some(self.id.clone()),
            archived: false,
            pinned: Some(false),
            meta: json!({}),
            variables: json!({}),
            folder_id: None,
            tasks: Json::Null,
            summary: None,
            current_message_id: None,
            last_read_at: None,
        }
    }
}

/// Loads a share by its token.
pub async fn find(db: &dyn Database, share_id: &str) -> Result<Option<SharedChat>, DbError> {
    let rows = db.query(&format!("SELECT {COLUMNS} FROM shared_chat WHERE id = ?"), &[share_id.into()]).await?;
    Ok(rows.first().map(SharedChat::from_row))
}

/// `is_open_shared_chat`: an `anyone:*` read grant lets anybody open the link, signed in or not.
pub async fn is_open(db: &dyn Database, shared: &SharedChat) -> Result<bool, DbError> {
    grants::has_anyone(db, RESOURCE, &shared.chat_id, Permission::Read).await
}

/// `can_read_shared_chat`: an admin with admin chat access, the sharer, or a read grant
/// (`user:*`, the user, or one of their groups). The `anyone:*` grant is not considered.
pub async fn can_read(ctx: &Ctx<'_>, user: &User, shared: &SharedChat) -> Result<bool, DbError> {
    if !user.is_verified() {
        return Ok(false);
    }
    if (user.is_admin() && ctx.settings.enable_admin_chat_access) || shared.user_id == user.id {
        return Ok(true);
    }
    has_grant(ctx.db, &user.id, RESOURCE, &shared.chat_id, Permission::Read).await
}

/// Writes a new snapshot of `chat` under a fresh token and points the chat at it.
pub async fn create(ctx: &Ctx<'_>, chat: &Chat, share_mode: &Json) -> Result<String, DbError> {
    let token = crate::context::new_id();
    let mut snapshot = chat.chat.clone();
    if let Json::Object(map) = &mut snapshot {
        map.insert("share_mode".into(), share_mode.clone());
    }
    ctx.db
        .execute(
            "INSERT INTO shared_chat (id, chat_id, user_id, title, chat, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                token.as_str().into(),
                chat.id.as_str().into(),
                chat.user_id.as_str().into(),
                chat.title.as_str().into(),
                (&snapshot).into(),
                ctx.now.into(),
                ctx.now.into(),
            ],
        )
        .await?;
    ctx.db
        .execute("UPDATE chat SET share_id = ? WHERE id = ?", &[token.as_str().into(), chat.id.as_str().into()])
        .await?;
    Ok(token)
}

/// `SharedChats.update`: re-snapshots `chat` into an existing share, keeping its
/// `share_mode` unless the request sets one. False when the share row is gone.
pub async fn refresh(ctx: &Ctx<'_>, share_id: &str, chat: &Chat, share_mode: Option<&Json>) -> Result<bool, DbError> {
    let Some(shared) = find(ctx.db, share_id).await? else {
        return Ok(false);
    };
    let previous = shared.chat.get("share_mode").cloned().unwrap_or(Json::Null);
    let mut snapshot = chat.chat.clone();
    if let Json::Object(map) = &mut snapshot {
        map.insert("share_mode".into(), share_mode.cloned().unwrap_or(previous));
    }
    ctx.db
        .execute(
            "UPDATE shared_chat SET title = ?, chat = ?, updated_at = ? WHERE id = ?",
            &[chat.title.as_str().into(), (&snapshot).into(), ctx.now.into(), share_id.into()],
        )
        .await?;
    Ok(true)
}

/// `SharedChats.set_share_mode`: sets the snapshot's `share_mode` (no `updated_at` bump).
/// Turning `continue` off first re-copies the live chat, so the link no longer shows an
/// older snapshot than what its viewers were continuing.
pub async fn set_share_mode(ctx: &Ctx<'_>, share_id: &str, share_mode: &Json) -> Result<(), DbError> {
    let Some(shared) = find(ctx.db, share_id).await? else {
        return Ok(());
    };
    let (mut snapshot, mut title) = (shared.chat.clone(), shared.title.clone());
    if share_mode.is_null()
        && shared.continues()
        && let Some(live) = model::find_stored(ctx.db, &shared.chat_id).await?
    {
        snapshot = live.chat;
        title = live.title;
    }
    if let Json::Object(map) = &mut snapshot {
        map.insert("share_mode".into(), share_mode.clone());
    }
    ctx.db
        .execute(
            "UPDATE shared_chat SET title = ?, chat = ? WHERE id = ?",
            &[title.into(), (&snapshot).into(), share_id.into()],
        )
        .await?;
    Ok(())
}

/// Removes every share of a chat and its grants, and clears `chat.share_id`.
pub async fn remove_for_chat(ctx: &Ctx<'_>, chat_id: &str) -> Result<(), DbError> {
    ctx.db.execute("DELETE FROM shared_chat WHERE chat_id = ?", &[chat_id.into()]).await?;
    ctx.db.execute("UPDATE chat SET share_id = NULL WHERE id = ?", &[chat_id.into()]).await?;
    grants::replace(ctx.db, RESOURCE, chat_id, &[], ctx.now).await
}

/// The body field `share_mode: Literal['continue'] | None`: `None` when absent, else the
/// value sent (`null` or `"continue"`). Anything else adds pydantic's `literal_error` to
/// `errors` (the caller reports every field's errors in one 422).
pub fn share_mode_field(body: &Map<String, Json>, errors: &mut Vec<Json>) -> Option<Json> {
    match body.get("share_mode")? {
        value if value.is_null() || value == "continue" => Some(value.clone()),
        other => {
            errors.push(json!({
                "type": "literal_error",
                "loc": ["body", "share_mode"],
                "msg": "Input should be 'continue'",
                "input": other,
                "ctx": {"expected": "'continue'"},
            }));
            None
        }
    }
}
