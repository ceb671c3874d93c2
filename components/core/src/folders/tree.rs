//! Walks over the folder tree: a folder's subtree and the "shared root" a chat move must
//! stay within. Every walk remembers what it has seen, because a corrupt `parent_id` loop
//! must not spin forever (Open WebUI guards the same way).

use crate::db::{Database, DbError};
use std::collections::HashSet;

/// `get_folder_ids_by_id_and_user_id_in_subtree`: the folder and all its descendants owned
/// by `user_id`, the folder first; empty when `user_id` does not own `id`.
pub async fn subtree_ids(db: &dyn Database, id: &str, user_id: &str) -> Result<Vec<String>, DbError> {
    let owned = db
        .query("SELECT 1 FROM folder WHERE id = ? AND user_id = ?", &[id.into(), user_id.into()])
        .await?;
    if owned.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = vec![id.to_owned()];
    let mut seen: HashSet<String> = HashSet::from([id.to_owned()]);
    let mut pending = vec![id.to_owned()];
    while let Some(parent) = pending.pop() {
        let children = db
            .query(
                "SELECT id FROM folder WHERE parent_id = ? AND user_id = ? ORDER BY updated_at DESC",
                &[parent.as_str().into(), user_id.into()],
            )
            .await?;
        for child in children.iter().map(|row| row.text(0)) {
            if seen.insert(child.clone()) {
                ids.push(child.clone());
                pending.push(child);
            }
        }
    }
    Ok(ids)
}

/// `get_owned_folder_root_id` of `has_chat_move_access`: walking up from `folder_id`, every
/// folder must be owned by `user_id`; the answer is the top-most folder that has access
/// grants, else the chain's root. `None` when the chain leaves the user's folders, loops,
/// or `folder_id` is `None`.
pub async fn owned_root(db: &dyn Database, user_id: &str, folder_id: Option<&str>) -> Result<Option<String>, DbError> {
    let mut seen = HashSet::new();
    let mut shared_root: Option<String> = None;
    let mut current = folder_id.filter(|id| !id.is_empty()).map(str::to_owned);
    while let Some(id) = current.take() {
        if !seen.insert(id.clone()) {
            return Ok(None);
        }
        let rows = db.query("SELECT user_id, parent_id FROM folder WHERE id = ? LIMIT 1", &[id.as_str().into()]).await?;
        let Some(row) = rows.first() else { return Ok(None) };
        if row.text(0) != user_id {
            return Ok(None);
        }
        let granted = db
            .query("SELECT 1 FROM access_grant WHERE resource_type = 'folder' AND resource_id = ? LIMIT 1", &[id.as_str().into()])
            .await?;
        if !granted.is_empty() {
            shared_root = Some(id.clone());
        }
        match row.opt_text(1).filter(|parent| !parent.is_empty()) {
            None => return Ok(Some(shared_root.unwrap_or(id))),
            Some(parent) => current = Some(parent),
        }
    }
    Ok(None)
}

/// `has_chat_move_access`: a non-owner may move a chat only between folders they own that
/// resolve to the same (shared) root.
pub async fn may_move_chat(db: &dyn Database, user_id: &str, source: Option<&str>, target: Option<&str>) -> Result<bool, DbError> {
    let Some(source_root) = owned_root(db, user_id, source).await? else {
        return Ok(false);
    };
    Ok(owned_root(db, user_id, target).await?.as_deref() == Some(source_root.as_str()))
}
