//! The list routes: `GET /` and `/list`, `/pinned`, `/archived`, `/archived/count`,
//! `/all/archived` (spec §2.2, §2.15, §2.17, §2.20, §2.21). They read only the narrow
//! columns, never `chat.chat`, except `/all/archived` which returns full chats.

use super::model::{CHAT_COLUMNS, Chat, ChatTitleId, TITLE_ID_COLUMNS};
use crate::auth;
use crate::context::Ctx;
use crate::db::Value;
use crate::error::{ApiError, ApiResult, E_DEFAULT};
use crate::export::StreamJob;
use crate::http::{Request, Response};
use crate::tags::NOT_INTERNAL;
use serde_json::Value as Json;

/// Page size of the chat lists.
pub const PAGE_SIZE: i64 = 60;

/// SQL for "chat is unread": updated since last read and no unfinished assistant message.
pub const UNREAD: &str = "(updated_at > COALESCE(last_read_at, 0) AND NOT EXISTS (SELECT 1 FROM chat_message m \
     WHERE m.chat_id = chat.id AND m.role = 'assistant' AND m.done = 0))";

/// `chat_list_order`: the ORDER BY for `sort_by`/`sort_dir`, always ending with `id`.
pub fn order_by(sort_by: &str, sort_dir: &str) -> String {
    let direction = if sort_dir == "asc" { "ASC" } else { "DESC" };
    match sort_by {
        "title" => format!("title {direction}, id ASC"),
        "unread_updated_at" => format!("{UNREAD} DESC, updated_at DESC, id ASC"),
        _ => format!("updated_at {direction}, id ASC"),
    }
}

/// `LIMIT/OFFSET` for a 1-based page; SQLite treats a negative offset (page 0) as 0.
pub fn page_clause(page: Option<i64>, size: i64) -> String {
    match page {
        None => String::new(),
        Some(page) => format!(" LIMIT {size} OFFSET {}", page.saturating_sub(1).saturating_mul(size).max(0)),
    }
}

/// `GET /api/v1/chats/` and `/list`.
pub async fn list(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<ChatTitleId>> {
    let user = auth::verified_user(ctx, request).await?;
    let page = request.query_int("page")?;
    let include_pinned = request.query_bool("include_pinned")?.unwrap_or(false);
    let include_folders = request.query_bool("include_folders")?.unwrap_or(false);
    let sort_by = request.query_str("sort_by").unwrap_or_else(|| "updated_at".into());
    let sort_dir = request.query_str("sort_dir").unwrap_or_else(|| "desc".into());
    let mut sql = format!("SELECT {TITLE_ID_COLUMNS} FROM chat WHERE user_id = ? AND archived = 0 AND {NOT_INTERNAL}");
    if !include_folders {
        sql.push_str(" AND folder_id IS NULL");
    }
    if !include_pinned {
        sql.push_str(" AND (pinned = 0 OR pinned IS NULL)");
    }
    sql.push_str(&format!(" ORDER BY {}", order_by(&sort_by, &sort_dir)));
    sql.push_str(&page_clause(page, PAGE_SIZE));
    let rows = ctx.db.query(&sql, &[user.id.as_str().into()]).await?;
    Ok(rows.iter().map(ChatTitleId::from_row).collect())
}

/// `GET /api/v1/chats/pinned`.
pub async fn pinned(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<ChatTitleId>> {
    let user = auth::verified_user(ctx, request).await?;
    let rows = ctx
        .db
        .query(
            &format!(
                "SELECT {TITLE_ID_COLUMNS} FROM chat WHERE user_id = ? AND pinned = 1 AND archived = 0 \
                 AND {NOT_INTERNAL} ORDER BY updated_at DESC"
            ),
            &[user.id.as_str().into()],
        )
        .await?;
    Ok(rows.iter().map(ChatTitleId::from_row).collect())
}

/// `chat` columns `/archived` and `/list/user/{id}` may be ordered by.
pub const ORDERABLE: &[&str] = &["id", "user_id", "title", "created_at", "updated_at", "share_id", "archived", "pinned", "folder_id"];

/// The `order_by`/`direction` pair of `/archived`, `/shared` and `/list/user/{id}`:
/// `Some("column DIR")` when both are given and valid, `None` when either is missing (the
/// caller's default order applies), 400 for an unknown column or direction (Open WebUI
/// answers 500). Only names in `allowed` ever reach the SQL.
pub fn custom_order(order_by: Option<&str>, direction: Option<&str>, allowed: &[&str]) -> ApiResult<Option<String>> {
    let (Some(column), Some(direction)) = (order_by, direction) else {
        return Ok(None);
    };
    if !allowed.contains(&column) {
        return Err(ApiError::bad_request("Invalid order_by field"));
    }
    let direction = match direction.to_lowercase().as_str() {
        "asc" => "ASC",
        "desc" => "DESC",
        _ => return Err(ApiError::bad_request("Invalid direction for ordering")),
    };
    Ok(Some(format!("{column} {direction}")))
}

/// `GET /api/v1/chats/archived`: paged, filterable by title; `last_read_at` is null here.
/// An unknown `order_by` or `direction` is a 400 here instead of Open WebUI's 500.
pub async fn archived(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<ChatTitleId>> {
    let user = auth::verified_user(ctx, request).await?;
    let page = request.query_int("page")?.unwrap_or(1);
    let query = request.query_str("query");
    let order = request.query_str("order_by");
    let direction = request.query_str("direction");
    let mut sql = format!(
        "SELECT id, title, updated_at, created_at, NULL FROM chat WHERE user_id = ? AND archived = 1 AND {NOT_INTERNAL}"
    );
    let mut params: Vec<Value> = vec![user.id.as_str().into()];
    if let Some(query) = query.as_deref().filter(|query| !query.is_empty()) {
        sql.push_str(" AND title LIKE ?");
        params.push(format!("%{query}%").into());
    }
    let order = custom_order(order.as_deref(), direction.as_deref(), ORDERABLE)?;
    sql.push_str(&format!(" ORDER BY {}, id ASC", order.unwrap_or_else(|| "updated_at DESC".into())));
    sql.push_str(&page_clause(Some(page), PAGE_SIZE));
    let rows = ctx.db.query(&sql, &params).await?;
    Ok(rows.iter().map(ChatTitleId::from_row).collect())
}

/// `GET /api/v1/chats/archived/count`.
pub async fn archived_count(ctx: &Ctx<'_>, request: &Request) -> ApiResult<i64> {
    let user = auth::verified_user(ctx, request).await?;
    let rows = ctx
        .db
        .query(
            &format!("SELECT COUNT(*) FROM chat WHERE user_id = ? AND archived = 1 AND {NOT_INTERNAL}"),
            &[user.id.as_str().into()],
        )
        .await?;
    Ok(rows.first().map_or(0, |row| row.int(0)))
}

/// `GET /api/v1/chats/list/user/{user_id}` (admin, with admin chat access): that user's
/// chats, archived included, paged by 60, filterable by title.
pub async fn list_for_user(ctx: &Ctx<'_>, request: &Request, user_id: &str) -> ApiResult<Vec<ChatTitleId>> {
    auth::admin_user(ctx, request).await?;
    if !ctx.settings.enable_admin_chat_access {
        return Err(ApiError::unauthorized(crate::error::E_PROHIBITED));
    }
    let page = request.query_int("page")?.unwrap_or(1);
    let mut sql = format!("SELECT {TITLE_ID_COLUMNS} FROM chat WHERE user_id = ? AND {NOT_INTERNAL}");
    let mut params: Vec<Value> = vec![user_id.into()];
    if let Some(query) = request.query_str("query").filter(|query| !query.is_empty()) {
        sql.push_str(" AND title LIKE ?");
        params.push(format!("%{query}%").into());
    }
    let order = custom_order(request.query_str("order_by").as_deref(), request.query_str("direction").as_deref(), ORDERABLE)?;
    sql.push_str(&format!(" ORDER BY {}, id ASC", order.unwrap_or_else(|| "updated_at DESC".into())));
    sql.push_str(&page_clause(Some(page), PAGE_SIZE));
    let rows = ctx.db.query(&sql, &params).await?;
    Ok(rows.iter().map(ChatTitleId::from_row).collect())
}

/// `GET /api/v1/chats/all`: every non-internal chat of the caller as NDJSON, streamed.
pub async fn export_all(ctx: &Ctx<'_>, request: &Request) -> Response {
    match auth::verified_user(ctx, request).await {
        Ok(user) => Response::streamed("application/x-ndjson", Vec::new(), StreamJob::UserChats { user_id: user.id }),
        Err(error) => Response::error(&error),
    }
}

/// `GET /api/v1/chats/all/db` (admin, `ENABLE_ADMIN_EXPORT`): every user's chats, streamed
/// as one JSON array.
pub async fn export_db(ctx: &Ctx<'_>, request: &Request) -> Response {
    if let Err(error) = auth::admin_user(ctx, request).await {
        return Response::error(&error);
    }
    if !ctx.settings.enable_admin_export {
        return Response::error(&ApiError::unauthorized(crate::error::E_PROHIBITED));
    }
    Response::streamed("application/json", Vec::new(), StreamJob::AllChats)
}

/// `GET /api/v1/chats/all/archived`: full ChatResponses.
pub async fn all_archived(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<Json>> {
    let user = auth::verified_user(ctx, request).await?;
    let rows = ctx
        .db
        .query(
            &format!(
                "SELECT {CHAT_COLUMNS} FROM chat WHERE user_id = ? AND archived = 1 AND {NOT_INTERNAL} ORDER BY updated_at DESC"
            ),
            &[user.id.as_str().into()],
        )
        .await
        .map_err(|_| ApiError::bad_request(E_DEFAULT))?;
    let mut chats = Vec::with_capacity(rows.len());
    for row in &rows {
        chats.push(super::model::prepare(ctx.db, Chat::from_row(row)).await?.into_response());
    }
    Ok(chats)
}
