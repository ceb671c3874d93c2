//! Folder changes: `POST /{id}/update` (name, data, meta), `POST /{id}/update/parent`
//! (move) and `POST /{id}/update/expanded` (sidebar state).

use super::create::E_FOLDER_EXISTS;
use super::guard::require_folders;
use super::model::{self, Folder};
use super::tree;
use crate::access::{Permission, has_folder_access};
use crate::auth;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult, E_NOT_FOUND, E_PROHIBITED};
use crate::form::Fields;
use crate::history::strip_nul_str;
use crate::http::Request;
use serde_json::{Map, Value as Json};

/// Open WebUI's answer when the update itself fails (e.g. an explicit `"name": null`).
const E_UPDATE_FAILED: &str = "[ERROR: Error updating folder]";

/// `{**old, **new}`: a shallow merge of a JSON object column.
fn merged(old: &Json, new: Map<String, Json>) -> Json {
    let mut result = old.as_object().cloned().unwrap_or_default();
    result.extend(new);
    Json::Object(result)
}

async fn reload(ctx: &Ctx<'_>, id: &str, owner: &str) -> ApiResult<Json> {
    model::find_owned(ctx.db, id, owner)
        .await?
        .map(|folder| folder.response())
        .ok_or_else(|| ApiError::bad_request(E_UPDATE_FAILED))
}

/// `POST /api/v1/folders/{id}/update` (FolderUpdateForm, `extra='forbid'`): the owner, an
/// admin, or a user with write access may rename and merge `data`/`meta`; only the owner or
/// an admin may change `data.share_mode`.
pub async fn update(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    let name = fields.optional_str("name").map(|name| strip_nul_str(&name));
    let data = fields.optional_object("data");
    let meta = fields.optional_object("meta");
    fields.forbid_extra(&["name", "data", "meta"]);
    let explicit_null = ["name", "data", "meta"].iter().any(|key| raw.get(*key) == Some(&Json::Null));
    fields.finish()?;
    require_folders(ctx, &user).await?;
    let folder: Folder = match model::find_owned(ctx.db, id, &user.id).await? {
        Some(folder) => folder,
        None => match model::find(ctx.db, id).await? {
            Some(folder) if user.is_admin() || has_folder_access(ctx.db, &user.id, id, Permission::Write).await? => folder,
            _ => return Err(ApiError::not_found(E_NOT_FOUND)),
        },
    };
    if !user.is_admin()
        && user.id != folder.user_id
        && let Some(share_mode) = data.as_ref().and_then(|data| data.get("share_mode"))
        && Some(share_mode) != folder.share_mode()
    {
        return Err(ApiError::forbidden(E_PROHIBITED));
    }
    if let Some(name) = &name
        && let Some(existing) = model::sibling_named(ctx.db, folder.parent_id.as_deref(), &folder.user_id, name).await?
        && existing != id
    {
        return Err(ApiError::bad_request(E_FOLDER_EXISTS));
    }
    // Open WebUI writes `None` into the NOT NULL name (or spreads `None` into a dict) and
    // answers this 400; nothing is changed.
    if explicit_null {
        return Err(ApiError::bad_request(E_UPDATE_FAILED));
    }
    let data = data.map_or_else(|| folder.data.clone(), |data| merged(&folder.data, data));
    let meta = meta.map_or_else(|| folder.meta.clone(), |meta| merged(&folder.meta, meta));
    ctx.db
        .execute(
            "UPDATE folder SET name = ?, data = ?, meta = ?, updated_at = ? WHERE id = ? AND user_id = ?",
            &[
                name.unwrap_or_else(|| folder.name.clone()).into(),
                (!data.is_null()).then_some(&data).into(),
                (!meta.is_null()).then_some(&meta).into(),
                ctx.now.into(),
                id.into(),
                folder.user_id.as_str().into(),
            ],
        )
        .await?;
    reload(ctx, id, &folder.user_id).await
}

/// `POST /api/v1/folders/{id}/update/parent` (`{"parent_id": str|null}`): moves one of the
/// caller's folders; not next to a sibling of the same name, not below itself.
pub async fn move_folder(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    let parent_id = fields.optional_str("parent_id");
    fields.finish()?;
    require_folders(ctx, &user).await?;
    let folder = model::find_owned(ctx.db, id, &user.id).await?.ok_or_else(|| ApiError::not_found(E_NOT_FOUND))?;
    if let Some(existing) = model::sibling_named(ctx.db, parent_id.as_deref(), &user.id, &folder.name).await?
        && existing != id
    {
        return Err(ApiError::bad_request(E_FOLDER_EXISTS));
    }
    if let Some(parent) = parent_id.as_deref().filter(|parent| !parent.is_empty())
        && tree::subtree_ids(ctx.db, id, &user.id).await?.iter().any(|member| member == parent)
    {
        return Err(ApiError::bad_request("[ERROR: Cannot move a folder into itself or one of its subfolders]"));
    }
    ctx.db
        .execute(
            "UPDATE folder SET parent_id = ?, updated_at = ? WHERE id = ? AND user_id = ?",
            &[parent_id.into(), ctx.now.into(), id.into(), user.id.as_str().into()],
        )
        .await?;
    reload(ctx, id, &user.id).await
}

/// `POST /api/v1/folders/{id}/update/expanded` (`{"is_expanded": bool}`): the owner's
/// change is saved; a reader of a shared folder (or an admin) gets the folder unchanged.
pub async fn set_expanded(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    let is_expanded = fields.required_bool("is_expanded");
    fields.finish()?;
    require_folders(ctx, &user).await?;
    if model::find_owned(ctx.db, id, &user.id).await?.is_some() {
        ctx.db
            .execute(
                "UPDATE folder SET is_expanded = ?, updated_at = ? WHERE id = ? AND user_id = ?",
                &[is_expanded.into(), ctx.now.into(), id.into(), user.id.as_str().into()],
            )
            .await?;
        return reload(ctx, id, &user.id).await;
    }
    match model::find(ctx.db, id).await? {
        Some(folder) if user.is_admin() || has_folder_access(ctx.db, &user.id, id, Permission::Read).await? => Ok(folder.response()),
        // Open WebUI answers 200 `null` for a folder that exists but is not the caller's.
        _ => Err(ApiError::not_found(E_NOT_FOUND)),
    }
}
