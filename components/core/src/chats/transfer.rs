//! Moving chats in and out: `POST /import` (all or nothing) and the export job behind
//! `GET /all` (spec §2.10, §2.16).

use super::create::{NewChat, insert, require_creation_permission, require_import_permission};
use super::model::Chat;
use crate::access::{Permission, has_folder_access};
use crate::auth;
use crate::context::Ctx;
use crate::db::transaction;
use crate::error::{ApiError, ApiResult, E_DEFAULT};
use crate::form::Fields;
use crate::history;
use crate::http::Request;
use crate::tags;
use serde_json::{Map, Value as Json, json};

/// One validated ChatImportForm.
struct ImportItem {
    chat: Map<String, Json>,
    variables: Option<Map<String, Json>>,
    folder_id: Option<String>,
    meta: Json,
    pinned: bool,
    archived: bool,
    current_message_id: Option<String>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
}

/// Validates `{"chats": [ChatImportForm]}` with pydantic's 422 shapes; explicit `null` for
/// `meta` or `archived` (which Open WebUI's stored model rejects with a 400) is a 400 too.
fn parse_import(body: Map<String, Json>) -> ApiResult<Vec<ImportItem>> {
    let items = match body.get("chats") {
        Some(Json::Array(items)) => items.clone(),
        None => return Err(ApiError::missing(&["body", "chats"], Json::Object(body))),
        Some(other) => {
            return Err(ApiError::validation(vec![json!({
                "type": "list_type", "loc": ["body", "chats"], "msg": "Input should be a valid list", "input": other,
            })]));
        }
    };
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(items.len());
    let mut rejected_null = false;
    for (index, item) in items.iter().enumerate() {
        let Json::Object(raw) = item else {
            errors.push(json!({
                "type": "model_attributes_type", "loc": ["body", "chats", index],
                "msg": "Input should be a valid dictionary or object to extract fields from", "input": item,
            }));
            continue;
        };
        let mut fields = Fields::at(raw, vec![json!("body"), json!("chats"), json!(index)]);
        let chat = fields.required_object("chat");
        let variables = fields.optional_object("variables");
        let folder_id = fields.optional_str("folder_id");
        let meta = match raw.get("meta") {
            None => json!({}),
            Some(Json::Null) => {
                rejected_null = true;
                Json::Null
            }
            Some(_) => Json::Object(fields.optional_object("meta").unwrap_or_default()),
        };
        let pinned = fields.optional_bool("pinned").unwrap_or(false);
        if raw.get("archived") == Some(&Json::Null) {
            rejected_null = true;
        }
        let archived = fields.optional_bool("archived").unwrap_or(false);
        let current_message_id = fields.optional_str("current_message_id");
        let created_at = fields.optional_int("created_at");
        let updated_at = fields.optional_int("updated_at");
        errors.extend(fields.into_errors());
        parsed.push(ImportItem { chat, variables, folder_id, meta, pinned, archived, current_message_id, created_at, updated_at });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if rejected_null {
        return Err(ApiError::bad_request(E_DEFAULT));
    }
    Ok(parsed)
}

/// `POST /api/v1/chats/import`: every chat or none (one transaction).
pub async fn import(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<Json>> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let items = parse_import(body.object()?)?;
    for item in &items {
        crate::limits::check_title(item.chat.get("title"))?;
        crate::limits::check_tag_count(item.meta.get("tags").and_then(Json::as_array).map_or(0, Vec::len))?;
    }
    require_import_permission(ctx, &user).await?;
    require_creation_permission(ctx, &user).await?;
    let mut tag_names: Vec<String> = Vec::new();
    let created = transaction(ctx.db, async || {
        let mut created = Vec::with_capacity(items.len());
        for item in &items {
            let mut chat = Json::Object(item.chat.clone());
            history::stamp_authors(&mut chat, &user.id, &user.name);
            history::strip_nul(&mut chat);
            let folder_id = match &item.folder_id {
                Some(id) if has_folder_access(ctx.db, &user.id, id, Permission::Write).await? => Some(id.clone()),
                _ => None,
            };
            for tag in item.meta.get("tags").and_then(Json::as_array).into_iter().flatten() {
                if let Some(name) = tag.as_str()
                    && !tag_names.iter().any(|known| known == name)
                {
                    tag_names.push(name.to_owned());
                }
            }
            let stamp = |value: Option<i64>| value.filter(|stamp| *stamp != 0).unwrap_or(ctx.now);
            let chat = insert(
                ctx,
                NewChat {
                    user_id: user.id.clone(),
                    chat,
                    folder_id,
                    meta: item.meta.clone(),
                    variables: Json::Object(item.variables.clone().unwrap_or_default()),
                    pinned: item.pinned,
                    archived: item.archived,
                    current_message_id: item.current_message_id.clone().filter(|id| !id.is_empty()),
                    created_at: stamp(item.created_at),
                    updated_at: stamp(item.updated_at),
                },
            )
            .await?;
            created.push(chat);
        }
        tags::ensure_exist(ctx.db, &user.id, &tag_names).await?;
        Ok::<Vec<Chat>, ApiError>(created)
    })
    .await?;
    Ok(created.into_iter().map(Chat::into_response).collect())
}
