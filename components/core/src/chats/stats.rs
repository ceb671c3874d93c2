//! `GET /stats/usage`, `GET /stats/export` and `GET /stats/export/{chat_id}` (spec §2.4–2.6):
//! per-chat statistics computed from the message history, with Open WebUI's quirks (which
//! chats are skipped, which failures sink a whole page).

use super::model::{self, CHAT_COLUMNS, Chat};
use crate::access;
use crate::auth;
use crate::config;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult, E_DEFAULT, E_NOT_FOUND, E_PROHIBITED};
use crate::history;
use crate::http::{Request, Response};
use crate::tags::NOT_INTERNAL;
use crate::users::User;
use serde_json::{Map, Value as Json, json};

/// Chats per page (and per streamed batch) of the stats export.
const EXPORT_PAGE: i64 = 10;

/// Python's `len()` of a content value: characters of a string, items of a list, keys of a
/// dict; `None` where Python raises.
fn python_len(value: &Json) -> Option<usize> {
    match value {
        Json::String(text) => Some(text.chars().count()),
        Json::Array(items) => Some(items.len()),
        Json::Object(map) => Some(map.len()),
        _ => None,
    }
}

/// A number as Python subtracts it (`None` for anything else).
fn number(value: &Json) -> Option<f64> {
    value.as_f64()
}

/// pydantic's lax `int` (ints and whole floats).
fn lax_int(value: &Json) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().filter(|float| float.fract() == 0.0).map(|float| float as i64))
}

/// A dict key for a model id (strings as they are, numbers as Python prints them).
fn model_key(model: &Json) -> Option<String> {
    match model {
        Json::String(text) => Some(text.clone()),
        Json::Number(number) => Some(number.to_string()),
        Json::Bool(flag) => Some(if *flag { "True".into() } else { "False".into() }),
        _ => None,
    }
}

fn count_model(counts: &mut Map<String, Json>, message: &Json) -> Option<()> {
    if let Some(model) = message.get("model").filter(|model| crate::permissions::truthy(model)) {
        let key = model_key(model)?;
        let next = counts.get(&key).and_then(Json::as_i64).unwrap_or(0) + 1;
        counts.insert(key, json!(next));
    }
    Some(())
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 }
}

/// `meta.tags` as `list[str]`; `None` when validation would fail.
fn tag_list(chat: &Chat) -> Option<Vec<String>> {
    match chat.meta.get("tags") {
        None => Some(Vec::new()),
        Some(Json::Array(tags)) => tags.iter().map(|tag| tag.as_str().map(str::to_owned)).collect(),
        Some(_) => None,
    }
}

/// The history object as `chat.get('history', {})` sees it; `None` where `.get` would raise.
fn history_of(chat: &Chat) -> Option<Map<String, Json>> {
    match chat.chat.get("history") {
        None => Some(Map::new()),
        Some(Json::Object(history)) => Some(history.clone()),
        Some(_) => None,
    }
}

/// One `/stats/usage` item: `Ok(None)` for a skipped chat, `Err` when the whole page fails.
fn usage_item(chat: &Chat) -> Result<Option<Json>, ()> {
    let history = history_of(chat).ok_or(())?;
    let messages = history.get("messages").cloned().unwrap_or_else(|| json!({}));
    let current = history.get("currentId").cloned().unwrap_or(Json::Null);
    if !crate::permissions::truthy(&messages) || !crate::permissions::truthy(&current) {
        return Ok(None);
    }
    let Some(item) = usage_stats(&messages, &current) else { return Ok(None) };
    let (item, last) = item;
    // Response validation runs on the whole page: a bad value here sinks all of it.
    let last_message_at = last.as_ref().and_then(lax_int).ok_or(())?;
    let tags = tag_list(chat).ok_or(())?;
    let mut item = item;
    item.insert("tags".into(), json!(tags));
    item.insert("last_message_at".into(), json!(last_message_at));
    item.insert("updated_at".into(), json!(chat.updated_at));
    item.insert("created_at".into(), json!(chat.created_at));
    let mut out = Map::new();
    out.insert("id".into(), json!(chat.id));
    out.extend(item);
    Ok(Some(Json::Object(out)))
}

/// The usage statistics of one history and the last branch message's timestamp; `None`
/// where Open WebUI's per-chat `try` fails (the chat is skipped).
fn usage_stats(messages: &Json, current: &Json) -> Option<(Map<String, Json>, Option<Json>)> {
    let messages = messages.as_object()?;
    let mut history_models = Map::new();
    let (mut users, mut assistants) = (Vec::new(), Vec::new());
    for message in messages.values() {
        let role = message.as_object()?.get("role");
        match role.and_then(Json::as_str) {
            Some("user") => users.push(message),
            Some("assistant") => {
                assistants.push(message);
                count_model(&mut history_models, message)?;
            }
            _ => {}
        }
    }
    let lengths = |list: &[&Json]| -> Option<Vec<f64>> {
        list.iter().map(|message| python_len(message.get("content").unwrap_or(&json!(""))).map(|len| len as f64)).collect()
    };
    let user_lengths = lengths(&users)?;
    let assistant_lengths = lengths(&assistants)?;
    let mut response_times = Vec::new();
    for message in &assistants {
        let Some(parent) = message.get("parentId").and_then(Json::as_str).filter(|id| !id.is_empty()) else { continue };
        let Some(parent) = messages.get(parent) else { continue };
        let stamp = |message: &Json| message.as_object()?.get("timestamp").map_or(Some(0.0), number);
        response_times.push(stamp(message)? - stamp(parent)?);
    }
    let list = history::message_list(messages, current.as_str());
    let mut models = Map::new();
    for message in list.iter().rev() {
        if message.get("role").and_then(Json::as_str) == Some("assistant") {
            count_model(&mut models, message)?;
        }
    }
    let last = list.last()?.get("timestamp").cloned();
    let mut item = Map::new();
    item.insert("models".into(), Json::Object(models));
    item.insert("message_count".into(), json!(list.len()));
    item.insert("history_models".into(), Json::Object(history_models));
    item.insert("history_message_count".into(), json!(messages.len()));
    item.insert("history_user_message_count".into(), json!(users.len()));
    item.insert("history_assistant_message_count".into(), json!(assistants.len()));
    item.insert("average_response_time".into(), json!(mean(&response_times)));
    item.insert("average_user_message_content_length".into(), json!(mean(&user_lengths)));
    item.insert("average_assistant_message_content_length".into(), json!(mean(&assistant_lengths)));
    Some((item, last))
}

/// Content length for the export: characters of a string, the `text` lengths of a list's
/// `type == 'text'` parts, 0 otherwise; `None` where Python raises.
fn export_length(message: &Map<String, Json>) -> Option<usize> {
    match message.get("content").unwrap_or(&json!("")) {
        Json::String(text) => Some(text.chars().count()),
        Json::Array(items) => items.iter().try_fold(0, |sum, item| {
            let item = item.as_object()?;
            if item.get("type").and_then(Json::as_str) == Some("text") {
                Some(sum + python_len(item.get("text").unwrap_or(&json!("")))?)
            } else {
                Some(sum)
            }
        }),
        _ => Some(0),
    }
}

/// One message's MessageStats, `None` when Open WebUI drops the message.
fn message_stats(message: &Json) -> Option<Json> {
    let message = message.as_object()?;
    let content_length = export_length(message)?;
    let annotation = match message.get("annotation") {
        None => Map::new(),
        Some(Json::Object(annotation)) => annotation.clone(),
        Some(_) => return None,
    };
    let optional = |value: Option<&Json>, valid: fn(&Json) -> Option<Json>| match value {
        None | Some(Json::Null) => Some(Json::Null),
        Some(value) => valid(value),
    };
    let string = |value: &Json| value.as_str().map(|text| json!(text));
    let int = |value: &Json| lax_int(value).map(Json::from);
    let tags = |value: &Json| value.as_array()?.iter().map(|tag| tag.as_str().map(|t| json!(t))).collect::<Option<Vec<_>>>().map(Json::Array);
    Some(json!({
        "id": message.get("id").and_then(string)?,
        "role": message.get("role").and_then(string)?,
        "model": optional(message.get("model"), string)?,
        "content_length": content_length,
        "token_count": null,
        "timestamp": optional(message.get("timestamp"), int)?,
        "rating": optional(annotation.get("rating"), int)?,
        "tags": optional(annotation.get("tags"), tags)?,
    }))
}

/// `_process_chat_for_export`: ChatStatsExport, or `None` when Open WebUI's `try` fails.
fn export_item(chat: &Chat) -> Option<Json> {
    let history = history_of(chat)?;
    let empty = json!({});
    let messages = history.get("messages").unwrap_or(&empty).as_object()?;
    let current = history.get("currentId").cloned().unwrap_or(Json::Null);
    let mut exported = Map::new();
    let (mut users, mut assistants) = (Vec::new(), Vec::new());
    let mut history_models = Map::new();
    for (key, message) in messages {
        let Some(stats) = message_stats(message) else { continue };
        exported.insert(key.clone(), stats);
        match message.get("role").and_then(Json::as_str) {
            Some("user") => users.push(message),
            Some("assistant") => {
                assistants.push(message);
                count_model(&mut history_models, message)?;
            }
            _ => {}
        }
    }
    let length = |list: &[&Json]| -> Vec<f64> {
        list.iter().filter_map(|m| m.as_object().and_then(export_length)).map(|len| len as f64).collect()
    };
    let mut response_times = Vec::new();
    for message in &assistants {
        let Some(parent) = message.get("parentId").and_then(Json::as_str).filter(|id| !id.is_empty()) else { continue };
        let Some(parent) = messages.get(parent) else { continue };
        let stamp = |message: &Json| message.get("timestamp").filter(|t| crate::permissions::truthy(t)).cloned();
        if let (Some(t1), Some(t0)) = (stamp(message), stamp(parent)) {
            response_times.push(number(&t1)? - number(&t0)?);
        }
    }
    let current_id = match &current {
        Json::Null => None,
        Json::String(id) => Some(id.clone()),
        _ => return None,
    };
    let list = history::message_list(messages, current_id.as_deref());
    let mut models = Map::new();
    for message in list.iter().rev() {
        if message.get("role").and_then(Json::as_str) == Some("assistant") {
            count_model(&mut models, message)?;
        }
    }
    Some(json!({
        "id": chat.id,
        "user_id": chat.user_id,
        "created_at": chat.created_at,
        "updated_at": chat.updated_at,
        "tags": tag_list(chat)?,
        "stats": {
            "average_response_time": mean(&response_times),
            "average_user_message_content_length": mean(&length(&users)),
            "average_assistant_message_content_length": mean(&length(&assistants)),
            "models": models,
            "message_count": list.len(),
            "history_models": history_models,
            "history_message_count": messages.len(),
            "history_user_message_count": users.len(),
            "history_assistant_message_count": assistants.len(),
        },
        "chat": {"history": {"messages": exported, "currentId": current_id}},
    }))
}

/// A page of the user's non-internal chats (archived included) with pending message writes
/// folded, and the total count.
async fn user_chats(ctx: &Ctx<'_>, user_id: &str, order: &str, after: Option<i64>, limit: i64, offset: i64) -> ApiResult<(Vec<Chat>, i64)> {
    let filter = format!("user_id = ? AND {NOT_INTERNAL} AND (? IS NULL OR updated_at > ?)");
    let params = [user_id.into(), after.into(), after.into()];
    let total = ctx.db.query(&format!("SELECT COUNT(*) FROM chat WHERE {filter}"), &params).await?;
    let mut page_params = params.to_vec();
    page_params.extend([limit.into(), offset.into()]);
    let rows = ctx
        .db
        .query(&format!("SELECT {CHAT_COLUMNS} FROM chat WHERE {filter} ORDER BY {order} LIMIT ? OFFSET ?"), &page_params)
        .await?;
    let chats = model::prepare_all(ctx.db, rows.iter().map(Chat::from_row).collect()).await?;
    Ok((chats, total.first().map_or(0, |row| row.int(0))))
}

/// Largest `items_per_page` of `/stats/usage`.
pub const MAX_USAGE_PAGE: i64 = 200;

/// `GET /api/v1/chats/stats/usage` (`items_per_page`, `page`).
pub async fn usage(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Json> {
    let items_per_page = request.query_int("items_per_page")?;
    let page = request.query_int("page")?;
    let user = auth::verified_user(ctx, request).await?;
    // Each item loads a whole chat: bound the page (Open WebUI has no bound; -1 would mean
    // "everything" to SQLite).
    let limit = items_per_page.unwrap_or(50).clamp(1, MAX_USAGE_PAGE);
    let offset = page.unwrap_or(1).saturating_sub(1).max(0).saturating_mul(limit);
    let (chats, total) = user_chats(ctx, &user.id, "updated_at DESC, id", None, limit, offset).await?;
    let mut items = Vec::new();
    for chat in &chats {
        match usage_item(chat) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => {}
            Err(()) => return Err(ApiError::bad_request(E_DEFAULT)),
        }
    }
    Ok(json!({"items": items, "total": total}))
}

/// The export gate: admins, or anyone while community sharing is on.
async fn may_export(ctx: &Ctx<'_>, user: &User) -> ApiResult<()> {
    if user.is_admin() || config::load(ctx).await?.enable_community_sharing {
        Ok(())
    } else {
        Err(ApiError::unauthorized(E_PROHIBITED))
    }
}

/// `GET /api/v1/chats/stats/export` (`updated_at`, `page`, `stream`).
pub async fn export(ctx: &Ctx<'_>, request: &Request) -> Response {
    match export_result(ctx, request).await {
        Ok(response) => response,
        Err(error) => Response::error(&error),
    }
}

async fn export_result(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Response> {
    let after = request.query_int("updated_at")?.filter(|value| *value != 0);
    let page = request.query_int("page")?.unwrap_or(1);
    let stream = request.query_bool("stream")?.unwrap_or(false);
    let user = auth::verified_user(ctx, request).await?;
    may_export(ctx, &user).await?;
    let order = "updated_at ASC, id";
    if !stream {
        let offset = page.saturating_sub(1).max(0).saturating_mul(EXPORT_PAGE);
        let (chats, total) = user_chats(ctx, &user.id, order, after, EXPORT_PAGE, offset).await?;
        let items: Vec<Json> = chats.iter().filter_map(export_item).collect();
        return Ok(Response::ok(&json!({"type": "chats", "items": items, "total": total, "page": page})));
    }
    // The whole NDJSON body is built here (batches of 10, as Open WebUI reads them).
    let mut body = Vec::new();
    let mut offset = 0;
    loop {
        let (chats, _) = user_chats(ctx, &user.id, order, after, EXPORT_PAGE, offset).await?;
        if chats.is_empty() {
            break;
        }
        for item in chats.iter().filter_map(export_item) {
            body.extend(item.to_string().into_bytes());
            body.push(b'\n');
        }
        offset += EXPORT_PAGE;
    }
    Ok(Response {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/x-ndjson".into()),
            ("content-disposition".into(), format!("attachment; filename=chat-stats-export-{}.jsonl", user.id)),
        ],
        body,
        stream: None,
    })
}

/// `GET /api/v1/chats/stats/export/{chat_id}`.
pub async fn export_one(ctx: &Ctx<'_>, request: &Request, chat_id: &str) -> ApiResult<Json> {
    let user = auth::verified_user(ctx, request).await?;
    may_export(ctx, &user).await?;
    let chat = model::find(ctx.db, chat_id).await?.ok_or_else(|| ApiError::not_found(E_NOT_FOUND))?;
    if !access::owner_or_admin(ctx, &chat.user_id, &user) {
        return Err(ApiError::unauthorized(E_PROHIBITED));
    }
    export_item(&chat).ok_or_else(|| ApiError::bad_request("Failed to process chat stats"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(history: Json) -> Chat {
        Chat {
            id: "c".into(),
            user_id: "u".into(),
            title: "t".into(),
            chat: json!({"history": history}),
            created_at: 1,
            updated_at: 2,
            share_id: None,
            archived: false,
            pinned: Some(false),
            meta: json!({"tags": ["x"]}),
            variables: json!({}),
            folder_id: None,
            tasks: Json::Null,
            summary: None,
            current_message_id: None,
            last_read_at: None,
        }
    }

    fn sample() -> Json {
        json!({"currentId": "b", "messages": {
            "a": {"id": "a", "role": "user", "content": "hi!", "timestamp": 10},
            "b": {"id": "b", "role": "assistant", "parentId": "a", "content": [{"type": "text", "text": "hey"}, {"type": "image"}], "model": "m", "timestamp": 13, "annotation": {"rating": 1}},
            "c": {"id": "c", "role": "assistant", "parentId": "a", "content": "alt", "model": "n", "timestamp": 20},
            "bad": {"content": "no role"}
        }})
    }

    #[test]
    fn usage_counts_branch_and_history() {
        let item = usage_item(&chat(sample())).ok().flatten().unwrap_or_default();
        assert_eq!(item["models"], json!({"m": 1}));
        assert_eq!(item["history_models"], json!({"m": 1, "n": 1}));
        assert_eq!((item["message_count"].clone(), item["history_message_count"].clone()), (json!(2), json!(4)));
        assert_eq!(item["average_response_time"], json!(6.5));
        assert_eq!(item["average_user_message_content_length"], json!(3.0));
        assert_eq!(item["average_assistant_message_content_length"], json!(2.5), "a list counts its items");
        assert_eq!((item["last_message_at"].clone(), item["tags"].clone()), (json!(13), json!(["x"])));
        let keys: Vec<&String> = item.as_object().map(|m| m.keys().collect()).unwrap_or_default();
        assert_eq!(keys.first().map(|k| k.as_str()), Some("id"));
        assert_eq!(keys.last().map(|k| k.as_str()), Some("created_at"));
        assert_eq!(usage_item(&chat(json!({"messages": {}, "currentId": "a"}))), Ok(None));
        assert_eq!(usage_item(&chat(json!([1]))), Err(()), "a history that is not a dict sinks the page");
        let mut no_stamp = sample();
        no_stamp["messages"]["b"]["timestamp"] = Json::Null;
        assert_eq!(usage_item(&chat(no_stamp)), Ok(None), "null minus a number raises: chat skipped");
    }

    #[test]
    fn export_drops_bad_messages_and_measures_text_parts() {
        let item = export_item(&chat(sample())).unwrap_or_default();
        let messages = item["chat"]["history"]["messages"].as_object().cloned().unwrap_or_default();
        assert_eq!(messages.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(
            messages["b"],
            json!({"id": "b", "role": "assistant", "model": "m", "content_length": 3, "token_count": null, "timestamp": 13, "rating": 1, "tags": null})
        );
        assert_eq!(item["stats"]["history_message_count"], 4);
        assert_eq!(item["stats"]["average_response_time"], json!(6.5));
        assert_eq!(item["chat"]["history"]["currentId"], "b");
        assert_eq!(export_item(&chat(json!({"messages": [], "currentId": null}))), None);
    }
}
