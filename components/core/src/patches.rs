//! Pending per-message patches: how a message write stays O(size of the message).
//!
//! Open WebUI keeps every message twice: in its `chat_message` row and inside the chat JSON
//! blob (`chat.chat.history.messages`), and its message upsert rewrites the whole blob. We
//! write the row (authoritative for the message map, as in Open WebUI) and, instead of
//! rewriting the blob, record in `chatsvc_message_patch` the shallow-merge update Open WebUI
//! would have applied to `history.messages[id]` (`{**existing, **update}`). Successive
//! writes to the same message accumulate into one patch with the same merge, keeping the
//! sequence number of the first one, so the fold replays creations in their original order.
//! A patch for a message that did not exist holds the whole new message (`is_new`); folding
//! it links the message into its parent's `childrenIds` and makes it `history.currentId`,
//! exactly as Open WebUI's `upsert_message_to_history` does.
//!
//! Every read of the blob ([`crate::chats::model`]) folds the pending patches in memory.
//! A full-chat write folds and persists (one blob rewrite, patches deleted, same
//! transaction); so does a message write that leaves more pending patches than the
//! `message_patch_limit` setting ([`crate::settings::Settings::message_patch_limit`]), which
//! bounds the cost of reads. That limit is 0 unless configured: Open WebUI's backend reads
//! only the blob, so beside it every message write must keep the blob current.

use crate::db::{Database, DbError, Row};
use crate::history;
use serde_json::{Map, Value as Json, json};

/// One pending patch of one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// The message key in `history.messages`.
    pub message_id: String,
    /// The accumulated update (or, when `is_new`, the whole new message).
    pub patch: Map<String, Json>,
    /// The message did not exist when the first write of this patch happened.
    pub is_new: bool,
    /// Replay order (creation order of the patch).
    pub seq: i64,
}

/// Python's `{**target, **update}` on a message map, in place (keys of `target` keep their
/// position, new keys are appended).
pub fn shallow_merge(target: &mut Map<String, Json>, update: &Map<String, Json>) {
    for (key, value) in update {
        target.insert(key.clone(), value.clone());
    }
}

/// Applies `patches` (in `seq` order) to a chat JSON blob, as the sequence of Open WebUI
/// message upserts they stand for would have. A blob that is not an object, or a
/// `history`/`messages` that is missing, is created; a `history` or `messages` of another
/// type is left alone (writes refuse such chats, so no patch targets them).
pub fn fold(chat: &mut Json, patches: &[Patch]) {
    if patches.is_empty() {
        return;
    }
    if !chat.is_object() {
        *chat = json!({});
    }
    let Json::Object(root) = chat else { return };
    let history = root.entry("history").or_insert_with(|| json!({}));
    let Json::Object(history) = history else { return };
    if !history.get("messages").is_some_and(Json::is_object) {
        if history.contains_key("messages") {
            return;
        }
        history.insert("messages".into(), json!({}));
    }
    let mut ordered: Vec<&Patch> = patches.iter().collect();
    ordered.sort_by_key(|patch| patch.seq);
    let mut current = None;
    if let Some(Json::Object(messages)) = history.get_mut("messages") {
        for patch in ordered {
            match messages.get_mut(&patch.message_id) {
                Some(Json::Object(existing)) => shallow_merge(existing, &patch.patch),
                // A message that vanished since the write (only an outside full write can do
                // that) is not resurrected from a partial update.
                _ if !patch.is_new => {}
                _ => {
                    messages.insert(patch.message_id.clone(), Json::Object(patch.patch.clone()));
                    let parent = patch.patch.get("parentId").and_then(Json::as_str).map(str::to_owned);
                    history::add_child(messages, parent.as_deref(), &patch.message_id);
                    current = Some(patch.message_id.clone());
                }
            }
        }
    }
    if let Some(id) = current {
        history.insert("currentId".into(), Json::String(id));
    }
}

/// Reads patches from a JSON array of `[message_id, patch, is_new, seq]` items (the shape
/// [`PENDING_JSON_SQL`] selects).
pub fn from_json_array(value: &Json) -> Vec<Patch> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            Some(Patch {
                message_id: item.get(0)?.as_str()?.to_owned(),
                patch: item.get(1)?.as_object()?.clone(),
                is_new: item.get(2).and_then(Json::as_i64).unwrap_or(0) != 0,
                seq: item.get(3).and_then(Json::as_i64).unwrap_or(0),
            })
        })
        .collect()
}

/// A scalar subquery giving a chat's pending patches as one JSON array (or `NULL` when it has
/// none), for `SELECT ..., {PENDING_JSON_SQL} FROM chat`: one index probe when there are none.
pub const PENDING_JSON_SQL: &str = "(SELECT json_group_array(json_array(p.message_id, json(p.patch), p.is_new, p.seq)) \
     FROM chatsvc_message_patch p WHERE p.chat_id = chat.id)";

/// The pending patches of several chats (one query), as `(chat_id, patch)` pairs.
pub async fn pending_for(db: &dyn Database, chat_ids: &[&str]) -> Result<Vec<(String, Patch)>, DbError> {
    if chat_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = vec!["?"; chat_ids.len()].join(", ");
    let params: Vec<_> = chat_ids.iter().map(|id| (*id).into()).collect();
    let rows = db
        .query(
            &format!(
                "SELECT chat_id, message_id, patch, is_new, seq FROM chatsvc_message_patch \
                 WHERE chat_id IN ({placeholders}) ORDER BY chat_id, seq"
            ),
            &params,
        )
        .await?;
    Ok(rows.iter().filter_map(|row| Some((row.text(0), patch_from_row(row, 1)?))).collect())
}

fn patch_from_row(row: &Row, first: usize) -> Option<Patch> {
    Some(Patch {
        message_id: row.text(first),
        patch: row.json(first + 1).as_object()?.clone(),
        is_new: row.bool(first + 2),
        seq: row.int(first + 3),
    })
}

/// The pending patch of one message, if any.
pub async fn get(db: &dyn Database, chat_id: &str, message_id: &str) -> Result<Option<Patch>, DbError> {
    let rows = db
        .query(
            "SELECT message_id, patch, is_new, seq FROM chatsvc_message_patch WHERE chat_id = ? AND message_id = ?",
            &[chat_id.into(), message_id.into()],
        )
        .await?;
    Ok(rows.first().and_then(|row| patch_from_row(row, 0)))
}

/// Records `update` for a message: merged into its pending patch when there is one (which
/// keeps its `seq` and `is_new`), else a new patch after the chat's last one. Returns the
/// chat's pending count afterwards.
pub async fn record(
    db: &dyn Database,
    chat_id: &str,
    message_id: &str,
    update: &Map<String, Json>,
    is_new: bool,
) -> Result<i64, DbError> {
    match get(db, chat_id, message_id).await? {
        Some(mut pending) => {
            shallow_merge(&mut pending.patch, update);
            db.execute(
                "UPDATE chatsvc_message_patch SET patch = ? WHERE chat_id = ? AND message_id = ?",
                &[(&Json::Object(pending.patch)).into(), chat_id.into(), message_id.into()],
            )
            .await?;
        }
        None => {
            db.execute(
                "INSERT INTO chatsvc_message_patch (chat_id, message_id, patch, is_new, seq) \
                 VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM chatsvc_message_patch WHERE chat_id = ?))",
                &[chat_id.into(), message_id.into(), (&Json::Object(update.clone())).into(), is_new.into(), chat_id.into()],
            )
            .await?;
        }
    }
    let rows = db
        .query("SELECT COUNT(*) FROM chatsvc_message_patch WHERE chat_id = ?", &[chat_id.into()])
        .await?;
    Ok(rows.first().map_or(0, |row| row.int(0)))
}

/// Drops every pending patch of a chat (after its blob has been rewritten with them folded).
pub async fn clear(db: &dyn Database, chat_id: &str) -> Result<(), DbError> {
    db.execute("DELETE FROM chatsvc_message_patch WHERE chat_id = ?", &[chat_id.into()]).await?;
    Ok(())
}

/// Folds a chat's pending patches into its stored blob and deletes them: one blob rewrite.
/// Must run inside the caller's transaction.
pub async fn persist(db: &dyn Database, chat_id: &str) -> Result<(), DbError> {
    let rows = db
        .query(&format!("SELECT chat, {PENDING_JSON_SQL} FROM chat WHERE id = ?"), &[chat_id.into()])
        .await?;
    let Some(row) = rows.first() else { return Ok(()) };
    let patches = from_json_array(&row.json(1));
    if patches.is_empty() {
        return Ok(());
    }
    let mut chat = row.json(0);
    fold(&mut chat, &patches);
    db.execute("UPDATE chat SET chat = ? WHERE id = ?", &[(&chat).into(), chat_id.into()]).await?;
    clear(db, chat_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(id: &str, value: Json, is_new: bool, seq: i64) -> Patch {
        Patch { message_id: id.into(), patch: value.as_object().cloned().unwrap_or_default(), is_new, seq }
    }

    #[test]
    fn merges_shallowly_and_keeps_key_order() {
        let mut chat = json!({"history": {"currentId": "a", "messages": {
            "a": {"id": "a", "role": "user", "content": "x", "meta": {"voice": 1}}
        }}});
        fold(&mut chat, &[patch("a", json!({"content": "y", "meta": {"task_id": "t"}, "files": []}), false, 1)]);
        let a = &chat["history"]["messages"]["a"];
        assert_eq!(a, &json!({"id": "a", "role": "user", "content": "y", "meta": {"task_id": "t"}, "files": []}));
        let keys: Vec<&String> = a.as_object().map(|m| m.keys().collect()).unwrap_or_default();
        assert_eq!(keys, ["id", "role", "content", "meta", "files"]);
        assert_eq!(chat["history"]["currentId"], "a", "an update never moves currentId");
    }

    #[test]
    fn new_messages_link_into_parents_in_seq_order() {
        let mut chat = json!({"title": "t", "history": {"currentId": "a", "messages": {
            "a": {"id": "a", "role": "user", "childrenIds": ["c"]}
        }}});
        let b = patch("b", json!({"content": "", "id": "b", "parentId": null, "childrenIds": [], "role": "assistant", "timestamp": 5}), true, 2);
        let c = patch("c", json!({"content": "hi", "id": "c", "parentId": "a", "childrenIds": [], "role": "assistant", "timestamp": 4}), true, 1);
        fold(&mut chat, &[b, c]);
        let messages = chat["history"]["messages"].as_object().cloned().unwrap_or_default();
        assert_eq!(messages.keys().collect::<Vec<_>>(), ["a", "c", "b"], "applied in seq order, not input order");
        assert_eq!(chat["history"]["currentId"], "b", "the last created message is current");
        assert_eq!(messages["a"]["childrenIds"], json!(["c"]), "no duplicate link");
    }

    #[test]
    fn creates_history_and_skips_vanished_or_broken() {
        let mut empty = Json::Null;
        fold(&mut empty, &[patch("m", json!({"content": "x", "id": "m", "parentId": null, "childrenIds": [], "role": "assistant", "timestamp": 1}), true, 1)]);
        assert_eq!(empty["history"]["currentId"], "m");
        assert_eq!(empty["history"]["messages"]["m"]["content"], "x");

        let mut vanished = json!({"history": {"messages": {}, "currentId": null}});
        fold(&mut vanished, &[patch("gone", json!({"content": "x"}), false, 1)]);
        assert_eq!(vanished, json!({"history": {"messages": {}, "currentId": null}}));

        let mut broken = json!({"history": {"messages": [1]}});
        fold(&mut broken, &[patch("m", json!({"content": "x"}), true, 1)]);
        assert_eq!(broken, json!({"history": {"messages": [1]}}));
    }

    #[test]
    fn parses_the_subquery_shape() {
        let parsed = from_json_array(&json!([["m", {"content": "x"}, 1, 3], ["bad"], ["n", "not an object", 0, 4]]));
        assert_eq!(parsed, vec![patch("m", json!({"content": "x"}), true, 3)]);
        assert!(from_json_array(&Json::Null).is_empty());
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[tokio::test]
    async fn record_accumulates_and_persist_folds_once() {
        use crate::db::LibsqlDatabase;
        let db = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        crate::schema::ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        let blob = json!({"history": {"currentId": "a", "messages": {"a": {"id": "a", "role": "user", "content": "x"}}}});
        db.execute("INSERT INTO chat (id, user_id, chat, meta) VALUES ('c1', 'u', ?, '{}')", &[(&blob).into()])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let update = |value: Json| value.as_object().cloned().unwrap_or_default();
        let new_message = update(json!({"content": "", "id": "n", "parentId": "a", "childrenIds": [], "role": "assistant", "timestamp": 9}));
        assert_eq!(record(&db, "c1", "n", &new_message, true).await, Ok(1));
        assert_eq!(record(&db, "c1", "a", &update(json!({"content": "y"})), false).await, Ok(2));
        assert_eq!(record(&db, "c1", "n", &update(json!({"content": "streamed"})), false).await, Ok(2));
        let n = get(&db, "c1", "n").await.ok().flatten().unwrap_or_else(|| patch("", json!({}), false, 0));
        assert!(n.is_new, "an accumulated patch stays new");
        assert_eq!((n.seq, n.patch["content"].clone(), n.patch["parentId"].clone()), (1, json!("streamed"), json!("a")));

        persist(&db, "c1").await.unwrap_or_else(|e| panic!("{e}"));
        let rows = db.query("SELECT chat FROM chat WHERE id = 'c1'", &[]).await.unwrap_or_default();
        let stored = rows[0].json(0);
        assert_eq!(stored["history"]["currentId"], "n");
        assert_eq!(stored["history"]["messages"]["a"]["content"], "y");
        assert_eq!(stored["history"]["messages"]["a"]["childrenIds"], json!(["n"]));
        assert_eq!(stored["history"]["messages"]["n"]["content"], "streamed");
        let left = db.query("SELECT COUNT(*) FROM chatsvc_message_patch", &[]).await.unwrap_or_default();
        assert_eq!(left[0].int(0), 0);

        // Deleting the chat (as Open WebUI would) drops its patches through our trigger.
        record(&db, "c1", "a", &update(json!({"content": "z"})), false).await.unwrap_or_else(|e| panic!("{e}"));
        db.execute("DELETE FROM chat WHERE id = 'c1'", &[]).await.unwrap_or_else(|e| panic!("{e}"));
        let left = db.query("SELECT COUNT(*) FROM chatsvc_message_patch", &[]).await.unwrap_or_default();
        assert_eq!(left[0].int(0), 0);
    }
}
