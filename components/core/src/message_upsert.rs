//! Open WebUI's message upsert (`upsert_message_to_chat_by_id_and_message_id`, spec §3.6) at
//! O(size of the message).
//!
//! Open WebUI loads the whole chat JSON, merges the update into `history.messages[id]`,
//! rewrites the JSON and upserts the `chat_message` row. Here the existing message is read
//! from its `chat_message` row (every write of ours updates the row in the same transaction
//! as its patch, so the row already includes pending patches); only a message without a row
//! (legacy chats) is looked up inside the JSON, by SQLite, without shipping the chat here.
//! The write updates the row and then, by default (`message_patch_limit` 0), applies the
//! update to the chat JSON in the same `UPDATE` that moves `updated_at` and
//! `current_message_id`, so Open WebUI sharing the database reads it at once. With a
//! positive limit it records the update as a pending patch ([`crate::patches`]) instead and
//! touches only the `chat` columns that change: O(size of the message).
//!
//! Callers run [`load`] and [`apply`] inside one transaction.

use crate::chats::model::{self, Chat, ChatAnswer, StoredChatResponse};
use crate::context::Ctx;
use crate::db::{Database, DbError};
use crate::history;
use crate::messages;
use crate::patches::{self, Patch};
use crate::split_chat::SplitChat;
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

/// A message about to be written, with what the write needs to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Chat id.
    pub chat_id: String,
    /// Message id (NUL bytes removed, as Open WebUI does before writing).
    pub message_id: String,
    /// The chat's owner (author of rows created without one).
    pub owner: String,
    /// The message as it stands: its row, or for a row-less legacy message its JSON.
    pub existing: Option<Map<String, Json>>,
    /// `existing` comes from a `chat_message` row.
    pub has_row: bool,
    /// Open WebUI could write this chat's history: the JSON, its `history` and
    /// `history.messages` are objects or absent. (Open WebUI's upsert fails otherwise.)
    pub writable: bool,
}

impl Target {
    /// Does the message exist (row or JSON)?
    pub fn exists(&self) -> bool {
        self.existing.is_some()
    }

    /// A field of the existing message.
    pub fn field(&self, key: &str) -> Option<&Json> {
        self.existing.as_ref().and_then(|message| message.get(key))
    }
}

/// Reads the target of a write; `None` when the chat does not exist.
pub async fn load(db: &dyn Database, chat_id: &str, message_id: &str) -> Result<Option<Target>, DbError> {
    let message_id = history::strip_nul_str(message_id);
    let Some(owner) = crate::chats::model::owner(db, chat_id).await? else { return Ok(None) };
    if let Some(row) = crate::message_map::one_from_row(db, chat_id, &message_id).await? {
        return Ok(Some(Target { chat_id: chat_id.into(), message_id, owner, existing: Some(row), has_row: true, writable: true }));
    }
    // No row: a legacy message may live only in the JSON. SQLite reads it there (json_each
    // matches any key, even one a JSON path could not quote); the JSON stays in the database.
    let rows = db
        .query(
            "SELECT COALESCE(json_type(chat), 'object') = 'object' \
                      AND COALESCE(json_type(chat, '$.history'), 'object') = 'object' \
                      AND COALESCE(json_type(chat, '$.history.messages'), 'object') = 'object', \
                    (SELECT value FROM json_each(chat.chat, '$.history.messages') WHERE key = ? AND type = 'object') \
             FROM chat WHERE id = ? AND (chat IS NULL OR json_valid(chat))",
            &[message_id.as_str().into(), chat_id.into()],
        )
        .await?;
    let (writable, existing) = match rows.first() {
        Some(row) => (row.bool(0), row.json(1).as_object().cloned()),
        None => (false, None),
    };
    Ok(Some(Target { chat_id: chat_id.into(), message_id, owner, existing, has_row: false, writable }))
}

/// For a new message: the message whose `childrenIds` lists it already (Open WebUI's
/// fallback parent), with that parent's role.
async fn orphan_parent(db: &dyn Database, target: &Target) -> Result<(Option<String>, Option<String>), DbError> {
    let rows = db
        .query(
            "SELECT e.key, json_extract(e.value, '$.role') FROM chat, json_each(chat.chat, '$.history.messages') e \
             WHERE chat.id = ? AND json_valid(chat.chat) AND e.type = 'object' \
               AND json_type(e.value, '$.childrenIds') = 'array' \
               AND EXISTS (SELECT 1 FROM json_each(e.value, '$.childrenIds') c WHERE c.value = ?) \
             LIMIT 1",
            &[target.chat_id.as_str().into(), target.message_id.as_str().into()],
        )
        .await?;
    Ok(rows.first().map_or((None, None), |row| (row.opt_text(0), row.opt_text(1))))
}

/// What [`apply`] did.
#[derive(Debug)]
pub enum Applied {
    /// Open WebUI's upsert would have failed on this chat's JSON: nothing was written.
    Refused,
    /// Written. With the update applied to the chat JSON at once, the chat as now stored
    /// (no read-time repair); `None` when it is pending as a patch.
    Written(Option<AsStored>),
}

/// A chat as a write stored it.
#[derive(Debug)]
pub enum AsStored {
    /// Parsed (the write parsed the whole chat JSON).
    Parsed(Chat),
    /// The row, `chat` left `null`, and the JSON text stored: the write edited the text
    /// ([`SplitChat`]) and nothing needs it parsed.
    Text(Chat, Box<RawValue>),
}

impl AsStored {
    /// The answer Open WebUI gives after the write: the chat as stored.
    pub fn into_answer(self) -> ChatAnswer {
        match self {
            Self::Parsed(chat) => ChatAnswer::Parsed(chat.into_response()),
            Self::Text(chat, text) => ChatAnswer::Stored(StoredChatResponse::new(chat, text)),
        }
    }
}

/// Applies `update` to the message as Open WebUI's upsert would: merged into an existing
/// message (with the `meta` rule), or a new message that becomes `history.currentId`.
/// `touch` bumps `updated_at`.
pub async fn apply(ctx: &Ctx<'_>, target: &Target, update: Map<String, Json>, touch: bool) -> Result<Applied, DbError> {
    if !target.writable {
        return Ok(Applied::Refused);
    }
    let mut update = Json::Object(update);
    history::strip_nul(&mut update);
    let Json::Object(mut update) = update else { return Ok(Applied::Refused) };
    let (chat_id, message_id) = (target.chat_id.as_str(), target.message_id.as_str());
    let author = |message: &Map<String, Json>| {
        message.get("user_id").and_then(Json::as_str).filter(|id| !id.is_empty()).unwrap_or(&target.owner).to_owned()
    };
    let is_new = !target.exists();
    let recorded = match &target.existing {
        Some(existing) => {
            if let Some(meta) = history::merged_meta(existing.get("meta"), update.get("meta")) {
                update.insert("meta".into(), meta);
            }
            // A row takes the changed columns; a legacy message gets its first row, whole.
            let mut row_message = if target.has_row { Map::new() } else { existing.clone() };
            patches::shallow_merge(&mut row_message, &update);
            let user = author(&row_message);
            messages::upsert(ctx.db, chat_id, message_id, &user, &Json::Object(row_message), ctx.now).await?;
            update
        }
        None => {
            let (parent, parent_role) = orphan_parent(ctx.db, target).await?;
            let message = history::new_message(message_id, &update, parent.as_deref(), parent_role.as_deref(), ctx.now);
            let message_json = Json::Object(message.clone());
            messages::upsert(ctx.db, chat_id, message_id, &author(&message), &message_json, ctx.now).await?;
            message
        }
    };
    if ctx.settings.message_patch_limit <= 0 {
        return Ok(Applied::Written(write_through(ctx, target, recorded, is_new, touch).await?));
    }
    let pending = patches::record(ctx.db, chat_id, message_id, &recorded, is_new).await?;
    match (touch, is_new) {
        (true, true) => {
            ctx.db
                .execute(
                    "UPDATE chat SET updated_at = ?, current_message_id = ? WHERE id = ?",
                    &[ctx.now.into(), message_id.into(), chat_id.into()],
                )
                .await?
        }
        (true, false) => ctx.db.execute("UPDATE chat SET updated_at = ? WHERE id = ?", &[ctx.now.into(), chat_id.into()]).await?,
        (false, true) => {
            ctx.db
                .execute("UPDATE chat SET current_message_id = ? WHERE id = ?", &[message_id.into(), chat_id.into()])
                .await?
        }
        (false, false) => 0,
    };
    if pending > ctx.settings.message_patch_limit {
        patches::persist(ctx.db, chat_id).await?;
    }
    Ok(Applied::Written(None))
}

/// The default write (`message_patch_limit` 0), as Open WebUI's upsert does it: any patches
/// still pending from a time the limit was higher are folded, the history's `currentId` is
/// repaired, `recorded` is written into the history, and the JSON is stored with the
/// `title` and `current_message_id` it implies and `updated_at` (when `touch`) in one
/// `UPDATE`. Returns the chat as stored, so the caller need not read it again.
///
/// When nothing is pending and the repair has nothing to do (the usual case), the stored
/// text is edited without parsing the messages the write does not touch ([`SplitChat`]).
async fn write_through(
    ctx: &Ctx<'_>,
    target: &Target,
    recorded: Map<String, Json>,
    is_new: bool,
    touch: bool,
) -> Result<Option<AsStored>, DbError> {
    let update = Patch { message_id: target.message_id.clone(), patch: recorded, is_new, seq: 0 };
    let Some((mut chat, text, pending)) = model::find_unparsed(ctx.db, &target.chat_id).await? else { return Ok(None) };
    let edited = if pending.is_empty() { edit_as_text(text.as_deref(), &update) } else { None };
    if let Some(EditedText { text: edited, current_message_id, title }) = edited {
        drop(text);
        if touch {
            chat.updated_at = ctx.now;
        }
        chat.current_message_id = current_message_id;
        store(ctx, &mut chat, edited.get(), title).await?;
        return Ok(Some(AsStored::Text(chat, edited)));
    }
    chat.chat = Chat::parse_chat(text.as_deref());
    patches::fold(&mut chat.chat, &pending);
    history::repair_current_id(&mut chat.chat);
    patches::fold(&mut chat.chat, std::slice::from_ref(&update));
    if touch {
        chat.updated_at = ctx.now;
    }
    chat.current_message_id = history::current_message_id(&chat.chat);
    let title = history::stored_title(&chat.chat);
    let text = chat.chat.to_string();
    store(ctx, &mut chat, &text, title).await?;
    if !pending.is_empty() {
        patches::clear(ctx.db, &target.chat_id).await?;
    }
    Ok(Some(AsStored::Parsed(chat)))
}

/// A chat's JSON edited as text ([`SplitChat`]), with what the `chat` row's other columns
/// take from it.
struct EditedText {
    text: Box<RawValue>,
    current_message_id: Option<String>,
    title: String,
}

/// `update` applied to the stored `text` without parsing the messages it does not touch;
/// `None` when the text needs the full parse (a `currentId` repair, or it does not split).
/// The split parts are gone once this returns, and the caller drops the text as read, so the
/// `UPDATE` of a big chat does not keep them alive too (each Wasm instance keeps its memory's
/// high-water mark; docs/performance.md, session 7).
fn edit_as_text(text: Option<&str>, update: &Patch) -> Option<EditedText> {
    let mut split = SplitChat::parse(text?)?;
    if split.needs_no_repair() != Some(true) {
        return None;
    }
    split.apply(update)?;
    let edited = RawValue::from_string(split.to_text()?).ok()?;
    Some(EditedText { text: edited, current_message_id: split.current_message_id(), title: split.stored_title() })
}

/// Writes a chat's JSON `text`, `updated_at`, `current_message_id` and, when it changed,
/// `title` (an unchanged title is not written: that would re-index it for search).
async fn store(ctx: &Ctx<'_>, chat: &mut Chat, text: &str, title: String) -> Result<(), DbError> {
    let params = [text.into(), chat.updated_at.into(), chat.current_message_id.clone().into(), chat.id.as_str().into()];
    if title == chat.title {
        ctx.db.execute("UPDATE chat SET chat = ?, updated_at = ?, current_message_id = ? WHERE id = ?", &params).await?;
        return Ok(());
    }
    chat.title = title;
    let [json, updated_at, current, id] = params;
    ctx.db
        .execute(
            "UPDATE chat SET chat = ?, updated_at = ?, current_message_id = ?, title = ? WHERE id = ?",
            &[json, updated_at, current, chat.title.as_str().into(), id],
        )
        .await?;
    Ok(())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::db::LibsqlDatabase;
    use crate::settings::Settings;
    use serde_json::json;

    async fn setup(blob: Json) -> LibsqlDatabase {
        let db = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        crate::schema::ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        db.execute(
            "INSERT INTO chat (id, user_id, title, chat, meta, updated_at, current_message_id) VALUES ('c', 'owner', 't', ?, '{}', 1, 'a')",
            &[(&blob).into()],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        db
    }

    fn object(value: Json) -> Map<String, Json> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[tokio::test]
    async fn legacy_message_gets_a_row_and_a_patch_blob_untouched() {
        let blob = json!({"history": {"currentId": "a", "messages": {
            "a": {"id": "a", "role": "user", "content": "hi", "parentId": null, "childrenIds": ["n"], "meta": {"voice": 1, "x": 2}}
        }}});
        let db = setup(blob.clone()).await;
        let settings = Settings { message_patch_limit: 64, ..Settings::default() };
        let ctx = Ctx { now: 100, ..Ctx::new(&db, &settings) };
        let target = load(&db, "c", "a").await.ok().flatten().unwrap_or_else(|| panic!("chat"));
        assert!(!target.has_row && target.exists() && target.writable);
        assert_eq!(apply(&ctx, &target, object(json!({"meta": {"y": 3}})), false).await.map(|applied| matches!(applied, Applied::Written(_))), Ok(true));
        let row = crate::message_map::one_from_row(&db, "c", "a").await.ok().flatten().unwrap_or_default();
        assert_eq!((row["role"].clone(), row["content"].clone(), row["meta"].clone()), (json!("user"), json!("hi"), json!({"voice": 1, "y": 3})));

        // A new message listed in a's childrenIds gets a as parent and the inverse role.
        let target = load(&db, "c", "n").await.ok().flatten().unwrap_or_else(|| panic!("chat"));
        assert!(!target.exists());
        assert_eq!(apply(&ctx, &target, object(json!({"content": "x"})), true).await.map(|applied| matches!(applied, Applied::Written(_))), Ok(true));
        let rows = db.query("SELECT chat, updated_at, current_message_id FROM chat", &[]).await.unwrap_or_default();
        assert_eq!(rows[0].json(0), blob, "the blob is not rewritten");
        assert_eq!((rows[0].int(1), rows[0].text(2)), (100, "n".to_owned()));
        let n = crate::message_map::one_from_row(&db, "c", "n").await.ok().flatten().unwrap_or_default();
        assert_eq!((n["parentId"].clone(), n["role"].clone(), n["timestamp"].clone()), (json!("a"), json!("assistant"), json!(100)));

        let chat = crate::chats::model::find(&db, "c").await.ok().flatten().map(|chat| chat.chat).unwrap_or_default();
        assert_eq!(chat["history"]["currentId"], "n");
        assert_eq!(chat["history"]["messages"]["a"]["meta"], json!({"voice": 1, "y": 3}));
        assert_eq!(chat["history"]["messages"]["n"], json!({"content": "x", "id": "n", "parentId": "a", "childrenIds": [], "role": "assistant", "timestamp": 100}));
    }

    #[tokio::test]
    async fn unwritable_histories_and_missing_chats() {
        let db = setup(json!({"history": {"messages": ["not", "a", "map"]}})).await;
        let settings = Settings::default();
        let ctx = Ctx { now: 100, ..Ctx::new(&db, &settings) };
        let target = load(&db, "c", "m").await.ok().flatten().unwrap_or_else(|| panic!("chat"));
        assert!(!target.writable);
        assert_eq!(apply(&ctx, &target, object(json!({"content": "x"})), true).await.map(|applied| matches!(applied, Applied::Written(_))), Ok(false));
        assert_eq!(load(&db, "missing", "m").await, Ok(None));
    }

    #[tokio::test]
    async fn by_default_every_message_write_keeps_the_stored_blob_current() {
        let db = setup(json!({"history": {"currentId": "a", "messages": {"a": {"id": "a", "content": "old"}}}})).await;
        let settings = Settings::default();
        let ctx = Ctx { now: 100, ..Ctx::new(&db, &settings) };
        for (message, update) in [("a", json!({"content": "edited"})), ("n", json!({"content": "new", "parentId": "a"}))] {
            let target = load(&db, "c", message).await.ok().flatten().unwrap_or_else(|| panic!("chat"));
            assert_eq!(apply(&ctx, &target, object(update), true).await.map(|applied| matches!(applied, Applied::Written(_))), Ok(true));
        }
        let left = db.query("SELECT COUNT(*) FROM chatsvc_message_patch", &[]).await.unwrap_or_default();
        assert_eq!(left[0].int(0), 0, "no patch left pending");
        // What Open WebUI's backend reads: the raw column.
        let rows = db.query("SELECT chat FROM chat", &[]).await.unwrap_or_default();
        let stored = rows[0].json(0);
        assert_eq!(stored["history"]["messages"]["a"]["content"], "edited");
        assert_eq!(stored["history"]["messages"]["n"]["content"], "new");
        assert_eq!(stored["history"]["messages"]["a"]["childrenIds"], json!(["n"]));
        assert_eq!(stored["history"]["currentId"], "n");
    }

    #[tokio::test]
    async fn writing_through_answers_the_chat_as_stored_and_folds_patches_left_pending() {
        let db = setup(json!({"history": {"currentId": "a", "messages": {"a": {"id": "a", "content": "old"}}}})).await;
        let patching = Settings { message_patch_limit: 64, ..Settings::default() };
        let ctx = Ctx { now: 100, ..Ctx::new(&db, &patching) };
        let target = load(&db, "c", "a").await.ok().flatten().unwrap_or_else(|| panic!("chat"));
        assert!(matches!(apply(&ctx, &target, object(json!({"content": "pending"})), true).await, Ok(Applied::Written(None))));
        // The limit is back to 0: the next write folds the pending patch with its own.
        let settings = Settings::default();
        let ctx = Ctx { now: 200, ..Ctx::new(&db, &settings) };
        let target = load(&db, "c", "n").await.ok().flatten().unwrap_or_else(|| panic!("chat"));
        let Ok(Applied::Written(Some(AsStored::Parsed(answered)))) =
            apply(&ctx, &target, object(json!({"content": "new", "parentId": "a"})), false).await
        else {
            panic!("with a patch pending, the write parses the chat and answers it");
        };
        let stored = crate::chats::model::find_stored(&db, "c").await.ok().flatten().unwrap_or_else(|| panic!("chat"));
        assert_eq!(answered, stored, "the answer is what a read finds");
        assert_eq!(stored.chat["history"]["messages"]["a"]["content"], "pending");
        assert_eq!(stored.chat["history"]["currentId"], "n");
        assert_eq!((stored.updated_at, stored.current_message_id.as_deref()), (100, Some("n")), "untouched: updated_at stays");
        let left = db.query("SELECT COUNT(*) FROM chatsvc_message_patch", &[]).await.unwrap_or_default();
        assert_eq!(left[0].int(0), 0, "no patch left pending");
    }

    #[tokio::test]
    async fn a_consistent_chat_is_edited_as_text_and_stored_as_the_full_parse_would() {
        let blob = json!({"title": "t", "history": {"currentId": "b", "messages": {
            "a": {"id": "a", "parentId": null, "childrenIds": ["b"], "role": "user", "content": "q", "timestamp": 1},
            "b": {"id": "b", "parentId": "a", "childrenIds": [], "role": "assistant", "content": "r", "timestamp": 2}
        }}, "messages": []});
        let settings = Settings::default();
        for (message, update) in [("b", json!({"content": "edited"})), ("c", json!({"content": "new", "parentId": "b"}))] {
            let text_db = setup(blob.clone()).await;
            let ctx = Ctx { now: 100, ..Ctx::new(&text_db, &settings) };
            let target = load(&text_db, "c", message).await.ok().flatten().unwrap_or_else(|| panic!("chat"));
            let Ok(Applied::Written(Some(AsStored::Text(row, text)))) = apply(&ctx, &target, object(update.clone()), true).await else {
                panic!("{message}: a consistent chat is edited as text");
            };
            // The reference: the same write through the full parse (a patch made it take that path).
            let parsed_db = setup(blob.clone()).await;
            parsed_db
                .execute("INSERT INTO chatsvc_message_patch (chat_id, message_id, patch, is_new, seq) VALUES ('c', 'a', '{}', 0, 1)", &[])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let ctx = Ctx { now: 100, ..Ctx::new(&parsed_db, &settings) };
            let target = load(&parsed_db, "c", message).await.ok().flatten().unwrap_or_else(|| panic!("chat"));
            let Ok(Applied::Written(Some(AsStored::Parsed(reference)))) = apply(&ctx, &target, object(update), true).await else {
                panic!("{message}: with a patch pending the full parse runs");
            };
            let stored = crate::chats::model::find_stored(&text_db, "c").await.ok().flatten().unwrap_or_else(|| panic!("chat"));
            assert_eq!(stored, reference, "{message}: the same row either way");
            let answered: Json = serde_json::from_str(text.get()).unwrap_or_default();
            assert_eq!(answered, reference.chat, "{message}: the answer is what was stored");
            assert_eq!((row.updated_at, row.current_message_id.clone()), (100, reference.current_message_id.clone()));
        }
    }

    #[tokio::test]
    async fn more_than_the_limit_of_patches_fold_into_the_blob() {
        let db = setup(json!({"history": {"currentId": null, "messages": {}}})).await;
        let settings = Settings { message_patch_limit: 64, ..Settings::default() };
        let ctx = Ctx { now: 100, ..Ctx::new(&db, &settings) };
        for index in 0..=64 {
            let target = load(&db, "c", &format!("m{index}")).await.ok().flatten().unwrap_or_else(|| panic!("chat"));
            assert_eq!(apply(&ctx, &target, object(json!({"content": index})), false).await.map(|applied| matches!(applied, Applied::Written(_))), Ok(true));
        }
        let left = db.query("SELECT COUNT(*) FROM chatsvc_message_patch", &[]).await.unwrap_or_default();
        assert_eq!(left[0].int(0), 0, "the 65th patch triggered the fold");
        let rows = db.query("SELECT chat FROM chat", &[]).await.unwrap_or_default();
        let stored = rows[0].json(0);
        assert_eq!(stored["history"]["messages"].as_object().map(Map::len), Some(65));
        assert_eq!(stored["history"]["currentId"], "m64");
    }
}
