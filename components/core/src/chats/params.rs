//! `PATCH /{id}/params` (spec §2.31): shallow-merges the body into `chat.params`.
//!
//! Only `params` changes, so SQLite edits it in place (`json_set`): the chat JSON never comes
//! here, and pending message patches stay valid (they touch only `history.messages`).

use super::model;
use crate::auth;
use crate::context::Ctx;
use crate::db::transaction;
use crate::error::{ApiError, ApiResult, E_DEFAULT, E_NOT_FOUND, E_PROHIBITED};
use crate::history;
use crate::http::{Body, Request};
use crate::permissions::truthy;
use serde_json::{Map, Value as Json, json};

/// The body as FastAPI's `form_data: dict`.
fn parse(body: Body) -> ApiResult<Map<String, Json>> {
    let input = match body {
        Body::Json(Json::Object(map)) => return Ok(map),
        Body::Empty => return Err(ApiError::missing(&["body"], Json::Null)),
        Body::Json(other) => other,
        Body::Text(text) => Json::String(text),
    };
    Err(ApiError::validation(vec![
        json!({"type": "dict_type", "loc": ["body"], "msg": "Input should be a valid dictionary", "input": input}),
    ]))
}

/// `PATCH /api/v1/chats/{id}/params`: owner only; `updated_at` is not touched. Answers the
/// merged params.
pub async fn update_params(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let params = parse(body)?;
    if model::owner(ctx.db, id).await?.as_deref() != Some(user.id.as_str()) {
        return Err(ApiError::unauthorized(E_PROHIBITED));
    }
    transaction(ctx.db, async || {
        let rows = ctx.db.query("SELECT chat -> '$.params' FROM chat WHERE id = ?", &[id.into()]).await?;
        let row = rows.first().ok_or_else(|| ApiError::not_found(E_NOT_FOUND))?;
        let mut merged = match row.json(0) {
            Json::Object(stored) => stored,
            stored if !truthy(&stored) => Map::new(),
            // `{**stored}` on a non-mapping: Open WebUI fails with a 500.
            _ => return Err(ApiError::bad_request(E_DEFAULT)),
        };
        merged.extend(params.iter().map(|(key, value)| (key.clone(), value.clone())));
        let mut merged = Json::Object(merged);
        history::strip_nul(&mut merged);
        ctx.db
            .execute(
                "UPDATE chat SET chat = json_set(CASE WHEN json_type(chat) = 'object' THEN chat ELSE '{}' END, '$.params', json(?)) \
                 WHERE id = ?",
                &[(&merged).into(), id.into()],
            )
            .await?;
        Ok(merged)
    })
    .await
}
