//! `GET /api/v1/folders/{id}`: one folder with its access grants (FolderResponse).

use super::guard::require_folders;
use super::model::{self, Folder};
use crate::access::{Permission, has_folder_access};
use crate::auth;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult, E_NOT_FOUND};
use crate::http::Request;
use serde_json::{Value as Json, json};

/// FolderModel plus `access_grants` and `write_access`.
async fn folder_response(ctx: &Ctx<'_>, folder: &Folder, write_access: bool) -> ApiResult<Json> {
    let mut response = folder.response();
    response["access_grants"] = json!(model::grants(ctx.db, &folder.id).await?);
    response["write_access"] = json!(write_access);
    Ok(response)
}

/// The owner's folder, or a folder shared with the caller (read access through a grant on
/// it or an ancestor), or any folder for an admin; 404 otherwise.
pub async fn get(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let user = auth::verified_user(ctx, request).await?;
    require_folders(ctx, &user).await?;
    if let Some(folder) = model::find_owned(ctx.db, id, &user.id).await? {
        return folder_response(ctx, &folder, true).await;
    }
    if let Some(folder) = model::find(ctx.db, id).await?
        && (user.is_admin() || has_folder_access(ctx.db, &user.id, id, Permission::Read).await?)
    {
        let write = user.is_admin() || has_folder_access(ctx.db, &user.id, id, Permission::Write).await?;
        return folder_response(ctx, &folder, write).await;
    }
    Err(ApiError::not_found(E_NOT_FOUND))
}
