//! The `chat` row and its wire shapes: ChatResponse (fields in Open WebUI's order) and
//! ChatTitleIdResponse.

use crate::db::{Database, DbError, Row};
use crate::patches::{self, PENDING_JSON_SQL};
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

/// Every column a single-chat read needs, in [`Chat::from_row`] order.
pub const CHAT_COLUMNS: &str = "id, user_id, title, chat, created_at, updated_at, share_id, archived, pinned, \
     meta, variables, folder_id, tasks, summary, current_message_id, last_read_at";

/// Index of the pending-patches column appended to [`CHAT_COLUMNS`] by [`find_stored`].
const PENDING_COLUMN: usize = 16;

/// A full `chat` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Chat {
    /// Chat id (uuid4).
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Title column.
    pub title: String,
    /// The conversation JSON.
    pub chat: Json,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
    /// Current share token.
    pub share_id: Option<String>,
    /// Archived flag.
    pub archived: bool,
    /// Pinned flag (NULL on legacy rows).
    pub pinned: Option<bool>,
    /// Meta object (`tags`, `internal`, …).
    pub meta: Json,
    /// Chat variables (non-objects read as `{}`).
    pub variables: Json,
    /// Folder.
    pub folder_id: Option<String>,
    /// Task list.
    pub tasks: Json,
    /// Summary.
    pub summary: Option<String>,
    /// Derived current message id.
    pub current_message_id: Option<String>,
    /// Last read time (0 = marked unread).
    pub last_read_at: Option<i64>,
}

fn object_or_empty(value: Json) -> Json {
    if value.is_object() { value } else { Json::Object(Map::new()) }
}

impl Chat {
    /// Reads a row selected with [`CHAT_COLUMNS`].
    pub fn from_row(row: &Row) -> Self {
        Self { chat: object_or_empty(row.json(3)), ..Self::from_row_but_chat(row) }
    }

    /// The `chat` field for the column's stored text ([`find_unparsed`]), as
    /// [`Chat::from_row`] reads it: an object, else `{}`.
    pub fn parse_chat(text: Option<&str>) -> Json {
        object_or_empty(text.and_then(|text| serde_json::from_str(text).ok()).unwrap_or(Json::Null))
    }

    /// [`Chat::from_row`] without parsing the chat JSON (`chat` is left `null`).
    fn from_row_but_chat(row: &Row) -> Self {
        Self {
            id: row.text(0),
            user_id: row.text(1),
            title: row.text(2),
            chat: Json::Null,
            created_at: row.int(4),
            updated_at: row.int(5),
            share_id: row.opt_text(6),
            archived: row.bool(7),
            pinned: row.opt_bool(8),
            meta: object_or_empty(row.json(9)),
            variables: object_or_empty(row.json(10)),
            folder_id: row.opt_text(11),
            tasks: row.json(12),
            summary: row.opt_text(13),
            current_message_id: row.opt_text(14),
            last_read_at: row.opt_int(15),
        }
    }

    /// `meta.internal == true`: hidden from every list.
    pub fn is_internal(&self) -> bool {
        self.meta.get("internal") == Some(&Json::Bool(true))
    }

    /// The tag ids in `meta.tags` (strings only).
    pub fn tags(&self) -> Vec<String> {
        self.meta
            .get("tags")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|tag| tag.as_str().map(str::to_owned))
            .collect()
    }

    /// ChatResponse JSON, fields in FastAPI's order (spec §3.2). Takes the chat: its JSON
    /// (up to megabytes) moves into the answer instead of being copied.
    pub fn into_response(self) -> Json {
        self.into_response_with_usage(Json::Null)
    }

    /// ChatResponse JSON with a `context_usage` value.
    pub fn into_response_with_usage(self, context_usage: Json) -> Json {
        let mut response = Map::with_capacity(16);
        response.insert("id".into(), Json::String(self.id));
        response.insert("user_id".into(), Json::String(self.user_id));
        response.insert("title".into(), Json::String(self.title));
        response.insert("chat".into(), self.chat);
        response.insert("updated_at".into(), json!(self.updated_at));
        response.insert("created_at".into(), json!(self.created_at));
        response.insert("share_id".into(), json!(self.share_id));
        response.insert("archived".into(), Json::Bool(self.archived));
        response.insert("pinned".into(), json!(self.pinned));
        response.insert("meta".into(), self.meta);
        response.insert("variables".into(), self.variables);
        response.insert("folder_id".into(), json!(self.folder_id));
        response.insert("tasks".into(), if self.tasks.is_array() { self.tasks } else { Json::Null });
        response.insert("summary".into(), json!(self.summary));
        response.insert("current_message_id".into(), json!(self.current_message_id));
        response.insert("context_usage".into(), context_usage);
        Json::Object(response)
    }
}

/// ChatResponse ([`Chat::into_response`]) with the chat JSON passed through as the text it
/// was stored as, for an answer about a chat that was edited without parsing it
/// ([`crate::split_chat`]). Field order as FastAPI's (a test checks it against
/// [`Chat::into_response`]).
#[derive(Debug, Serialize)]
pub struct StoredChatResponse {
    id: String,
    user_id: String,
    title: String,
    chat: Box<serde_json::value::RawValue>,
    updated_at: i64,
    created_at: i64,
    share_id: Option<String>,
    archived: bool,
    pinned: Option<bool>,
    meta: Json,
    variables: Json,
    folder_id: Option<String>,
    tasks: Json,
    summary: Option<String>,
    current_message_id: Option<String>,
    context_usage: Json,
}

impl StoredChatResponse {
    /// The answer for `chat` (its `chat` field ignored) whose JSON is `text`.
    pub fn new(chat: Chat, text: Box<serde_json::value::RawValue>) -> Self {
        Self {
            chat: text,
            id: chat.id,
            user_id: chat.user_id,
            title: chat.title,
            updated_at: chat.updated_at,
            created_at: chat.created_at,
            share_id: chat.share_id,
            archived: chat.archived,
            pinned: chat.pinned,
            meta: chat.meta,
            variables: chat.variables,
            folder_id: chat.folder_id,
            tasks: if chat.tasks.is_array() { chat.tasks } else { Json::Null },
            summary: chat.summary,
            current_message_id: chat.current_message_id,
            context_usage: Json::Null,
        }
    }
}

/// A ChatResponse, parsed or with the chat JSON as stored text.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ChatAnswer {
    /// Built from a parsed chat ([`Chat::into_response`]).
    Parsed(Json),
    /// The chat JSON passed through as stored.
    Stored(StoredChatResponse),
}

/// A chat's row with its JSON still as stored text (`None` when the column does not hold
/// text), and its pending patches: for writes that edit the text ([`crate::split_chat`]).
pub async fn find_unparsed(db: &dyn Database, id: &str) -> Result<Option<(Chat, Option<String>, Vec<patches::Patch>)>, DbError> {
    let rows = db
        .query(&format!("SELECT {CHAT_COLUMNS}, {PENDING_JSON_SQL} FROM chat WHERE id = ?"), &[id.into()])
        .await?;
    Ok(rows.first().map(|row| {
        let text = row.json_text(3).map(str::to_owned);
        (Chat::from_row_but_chat(row), text, patches::from_json_array(&row.json(PENDING_COLUMN)))
    }))
}

/// Loads a chat by id (any owner), with read-time history repair applied.
pub async fn find(db: &dyn Database, id: &str) -> Result<Option<Chat>, DbError> {
    Ok(find_stored(db, id).await?.map(|mut chat| {
        crate::history::repair_current_id(&mut chat.chat);
        chat
    }))
}

/// Loads a chat row exactly as stored (no read-time repair): what Open WebUI's update
/// methods return after writing.
///
/// "As stored" includes the pending per-message patches ([`crate::patches`]), folded in
/// memory: the same statement fetches them, so a chat without any costs one primary-key
/// lookup plus one probe of the patch table's primary key.
pub async fn find_stored(db: &dyn Database, id: &str) -> Result<Option<Chat>, DbError> {
    let rows = db
        .query(&format!("SELECT {CHAT_COLUMNS}, {PENDING_JSON_SQL} FROM chat WHERE id = ?"), &[id.into()])
        .await?;
    Ok(rows.first().map(|row| {
        let mut chat = Chat::from_row(row);
        patches::fold(&mut chat.chat, &patches::from_json_array(&row.json(PENDING_COLUMN)));
        chat
    }))
}

/// For a full-chat write, inside the caller's transaction: the chat as stored with its
/// pending patches folded, which are deleted here. The caller must write `chat` back in the
/// same transaction (that write is the one blob rewrite that persists the fold).
pub async fn find_for_rewrite(db: &dyn Database, id: &str) -> Result<Option<Chat>, DbError> {
    let chat = find_stored(db, id).await?;
    if chat.is_some() {
        patches::clear(db, id).await?;
    }
    Ok(chat)
}

/// The owner of a chat, without reading its JSON (message writes check access with this).
pub async fn owner(db: &dyn Database, id: &str) -> Result<Option<String>, DbError> {
    let rows = db.query("SELECT user_id FROM chat WHERE id = ?", &[id.into()]).await?;
    Ok(rows.first().map(|row| row.text(0)))
}

/// A chat row read by a bulk query (export, lists of full chats), brought up to date: any
/// per-message writes not yet folded into the stored JSON are applied (no read-time repair,
/// as Open WebUI's bulk reads do none). Single-chat reads use [`find`].
pub async fn prepare(db: &dyn Database, mut chat: Chat) -> Result<Chat, DbError> {
    let pending = patches::pending_for(db, &[chat.id.as_str()]).await?;
    fold_own(&mut chat, &pending);
    Ok(chat)
}

/// Folds the patches of `pending` that belong to `chat`.
fn fold_own(chat: &mut Chat, pending: &[(String, patches::Patch)]) {
    let own: Vec<patches::Patch> =
        pending.iter().filter(|(chat_id, _)| *chat_id == chat.id).map(|(_, patch)| patch.clone()).collect();
    patches::fold(&mut chat.chat, &own);
}

/// [`prepare`] for a batch of rows: one query fetches the pending patches of all of them.
pub async fn prepare_all(db: &dyn Database, mut chats: Vec<Chat>) -> Result<Vec<Chat>, DbError> {
    let ids: Vec<&str> = chats.iter().map(|chat| chat.id.as_str()).collect();
    let pending = patches::pending_for(db, &ids).await?;
    if pending.is_empty() {
        return Ok(chats);
    }
    for chat in &mut chats {
        fold_own(chat, &pending);
    }
    Ok(chats)
}

/// Loads a chat only if `user_id` owns it.
pub async fn find_owned(db: &dyn Database, id: &str, user_id: &str) -> Result<Option<Chat>, DbError> {
    Ok(find(db, id).await?.filter(|chat| chat.user_id == user_id))
}

/// An item of every chat list (ChatTitleIdResponse).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatTitleId {
    /// Chat id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Epoch seconds.
    pub updated_at: i64,
    /// Epoch seconds.
    pub created_at: i64,
    /// Last read time, when the list selects it.
    pub last_read_at: Option<i64>,
    /// Search snippet.
    pub snippet: Option<String>,
    /// A response is streaming (never here: no task registry).
    pub active: bool,
    /// True only in search results.
    pub archived: bool,
}

/// The list columns, in [`ChatTitleId::from_row`] order.
pub const TITLE_ID_COLUMNS: &str = "id, title, updated_at, created_at, last_read_at";

impl ChatTitleId {
    /// Reads a row selected with [`TITLE_ID_COLUMNS`].
    pub fn from_row(row: &Row) -> Self {
        Self {
            id: row.text(0),
            title: row.text(1),
            updated_at: row.int(2),
            created_at: row.int(3),
            last_read_at: row.opt_int(4),
            snippet: None,
            active: false,
            archived: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_answer_is_the_parsed_answer() {
        let chat = Chat {
            id: "c".into(),
            user_id: "u".into(),
            title: "t".into(),
            chat: json!({"title": "t", "history": {"messages": {}}}),
            created_at: 1,
            updated_at: 2,
            share_id: Some("s".into()),
            archived: true,
            pinned: None,
            meta: json!({"tags": ["x"]}),
            variables: json!({}),
            folder_id: Some("f".into()),
            tasks: json!("not a list"),
            summary: None,
            current_message_id: Some("m".into()),
            last_read_at: Some(3),
        };
        let text = serde_json::value::to_raw_value(&chat.chat).unwrap_or_else(|e| panic!("{e}"));
        let stored = serde_json::to_string(&StoredChatResponse::new(chat.clone(), text)).unwrap_or_default();
        assert_eq!(stored, chat.into_response().to_string(), "same fields, same order");
    }
}
