//! `check_folders_permission`: every folders route first checks that the feature is on
//! (`folders.enable` in the config table) and that a non-admin holds `features.folders`.

use crate::config;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult, E_PROHIBITED};
use crate::permissions;
use crate::users::User;
use serde_json::Value as Json;

/// 403 `E_PROHIBITED` when folders are disabled or the user may not use them.
pub async fn require_folders(ctx: &Ctx<'_>, user: &User) -> ApiResult<()> {
    // Open WebUI tests `is False`: only a stored JSON `false` disables the feature.
    if config::get(ctx.db, "folders.enable").await? == Some(Json::Bool(false)) {
        return Err(ApiError::forbidden(E_PROHIBITED));
    }
    if user.is_admin() {
        return Ok(());
    }
    let config = config::load(ctx).await?;
    if permissions::has_permission(ctx, &config, &user.id, "features.folders").await? {
        Ok(())
    } else {
        Err(ApiError::forbidden(E_PROHIBITED))
    }
}
