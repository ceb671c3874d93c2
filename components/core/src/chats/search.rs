//! `GET /search` (spec §2.12, §4): filters in SQL, text through the FTS5 trigram indexes,
//! exact-phrase matches first, snippets cut from the matching message.

use super::model::ChatTitleId;
use super::search_walk::{self, Walk};
use crate::auth;
use crate::context::Ctx;
use crate::db::{DbError, Row, Value};
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
    let rows = page_rows(ctx, &query, &filters, &params, offset).await?;
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

/// The rows of the page starting at result `offset`, in Open WebUI's order: chats containing
/// the whole phrase first, then chats containing every term of it, each newest first.
///
/// The two groups are queried apart, so each can stop at the page end: the phrase's page
/// (walked or from its set, [`needle_page`]) is often full by itself, and the terms are only
/// asked for the rest. One query ordering both groups at once had to sort every match
/// (45 ms at 100,000 chats).
async fn page_rows(ctx: &Ctx<'_>, query: &SearchQuery, filters: &str, params: &[Value], offset: u64) -> Result<Vec<Row>, DbError> {
    let page_size = PAGE_SIZE as u64;
    if query.phrase.is_empty() {
        return ctx.db.query(&select_page(filters, page_size, offset), params).await;
    }
    let phrase_page = needle_page(ctx, filters, params, &query.phrase, offset, page_size).await?;
    let found_nowhere = phrase_page.is_none();
    let mut rows = phrase_page.unwrap_or_default();
    let found = u64::try_from(rows.len()).unwrap_or(page_size);
    if query.terms.is_empty() || found >= page_size {
        return Ok(rows);
    }
    // The phrase's matches end before this page does: how many there are in all, then the
    // chats with every term but not the phrase, from where the phrase's matches stop.
    let phrase_total = if found_nowhere {
        0
    } else if found > 0 || offset == 0 {
        offset + found
    } else {
        let mut count_params = params.to_vec();
        let exact = contains_clause(&query.phrase, &mut count_params);
        let counted = ctx.db.query(&format!("SELECT count(*) FROM chat WHERE {filters} AND {exact}"), &count_params).await?;
        counted.first().map_or(0, |row| u64::try_from(row.int(0)).unwrap_or(0))
    };
    let mut rest_params = params.to_vec();
    let all_terms: Vec<String> = query.terms.iter().map(|term| contains_clause(term, &mut rest_params)).collect();
    let mut rest = format!("{filters} AND {}", all_terms.join(" AND "));
    if !found_nowhere {
        // `coalesce`: a LIKE on a NULL title is NULL, which is "not the phrase", not "unknown".
        rest.push_str(&format!(" AND NOT coalesce({}, 0)", contains_clause(&query.phrase, &mut rest_params)));
    }
    let sql = select_page(&rest, page_size - found, offset.saturating_sub(phrase_total));
    rows.extend(ctx.db.query(&sql, &rest_params).await?);
    Ok(rows)
}

/// The candidate chats containing `needle`, newest first, `limit` of them from `offset`:
/// by walking when the needle is common ([`search_walk`]), else from its set of matches.
/// `None` when no message or title contains it at all.
async fn needle_page(
    ctx: &Ctx<'_>,
    filters: &str,
    params: &[Value],
    needle: &str,
    offset: u64,
    limit: u64,
) -> Result<Option<Vec<Row>>, DbError> {
    if indexable(needle) {
        match search_walk::page_by_walking(ctx, COLUMNS, filters, params, needle, offset, limit).await? {
            Walk::Page(rows) => return Ok(Some(rows)),
            Walk::FoundNowhere => return Ok(None),
            Walk::UseSet => {}
        }
    }
    let mut set_params = params.to_vec();
    let contains = contains_clause(needle, &mut set_params);
    ctx.db.query(&select_page(&format!("{filters} AND {contains}"), limit, offset), &set_params).await.map(Some)
}

/// `SELECT` of the result columns of the chats matching `condition`, newest first, `limit`
/// of them from `offset`.
fn select_page(condition: &str, limit: u64, offset: u64) -> String {
    format!("SELECT {COLUMNS} FROM chat WHERE {condition} ORDER BY updated_at DESC, id LIMIT {limit} OFFSET {offset}")
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
