//! `GET /search` (spec §2.12, §4): filters in SQL, text through the FTS5 trigram indexes,
//! exact-phrase matches first, snippets cut from the matching message.

use super::list::page_clause;
use super::model::ChatTitleId;
use super::search_walk;
use crate::auth;
use crate::context::Ctx;
use crate::db::{DbError, Value};
use crate::error::{ApiError, ApiResult};
use crate::http::Request;
use crate::search::index::{MESSAGE_HITS, TITLE_HITS, indexable, phrase_query};
use crate::search::query::{self, SearchQuery, normalise_folder_name};
use crate::search::snippet;
use crate::tags::NOT_INTERNAL;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Page size of search results.
pub const PAGE_SIZE: i64 = 60;

/// The columns of a search result row.
const COLUMNS: &str = "id, title, updated_at, created_at, last_read_at, archived";

/// SQL that is true when the chat's title or one of its string messages contains the
/// needle bound to `?` (twice either way).
///
/// An indexable needle becomes the set of matching chat ids, computed once from the two FTS
/// indexes (`chat.id IN (...)`), so the planner can walk the user's chats newest first and
/// stop at the page end instead of testing every chat of the user (reading each row's
/// `meta`, which lies past the large `chat` column, is the expensive part of a scan).
fn contains_clause(needle: &str, params: &mut Vec<Value>) -> String {
    if indexable(needle) {
        let fts = phrase_query(needle);
        params.push(fts.clone().into());
        params.push(fts.into());
        format!(
            "chat.id IN (SELECT m.chat_id FROM chat_message m WHERE m.rowid IN ({MESSAGE_HITS}) \
             UNION SELECT t.id FROM chat t WHERE t.rowid IN ({TITLE_HITS}))"
        )
    } else {
        // Too short for trigrams: a scan of this user's candidate chats, still literal.
        let pattern = format!("%{}%", escape_like(needle));
        params.push(pattern.clone().into());
        params.push(pattern.into());
        "(chat.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM chat_message m WHERE m.chat_id = chat.id \
           AND json_valid(m.content) AND json_type(m.content) = 'text' \
           AND json_extract(m.content, '$') LIKE ? ESCAPE '\\'))"
            .into()
    }
}

/// Escapes `%`, `_` and `\` so user text is matched literally.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Folder ids named by `folder:` filters, with all their descendants (user's folders only).
async fn folder_ids(ctx: &Ctx<'_>, user_id: &str, names: &[String]) -> Result<Vec<String>, DbError> {
    let wanted: HashSet<String> = names.iter().map(|name| normalise_folder_name(name)).collect();
    let rows = ctx.db.query("SELECT id, parent_id, name FROM folder WHERE user_id = ?", &[user_id.into()]).await?;
    let mut selected: Vec<String> = rows
        .iter()
        .filter(|row| wanted.contains(&normalise_folder_name(&row.text(2))))
        .map(|row| row.text(0))
        .collect();
    let mut index = 0;
    while index < selected.len() {
        let parent = selected[index].clone();
        for row in &rows {
            let id = row.text(0);
            if row.opt_text(1).as_deref() == Some(parent.as_str()) && !selected.contains(&id) {
                selected.push(id);
            }
        }
        index += 1;
    }
    Ok(selected)
}

/// `GET /api/v1/chats/search?text=...&page=...`.
pub async fn search(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Vec<ChatTitleId>> {
    let user = auth::verified_user(ctx, request).await?;
    let text = request.query_str("text").ok_or_else(|| {
        ApiError::validation(vec![json!({"type": "missing", "loc": ["query", "text"], "msg": "Field required", "input": null})])
    })?;
    let page = request.query_int("page")?.unwrap_or(1);
    // Open WebUI answers 500 for empty text; this is a validation error.
    let query = query::parse(&text).ok_or_else(|| {
        ApiError::validation(vec![json!({
            "type": "string_too_short",
            "loc": ["query", "text"],
            "msg": "String should have at least 1 character",
            "input": text,
            "ctx": {"min_length": 1},
        })])
    })?;
    // The user's candidate chats: the filters, without the text.
    let mut params: Vec<Value> = vec![user.id.as_str().into()];
    let mut filters = format!("user_id = ? AND {NOT_INTERNAL}");
    match query.archived {
        Some(archived) => filters.push_str(if archived { " AND archived = 1" } else { " AND archived = 0" }),
        None => filters.push_str(" AND archived = 0"),
    }
    if let Some(pinned) = query.pinned {
        filters.push_str(if pinned { " AND pinned = 1" } else { " AND pinned = 0" });
    }
    if let Some(shared) = query.shared {
        filters.push_str(if shared { " AND share_id IS NOT NULL" } else { " AND share_id IS NULL" });
    }
    if !query.folders.is_empty() {
        let ids = folder_ids(ctx, &user.id, &query.folders).await?;
        filters.push_str(&format!(" AND folder_id IN ({})", vec!["?"; ids.len()].join(",")));
        params.extend(ids.into_iter().map(Value::from));
    }
    if query.untagged {
        filters.push_str(" AND NOT EXISTS (SELECT 1 FROM json_each(chat.meta, '$.tags'))");
    } else {
        for tag in &query.tags {
            filters.push_str(" AND EXISTS (SELECT 1 FROM json_each(chat.meta, '$.tags') t WHERE t.value = ?)");
            params.push(tag.as_str().into());
        }
    }
    let offset = u64::try_from(page.saturating_sub(1).saturating_mul(PAGE_SIZE)).unwrap_or(0);
    let one_needle = !query.phrase.is_empty() && query.terms.is_empty() && indexable(&query.phrase);
    let walked = match one_needle {
        true => search_walk::page_by_walking(ctx, COLUMNS, &filters, &params, &query.phrase, offset, PAGE_SIZE as u64).await?,
        false => None,
    };
    let rows = match walked {
        Some(rows) => rows,
        None => {
            let mut sql = format!("SELECT {COLUMNS} FROM chat WHERE {filters}");
            let mut order_params = Vec::new();
            let order = if query.phrase.is_empty() {
                "updated_at DESC, id".to_owned()
            } else {
                let exact = contains_clause(&query.phrase, &mut params);
                if query.terms.is_empty() {
                    // One word: every match is exact, so the order is the plain one (and needs no sort).
                    sql.push_str(&format!(" AND {exact}"));
                    "updated_at DESC, id".to_owned()
                } else {
                    let all_terms: Vec<String> = query.terms.iter().map(|term| contains_clause(term, &mut params)).collect();
                    sql.push_str(&format!(" AND ({exact} OR ({}))", all_terms.join(" AND ")));
                    let exact_again = contains_clause(&query.phrase, &mut order_params);
                    format!("CASE WHEN {exact_again} THEN 0 ELSE 1 END, updated_at DESC, id")
                }
            };
            params.extend(order_params);
            sql.push_str(&format!(" ORDER BY {order}{}", page_clause(Some(page), PAGE_SIZE)));
            ctx.db.query(&sql, &params).await?
        }
    };
    let needles = needles(&query);
    let mut results: Vec<ChatTitleId> = rows
        .iter()
        .map(|row| {
            let mut item = ChatTitleId::from_row(row);
            item.archived = row.bool(5);
            item
        })
        .collect();
    let ids: Vec<&str> = results.iter().map(|item| item.id.as_str()).collect();
    let mut snippets = page_snippets(ctx, &ids, &needles).await?;
    for item in &mut results {
        item.snippet = snippets.remove(&item.id);
    }
    Ok(results)
}

/// `[phrase, *terms(phrase)]` without duplicates, as `chat_search_snippet` builds them.
fn needles(query: &SearchQuery) -> Vec<String> {
    if query.phrase.is_empty() {
        return Vec::new();
    }
    let mut needles = vec![query.phrase.clone()];
    for term in query::terms_of(&query.phrase) {
        if !needles.contains(&term) {
            needles.push(term);
        }
    }
    needles
}

/// The snippets of a page's chats, by chat id: each chat's string message contents in stored
/// order (`ix_chat_message_chat_id` yields chat id, then rowid), first needle first. One
/// query for the whole page (a query per chat cost a host call each); the needles are
/// looked for in Rust.
async fn page_snippets(
    ctx: &Ctx<'_>,
    chat_ids: &[&str],
    needles: &[String],
) -> Result<HashMap<String, String>, DbError> {
    if needles.is_empty() || chat_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT m.chat_id, json_extract(m.content, '$') FROM chat_message m WHERE m.chat_id IN ({}) \
         AND json_valid(m.content) AND json_type(m.content) = 'text' ORDER BY m.chat_id, m.rowid",
        vec!["?"; chat_ids.len()].join(",")
    );
    let params: Vec<Value> = chat_ids.iter().map(|id| Value::from(*id)).collect();
    let rows = ctx.db.query(&sql, &params).await?;
    let mut contents: HashMap<String, Vec<String>> = HashMap::new();
    for row in &rows {
        contents.entry(row.text(0)).or_default().push(row.text(1));
    }
    Ok(contents
        .into_iter()
        .filter_map(|(chat_id, texts)| {
            snippet::first(needles, texts.iter().map(String::as_str)).map(|snippet| (chat_id, snippet))
        })
        .collect())
}
