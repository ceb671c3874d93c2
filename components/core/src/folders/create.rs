//! `POST /api/v1/folders/`: create a folder (FolderForm, `extra='forbid'`).

use super::guard::require_folders;
use super::model;
use crate::access::{Permission, has_folder_access};
use crate::auth;
use crate::context::{Ctx, new_id};
use crate::error::{ApiError, ApiResult, E_PROHIBITED};
use crate::form::Fields;
use crate::history::strip_nul_str;
use crate::http::Request;
use serde_json::{Map, Value as Json};

/// The detail for a name clash among siblings (compared case-insensitively).
pub const E_FOLDER_EXISTS: &str = "[ERROR: Folder already exists]";

/// Creates a folder under `parent_id` (or at the root). A subfolder of someone else's
/// shared folder needs write access there and is created as the parent owner's, so the
/// tree stays in one user's hands, as in Open WebUI.
pub async fn create(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    // NUL bytes are dropped, as for chats: SQLite text would cut the name short there.
    let name = strip_nul_str(&fields.required_str("name"));
    let data = fields.optional_object("data");
    let meta = fields.optional_object("meta");
    let parent_id = fields.optional_str("parent_id");
    fields.forbid_extra(&["name", "data", "meta", "parent_id"]);
    fields.finish()?;
    require_folders(ctx, &user).await?;
    if model::sibling_named(ctx.db, parent_id.as_deref(), &user.id, &name).await?.is_some() {
        return Err(ApiError::bad_request(E_FOLDER_EXISTS));
    }
    let mut owner = user.id.clone();
    if let Some(parent_id) = parent_id.as_deref().filter(|id| !id.is_empty())
        && let Some(parent) = model::find(ctx.db, parent_id).await?
        && parent.user_id != user.id
    {
        if !user.is_admin() && !has_folder_access(ctx.db, &user.id, parent_id, Permission::Write).await? {
            return Err(ApiError::forbidden(E_PROHIBITED));
        }
        owner = parent.user_id;
    }
    let id = new_id();
    let object = |value: Option<Map<String, Json>>| value.map(Json::Object);
    ctx.db
        .execute(
            "INSERT INTO folder (id, parent_id, user_id, name, items, meta, data, is_expanded, created_at, updated_at) \
             VALUES (?, ?, ?, ?, NULL, ?, ?, 0, ?, ?)",
            &[
                id.as_str().into(),
                parent_id.into(),
                owner.as_str().into(),
                name.into(),
                object(meta).as_ref().into(),
                object(data).as_ref().into(),
                ctx.now.into(),
                ctx.now.into(),
            ],
        )
        .await?;
    let folder = model::find_owned(ctx.db, &id, &owner)
        .await?
        .ok_or_else(|| ApiError::bad_request("[ERROR: Error creating folder]"))?;
    Ok(folder.response())
}
