//! The `chat_message` table: one row per message, kept in step with the chat JSON
//! (Open WebUI's dual write, spec §3.5). Row id is `"{chat_id}-{message_id}"`.

use crate::db::{Database, DbError, Value};
use serde_json::Value as Json;

/// A column of `chat_message` and the JSON keys that feed it (first present wins).
struct Column {
    name: &'static str,
    keys: &'static [&'static str],
    /// Stored as JSON text rather than as a plain value.
    json: bool,
}

const COLUMNS: &[Column] = &[
    Column { name: "role", keys: &["role"], json: false },
    Column { name: "parent_id", keys: &["parent_id", "parentId"], json: false },
    Column { name: "content", keys: &["content"], json: true },
    Column { name: "output", keys: &["output"], json: true },
    Column { name: "model_id", keys: &["model_id", "model"], json: false },
    Column { name: "files", keys: &["files"], json: true },
    Column { name: "sources", keys: &["sources"], json: true },
    Column { name: "embeds", keys: &["embeds"], json: true },
    Column { name: "meta", keys: &["meta"], json: true },
    Column { name: "done", keys: &["done"], json: false },
    Column { name: "status_history", keys: &["status_history", "statusHistory"], json: true },
    Column { name: "error", keys: &["error"], json: true },
    Column { name: "context_summary", keys: &["context_summary", "contextSummary"], json: false },
];

/// The value of a column for a message: the first truthy of its keys for aliased
/// columns (Python's `a or b`), JSON text for JSON columns, NULL for JSON null.
fn column_value(column: &Column, message: &Json) -> Value {
    let value = if column.keys.len() > 1 {
        column
            .keys
            .iter()
            .filter_map(|key| message.get(*key))
            .find(|value| crate::permissions::truthy(value))
            .or_else(|| column.keys.iter().rev().find_map(|key| message.get(*key)))
    } else {
        message.get(column.keys[0])
    };
    match value {
        None | Some(Json::Null) => Value::Null,
        Some(value) if column.json => Value::Text(value.to_string()),
        Some(Json::String(text)) => Value::Text(text.clone()),
        Some(Json::Bool(flag)) => Value::Integer(i64::from(*flag)),
        Some(Json::Number(number)) => number.as_i64().map_or_else(|| Value::Text(number.to_string()), Value::Integer),
        Some(other) => Value::Text(other.to_string()),
    }
}

/// `get_usage`: `usage`, else `info.usage`.
fn usage(message: &Json) -> Option<&Json> {
    message
        .get("usage")
        .filter(|usage| crate::permissions::truthy(usage))
        .or_else(|| message.get("info").and_then(|info| info.get("usage")))
        .filter(|usage| crate::permissions::truthy(usage))
}

/// Inserts the message row, or updates only the columns whose keys the payload carries.
pub async fn upsert(db: &dyn Database, chat_id: &str, message_id: &str, user_id: &str, message: &Json, now: i64) -> Result<(), DbError> {
    let present: Vec<&Column> = COLUMNS
        .iter()
        .filter(|column| column.keys.iter().any(|key| message.get(*key).is_some()))
        .collect();
    let mut names = vec!["id", "chat_id", "user_id", "role", "done", "created_at", "updated_at"];
    let mut values: Vec<Value> = vec![
        format!("{chat_id}-{message_id}").into(),
        chat_id.into(),
        user_id.into(),
        message.get("role").and_then(Json::as_str).unwrap_or("user").into(),
        message.get("done").and_then(Json::as_bool).unwrap_or(true).into(),
        message.get("timestamp").and_then(Json::as_i64).filter(|stamp| *stamp != 0).unwrap_or(now).into(),
        now.into(),
    ];
    for column in &present {
        if column.name != "role" && column.name != "done" {
            names.push(column.name);
            values.push(column_value(column, message));
        }
    }
    if let Some(usage) = usage(message) {
        names.push("usage");
        values.push(usage.into());
    }
    let mut updates: Vec<String> = present
        .iter()
        .map(|column| format!("{0} = excluded.{0}", column.name))
        .collect();
    if usage(message).is_some() {
        updates.push("usage = excluded.usage".into());
    }
    updates.push("updated_at = excluded.updated_at".into());
    let placeholders = vec!["?"; names.len()].join(", ");
    let sql = format!(
        "INSERT INTO chat_message ({}) VALUES ({placeholders}) ON CONFLICT(id) DO UPDATE SET {}",
        names.join(", "),
        updates.join(", ")
    );
    db.execute(&sql, &values).await?;
    Ok(())
}

/// Writes every message of a chat's history that has a role (create and import).
pub async fn upsert_all(db: &dyn Database, chat_id: &str, owner_id: &str, chat: &Json, now: i64) -> Result<(), DbError> {
    let from_history = chat
        .get("history")
        .and_then(|history| history.get("messages"))
        .and_then(Json::as_object)
        .filter(|messages| !messages.is_empty());
    let legacy: Vec<(String, &Json)>;
    let messages: Vec<(String, &Json)> = match from_history {
        Some(messages) => messages.iter().map(|(id, message)| (id.clone(), message)).collect(),
        None => {
            legacy = chat
                .get("messages")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|message| Some((message.get("id")?.as_str().filter(|id| !id.is_empty())?.to_owned(), message)))
                .collect();
            legacy
        }
    };
    for (id, message) in messages {
        if !message.get("role").is_some_and(crate::permissions::truthy) {
            continue;
        }
        let author = message
            .get("user_id")
            .and_then(Json::as_str)
            .filter(|id| !id.is_empty())
            .or_else(|| message.get("user").and_then(|user| user.get("id")).and_then(Json::as_str))
            .unwrap_or(owner_id);
        upsert(db, chat_id, &id, author, message, now).await?;
    }
    Ok(())
}

/// Deletes all rows of a chat.
pub async fn delete_for_chat(db: &dyn Database, chat_id: &str) -> Result<(), DbError> {
    db.execute("DELETE FROM chat_message WHERE chat_id = ?", &[chat_id.into()]).await?;
    Ok(())
}

/// Deletes the rows of some messages of a chat.
pub async fn delete_ids(db: &dyn Database, chat_id: &str, message_ids: &[String]) -> Result<(), DbError> {
    for message_id in message_ids {
        db.execute("DELETE FROM chat_message WHERE id = ?", &[format!("{chat_id}-{message_id}").into()]).await?;
    }
    Ok(())
}
