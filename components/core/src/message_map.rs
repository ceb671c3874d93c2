//! A chat's message map rebuilt from its `chat_message` rows (`Chats.get_messages_map_by_chat_id`,
//! spec §3.5): the rows are authoritative, the chat JSON's history fills gaps, and what
//! came from the JSON is backfilled as rows so the next read takes the fast path.

use crate::chats::model;
use crate::db::{Database, DbError, Row};
use crate::messages;
use serde_json::{Map, Value as Json, json};

/// The columns read, in Open WebUI's model order, with the message key each becomes.
/// `created_at` is the message `timestamp`; `id`, `chat_id` and `updated_at` are not copied.
const COLUMNS: &[(&str, &str)] = &[
    ("user_id", "user_id"),
    ("role", "role"),
    ("parent_id", "parentId"),
    ("content", "content"),
    ("output", "output"),
    ("model_id", "model"),
    ("files", "files"),
    ("sources", "sources"),
    ("embeds", "embeds"),
    ("meta", "meta"),
    ("done", "done"),
    ("status_history", "statusHistory"),
    ("error", "error"),
    ("usage", "usage"),
    ("context_summary", "contextSummary"),
    ("created_at", "timestamp"),
];

/// Columns holding JSON documents (the others are plain text, integers or booleans).
const JSON_COLUMNS: &[&str] = &["content", "output", "files", "sources", "embeds", "meta", "status_history", "error", "usage"];

/// One row as a history message. NULL and JSON `null` columns are left out, `content`
/// defaults to `""` and `usage` is mirrored to `info.usage`.
fn message_from_row(message_id: &str, row: &Row) -> Json {
    let mut message = Map::new();
    message.insert("id".into(), json!(message_id));
    for (index, (column, key)) in COLUMNS.iter().enumerate() {
        let position = index + 1;
        let value = if JSON_COLUMNS.contains(column) {
            row.opt_json(position)
        } else if *column == "done" {
            row.opt_bool(position).map(Json::Bool)
        } else if *column == "created_at" {
            row.opt_int(position).map(Json::from)
        } else {
            row.opt_text(position).map(Json::String)
        };
        if let Some(value) = value.filter(|value| !value.is_null()) {
            message.insert((*key).into(), value);
        }
    }
    message.entry("content").or_insert(json!(""));
    if let Some(usage) = message.get("usage").cloned() {
        message.insert("info".into(), json!({"usage": usage}));
    }
    Json::Object(message)
}

/// Rebuilds `childrenIds` from `parentId` links (in map order); leaves get `[]`.
pub fn link_children(messages: &mut Map<String, Json>) {
    let links: Vec<(String, String)> = messages
        .iter()
        .filter_map(|(id, message)| Some((id.clone(), message.get("parentId")?.as_str()?.to_owned())))
        .filter(|(_, parent)| !parent.is_empty())
        .collect();
    for (id, parent) in links {
        let Some(Json::Object(parent)) = messages.get_mut(&parent) else { continue };
        match parent.get_mut("childrenIds") {
            Some(Json::Array(children)) => {
                if !children.iter().any(|child| child == id.as_str()) {
                    children.push(json!(id));
                }
            }
            _ => {
                parent.insert("childrenIds".into(), json!([id]));
            }
        }
    }
    for message in messages.values_mut() {
        if let Json::Object(message) = message {
            message.entry("childrenIds").or_insert(json!([]));
        }
    }
}

/// The map built from the chat's rows alone, `None` when it has none.
pub async fn from_rows(db: &dyn Database, chat_id: &str) -> Result<Option<Map<String, Json>>, DbError> {
    let columns: Vec<&str> = COLUMNS.iter().map(|(column, _)| *column).collect();
    let rows = db
        .query(
            &format!("SELECT id, {} FROM chat_message WHERE chat_id = ? ORDER BY rowid", columns.join(", ")),
            &[chat_id.into()],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let prefix = format!("{chat_id}-");
    let mut messages = Map::new();
    for row in &rows {
        let row_id = row.text(0);
        let message_id = row_id.strip_prefix(&prefix).unwrap_or(&row_id).to_owned();
        let message = message_from_row(&message_id, row);
        messages.insert(message_id, message);
    }
    link_children(&mut messages);
    Ok(Some(messages))
}

/// One message rebuilt from its row (as in [`from_rows`]), `None` when it has no row:
/// O(size of that message).
pub async fn one_from_row(db: &dyn Database, chat_id: &str, message_id: &str) -> Result<Option<Map<String, Json>>, DbError> {
    let columns: Vec<&str> = COLUMNS.iter().map(|(column, _)| *column).collect();
    let rows = db
        .query(
            &format!("SELECT id, {} FROM chat_message WHERE id = ?", columns.join(", ")),
            &[format!("{chat_id}-{message_id}").into()],
        )
        .await?;
    Ok(rows.first().and_then(|row| message_from_row(message_id, row).as_object().cloned()))
}

/// `Chats.get_messages_map_by_chat_id`: the rows' map, with parents missing from the rows
/// taken from the chat JSON; the JSON history when there are no rows. Messages taken from
/// the JSON are written as rows (only rows that were missing: nothing newer is overwritten).
pub async fn for_chat(db: &dyn Database, chat_id: &str, now: i64) -> Result<Map<String, Json>, DbError> {
    let rows = from_rows(db, chat_id).await?;
    if let Some(map) = &rows {
        let unresolved = unresolved_parents(map);
        if unresolved.is_empty() {
            return Ok(rows.unwrap_or_default());
        }
    }
    let Some(chat) = model::find(db, chat_id).await? else {
        return Ok(rows.unwrap_or_default());
    };
    let history = chat
        .chat
        .get("history")
        .and_then(|history| history.get("messages"))
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let (map, taken) = match rows {
        Some(mut map) => {
            let taken: Map<String, Json> =
                unresolved_parents(&map).into_iter().filter_map(|id| Some((id.clone(), history.get(&id)?.clone()))).collect();
            for (id, message) in &taken {
                map.insert(id.clone(), message.clone());
            }
            (map, taken)
        }
        None => (history.clone(), history),
    };
    for (id, message) in &taken {
        if message.get("role").is_some_and(crate::permissions::truthy) {
            let author = message.get("user_id").and_then(Json::as_str).filter(|id| !id.is_empty()).unwrap_or(&chat.user_id);
            // These rows are missing by construction, so the upsert inserts.
            messages::upsert(db, chat_id, id, author, message, now).await?;
        }
    }
    Ok(map)
}

/// Parent ids referenced by messages of the map but absent from it.
fn unresolved_parents(map: &Map<String, Json>) -> Vec<String> {
    let mut missing: Vec<String> = map
        .values()
        .filter_map(|message| message.get("parentId")?.as_str())
        .filter(|parent| !parent.is_empty() && !map.contains_key(*parent))
        .map(str::to_owned)
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_follow_parent_links() {
        let mut map = json!({
            "a": {"id": "a", "parentId": null},
            "b": {"id": "b", "parentId": "a"},
            "c": {"id": "c", "parentId": "a", "childrenIds": ["x"]},
            "d": {"id": "d", "parentId": "gone"}
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        map["a"]["childrenIds"] = json!(["c"]);
        link_children(&mut map);
        assert_eq!(map["a"]["childrenIds"], json!(["c", "b"]));
        assert_eq!(map["c"]["childrenIds"], json!(["x"]));
        assert_eq!(map["b"]["childrenIds"], json!([]));
        assert_eq!(unresolved_parents(&map), ["gone"]);
    }
}
