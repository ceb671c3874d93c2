//! Share links of one's own chats: create or refresh (`POST /{id}/share`), remove one
//! (`DELETE /{id}/share`) or all (`DELETE /share/all`), and list them (`GET /shared`)
//! (spec §2.24, §2.25, §2.42, §2.43). A new link has no grants: only its owner and admins
//! can open it until `POST /shared/{id}/access/update` adds some.

use super::list::{PAGE_SIZE, custom_order, page_clause};
use super::model;
use super::shares;
use crate::auth;
use crate::config;
use crate::context::Ctx;
use crate::db::{Value, transaction};
use crate::error::{ApiError, ApiResult, E_PROHIBITED};
use crate::http::Request;
use crate::permissions;
use serde::Serialize;
use serde_json::Value as Json;

/// `shared_chat` columns `GET /shared` may be ordered by (the model's attributes).
const ORDERABLE: &[&str] = &["id", "chat_id", "user_id", "title", "chat", "created_at", "updated_at"];

/// An item of `GET /shared` (SharedChatResponse): `id` is the ORIGINAL chat's id, the
/// token is `share_id`, the title and times are the snapshot's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedChatItem {
    /// Original chat id.
    pub id: String,
    /// Original chat id again.
    pub chat_id: String,
    /// Snapshot title.
    pub title: String,
    /// The share token.
    pub share_id: String,
    /// Snapshot time.
    pub updated_at: i64,
    /// Share creation time.
    pub created_at: i64,
}

/// `POST /api/v1/chats/{id}/share`: snapshots the chat under a new token, or re-snapshots
/// the existing share (keeping its `share_mode` unless the body sets one).
pub async fn share_chat(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<Json> {
    let body = request.body()?;
    let user = auth::verified_user(ctx, request).await?;
    let body = body.optional_object()?.unwrap_or_default();
    let mut errors = Vec::new();
    let share_mode = shares::share_mode_field(&body, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if !user.is_admin() {
        let config = config::load(ctx).await?;
        if !permissions::has_permission(ctx, &config, &user.id, "chat.share").await? {
            return Err(ApiError::unauthorized(E_PROHIBITED));
        }
    }
    transaction(ctx.db, async || {
        // Snapshots copy the chat as stored (no read-time repair), as Open WebUI does.
        let chat = model::find_stored(ctx.db, id)
            .await?
            .filter(|chat| chat.user_id == user.id)
            .ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))?;
        let refreshed = match &chat.share_id {
            Some(share_id) => shares::refresh(ctx, share_id, &chat, share_mode.as_ref()).await?,
            None => false,
        };
        // A share_id whose row is gone is replaced by a new share, as Open WebUI does. Its
        // answer is then the row as written, a refresh answers the chat as read (repaired).
        let chat = if refreshed {
            model::find(ctx.db, id).await?
        } else {
            shares::create(ctx, &chat, share_mode.as_ref().unwrap_or(&Json::Null)).await?;
            model::find_stored(ctx.db, id).await?
        };
        Ok(chat.ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))?.into_response())
    })
    .await
}

/// `DELETE /api/v1/chats/{id}/share`: owner only; removes the chat's shares and their grants.
pub async fn unshare_chat(ctx: &Ctx<'_>, request: &Request, id: &str) -> ApiResult<bool> {
    let user = auth::verified_user(ctx, request).await?;
    model::find_owned(ctx.db, id, &user.id)
        .await?
        .ok_or_else(|| ApiError::unauthorized(E_PROHIBITED))?;
    transaction(ctx.db, async || {
        shares::remove_for_chat(ctx, id).await?;
        Ok::<_, ApiError>(true)
    })
    .await
}

/// `DELETE /api/v1/chats/share/all`: every share the caller created, with their grants.
pub async fn unshare_all(ctx: &Ctx<'_>, request: &Request) -> ApiResult<bool> {
    let user = auth::verified_user(ctx, request).await?;
    transaction(ctx.db, async || {
        let rows = ctx
            .db
            .query("SELECT DISTINCT chat_id FROM shared_chat WHERE user_id = ?", &[user.id.as_str().into()])
            .await?;
        for row in rows {
            shares::remove_for_chat(ctx, &row.text(0)).await?;
        }
        // Shares of chats that no longer exist (nothing else points at them).
        ctx.db.execute("DELETE FROM shared_chat WHERE user_id = ?", &[user.id.as_str().into()]).await?;
        Ok::<_, ApiError>(true)
    })
    .await
}

/// `GET /api/v1/chats/shared`: the caller's share links, 60 a page, filterable by snapshot
/// title. Default order is newest snapshot first; a `query`, `order_by` or `direction` alone
/// switches that off (Open WebUI then has no ORDER BY; we keep insertion order). An unknown
/// column or direction is a 400 (Open WebUI: 500).
pub async fn list_shared(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<SharedChatItem>> {
    let user = auth::verified_user(ctx, request).await?;
    let page = request.query_int("page")?.unwrap_or(1);
    let non_empty = |name: &str| request.query_str(name).filter(|value| !value.is_empty());
    let (query, order_by, direction) = (non_empty("query"), non_empty("order_by"), non_empty("direction"));
    let mut sql = "SELECT chat_id, title, id, updated_at, created_at FROM shared_chat WHERE user_id = ?".to_owned();
    let mut params: Vec<Value> = vec![user.id.as_str().into()];
    if let Some(query) = &query {
        sql.push_str(" AND title LIKE ?");
        params.push(format!("%{query}%").into());
    }
    let filtered = query.is_some() || order_by.is_some() || direction.is_some();
    let order = match custom_order(order_by.as_deref(), direction.as_deref(), ORDERABLE)? {
        Some(order) => order,
        None if filtered => "rowid ASC".to_owned(),
        None => "updated_at DESC".to_owned(),
    };
    sql.push_str(&format!(" ORDER BY {order}"));
    sql.push_str(&page_clause(Some(page), PAGE_SIZE));
    let rows = ctx.db.query(&sql, &params).await?;
    Ok(rows
        .iter()
        .map(|row| SharedChatItem {
            id: row.text(0),
            chat_id: row.text(0),
            title: row.text(1),
            share_id: row.text(2),
            updated_at: row.int(3),
            created_at: row.int(4),
        })
        .collect())
}
