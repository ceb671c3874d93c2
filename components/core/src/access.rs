//! Who may read or write a chat (spec §1.8) and what a non-owner sees (spec §2.1).

use crate::chats::model::{self, Chat};
use crate::context::Ctx;
use crate::db::{Database, DbError};
use crate::groups::MEMBER_GROUP_IDS;
use crate::users::{self, User};
use serde_json::{Value as Json, json};
use std::collections::{HashMap, HashSet};

/// Read or write access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Viewing.
    Read,
    /// Changing.
    Write,
}

impl Permission {
    /// The value stored in `access_grant.permission`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
        }
    }
}

/// Does `user` hold a grant with `permission` on the resource, directly, through `user:*`,
/// or through one of their groups (inherited ones included, as `AccessGrants.has_access`)?
pub async fn has_grant(db: &dyn Database, user_id: &str, resource_type: &str, resource_id: &str, permission: Permission) -> Result<bool, DbError> {
    let rows = db
        .query(
            &format!(
                "SELECT 1 FROM access_grant WHERE resource_type = ? AND resource_id = ? AND permission = ? AND ( \
                   (principal_type = 'user' AND principal_id IN ('*', ?)) OR \
                   (principal_type = 'group' AND principal_id IN ({MEMBER_GROUP_IDS})) \
                 ) LIMIT 1"
            ),
            &[resource_type.into(), resource_id.into(), permission.as_str().into(), user_id.into(), user_id.into()],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Folder access: owning the folder or an ancestor, or an exact grant on one of them.
pub async fn has_folder_access(db: &dyn Database, user_id: &str, folder_id: &str, permission: Permission) -> Result<bool, DbError> {
    let mut seen = HashSet::new();
    let mut next = Some(folder_id.to_owned());
    while let Some(id) = next.take() {
        if !seen.insert(id.clone()) {
            break;
        }
        let rows = db.query("SELECT user_id, parent_id FROM folder WHERE id = ?", &[id.as_str().into()]).await?;
        let Some(row) = rows.first() else { break };
        if row.text(0) == user_id || has_grant(db, user_id, "folder", &id, permission).await? {
            return Ok(true);
        }
        next = row.opt_text(1);
    }
    Ok(false)
}

/// `get_accessible_chat_by_id`: the chat if `user` may read (or write) it.
pub async fn accessible_chat(ctx: &Ctx<'_>, id: &str, user: &User, permission: Permission) -> Result<Option<Chat>, DbError> {
    if !user.is_verified() {
        return Ok(None);
    }
    let Some(chat) = model::find(ctx.db, id).await? else {
        return Ok(None);
    };
    if can_access(ctx, &chat, user, permission).await? {
        Ok(Some(chat))
    } else {
        Ok(None)
    }
}

/// The access predicate itself, for a chat already loaded.
pub async fn can_access(ctx: &Ctx<'_>, chat: &Chat, user: &User, permission: Permission) -> Result<bool, DbError> {
    if chat.user_id == user.id
        || (user.is_admin() && permission == Permission::Read && (ctx.settings.enable_admin_chat_access || chat.is_internal()))
    {
        return Ok(true);
    }
    let shared = ctx
        .db
        .query(
            "SELECT chat FROM shared_chat WHERE chat_id = ? ORDER BY updated_at DESC LIMIT 1",
            &[chat.id.as_str().into()],
        )
        .await?;
    if let Some(row) = shared.first()
        && row.json(0).get("share_mode").and_then(Json::as_str) == Some("continue")
        && has_grant(ctx.db, &user.id, "shared_chat", &chat.id, Permission::Read).await?
    {
        return Ok(true);
    }
    if let Some(folder_id) = &chat.folder_id {
        let rows = ctx.db.query("SELECT data FROM folder WHERE id = ?", &[folder_id.as_str().into()]).await?;
        if let Some(row) = rows.first() {
            let continues = row.json(0).get("share_mode").and_then(Json::as_str) == Some("continue");
            if (permission == Permission::Read || continues)
                && has_folder_access(ctx.db, &user.id, folder_id, Permission::Read).await?
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// `shared_chat_response`: the ChatResponse a viewer sees (owner-only keys removed for
/// others, user messages attributed with `{id, name}`, `meta` kept only for its author).
/// Takes the chat: its JSON moves into the answer instead of being copied.
pub async fn viewer_projection(db: &dyn Database, chat: Chat, viewer: Option<&User>) -> Result<Json, DbError> {
    let owner = chat.user_id.clone();
    let mut data = chat.into_response();
    let is_owner = viewer.is_some_and(|viewer| viewer.id == owner);
    if !is_owner {
        data["variables"] = json!({});
        if let Some(inner) = data["chat"].as_object_mut() {
            for key in ["params", "tool_servers", "tool_ids", "filter_ids", "variables"] {
                inner.remove(key);
            }
        }
    }
    let viewer_id = viewer.map(|viewer| viewer.id.as_str());
    let mut authors: HashMap<String, Json> = HashMap::new();
    let mut wanted: Vec<String> = Vec::new();
    for_each_message(&mut data["chat"], |message| {
        if message.get("role").and_then(Json::as_str) == Some("user") {
            let author = message.get("user").filter(|user| user.is_object()).cloned().unwrap_or(json!({}));
            let author_id = non_empty(message.get("user_id"))
                .or_else(|| non_empty(author.get("id")))
                .unwrap_or_else(|| owner.clone());
            message["user_id"] = json!(author_id);
            match non_empty(author.get("name")) {
                Some(name) if non_empty(author.get("id")).as_deref() == Some(author_id.as_str()) => {
                    authors.insert(author_id.clone(), json!({"id": author_id, "name": name}));
                }
                _ => wanted.push(author_id),
            }
        }
        let author = non_empty(message.get("user_id")).unwrap_or_else(|| owner.clone());
        if viewer_id != Some(author.as_str())
            && let Some(map) = message.as_object_mut()
        {
            map.remove("meta");
        }
    });
    wanted.retain(|id| !authors.contains_key(id));
    wanted.sort();
    wanted.dedup();
    for (id, name) in users::names(db, &wanted).await? {
        authors.insert(id.clone(), json!({"id": id, "name": name}));
    }
    for_each_message(&mut data["chat"], |message| {
        if message.get("role").and_then(Json::as_str) == Some("user") {
            let id = message["user_id"].as_str().unwrap_or_default().to_owned();
            message["user"] = authors.get(&id).cloned().unwrap_or_else(|| json!({"id": id, "name": ""}));
        }
    });
    Ok(data)
}

fn non_empty(value: Option<&Json>) -> Option<String> {
    value.and_then(Json::as_str).filter(|text| !text.is_empty()).map(str::to_owned)
}

/// Calls `visit` on every message object of `history.messages` and the legacy list.
pub fn for_each_message(chat: &mut Json, mut visit: impl FnMut(&mut Json)) {
    if let Some(Json::Object(messages)) = chat.get_mut("history").and_then(|history| history.get_mut("messages")) {
        messages.values_mut().filter(|message| message.is_object()).for_each(&mut visit);
    }
    if let Some(Json::Array(messages)) = chat.get_mut("messages") {
        messages.iter_mut().filter(|message| message.is_object()).for_each(&mut visit);
    }
}

/// The message routes' and single-chat stats' check (`chat.user_id != user.id and not (admin
/// and ENABLE_ADMIN_CHAT_ACCESS)`): the owner, or an admin while admin chat access is on.
pub fn owner_or_admin(ctx: &Ctx<'_>, owner_id: &str, user: &User) -> bool {
    owner_id == user.id || (user.is_admin() && ctx.settings.enable_admin_chat_access)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::db::LibsqlDatabase;

    #[tokio::test]
    async fn grants_to_a_parent_group_reach_members_of_its_children() {
        let db = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        crate::schema::ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        db.execute("PRAGMA foreign_keys = OFF", &[]).await.unwrap_or_else(|e| panic!("{e}"));
        db.execute_script(
            "INSERT INTO \"group\" (id, parent_group_id) VALUES ('parent', NULL), ('child', 'parent');\n\
             INSERT INTO group_member (id, group_id, user_id) VALUES ('m1', 'child', 'kid'), ('m2', 'parent', 'elder');\n\
             INSERT INTO access_grant VALUES ('g1', 'shared_chat', 'c1', 'group', 'parent', 'read', 0);\n\
             INSERT INTO access_grant VALUES ('g2', 'shared_chat', 'c2', 'group', 'child', 'read', 0);\n",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let grant = async |user: &str, chat: &str| {
            has_grant(&db, user, "shared_chat", chat, Permission::Read).await.unwrap_or_else(|e| panic!("{e}"))
        };
        assert!(grant("kid", "c1").await, "a child group's member inherits the parent's grant");
        assert!(grant("kid", "c2").await);
        assert!(!grant("elder", "c2").await, "inheritance goes up only");
        assert!(!has_grant(&db, "kid", "shared_chat", "c1", Permission::Write).await.unwrap_or(true));
    }
}
