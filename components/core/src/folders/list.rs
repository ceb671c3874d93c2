//! `GET /api/v1/folders/`: the caller's folders for the sidebar, with unread counts.

use super::guard::require_folders;
use super::model::{self, Folder};
use crate::auth;
use crate::chats::read_state::folder_unread_counts;
use crate::context::Ctx;
use crate::error::ApiResult;
use crate::http::Request;
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};

/// Does following `parent_id` from `id` lead back to `id`?
fn in_parent_cycle(parents: &HashMap<String, Option<String>>, id: &str) -> bool {
    let mut seen: HashSet<String> = HashSet::from([id.to_owned()]);
    let mut current = parents.get(id).cloned().flatten();
    while let Some(next) = current.clone().filter(|next| !next.is_empty() && !seen.contains(next)) {
        current = parents.get(&next).cloned().flatten();
        seen.insert(next);
    }
    current.as_deref() == Some(id)
}

/// Lists the caller's folders as FolderNameIdResponse. Like Open WebUI, a folder whose
/// parent is missing or part of a loop would be invisible in a tree, so it is moved back to
/// the root (and that repair is saved).
pub async fn list(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<Json>> {
    let user = auth::verified_user(ctx, request).await?;
    require_folders(ctx, &user).await?;
    let mut folders: Vec<Folder> = model::for_user(ctx.db, &user.id).await?;
    let mut parents: HashMap<String, Option<String>> =
        folders.iter().map(|folder| (folder.id.clone(), folder.parent_id.clone())).collect();
    for folder in &mut folders {
        let Some(parent) = folder.parent().map(str::to_owned) else { continue };
        if !parents.contains_key(&parent) || in_parent_cycle(&parents, &folder.id) {
            parents.insert(folder.id.clone(), None);
            ctx.db
                .execute(
                    "UPDATE folder SET parent_id = NULL, updated_at = ? WHERE id = ? AND user_id = ?",
                    &[ctx.now.into(), folder.id.as_str().into(), user.id.as_str().into()],
                )
                .await?;
            folder.parent_id = None;
            folder.updated_at = ctx.now;
        }
    }
    let unread = folder_unread_counts(ctx, &user.id).await?;
    Ok(folders
        .iter()
        .map(|folder| folder.name_id_response(unread.get(&folder.id).and_then(Json::as_i64).unwrap_or(0)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_parent_loops() {
        let parents: HashMap<String, Option<String>> = [
            ("a".to_owned(), Some("b".to_owned())),
            ("b".to_owned(), Some("a".to_owned())),
            ("c".to_owned(), Some("a".to_owned())),
            ("d".to_owned(), None),
            ("e".to_owned(), Some("e".to_owned())),
        ]
        .into_iter()
        .collect();
        assert!(in_parent_cycle(&parents, "a"));
        assert!(!in_parent_cycle(&parents, "c"), "c hangs below a loop but is not in it");
        assert!(!in_parent_cycle(&parents, "d"));
        assert!(in_parent_cycle(&parents, "e"));
    }
}
