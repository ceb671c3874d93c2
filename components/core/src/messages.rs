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

/// The values of the columns every row has: id, chat, author, role, done, times.
fn base_values(chat_id: &str, message_id: &str, user_id: &str, message: &Json, now: i64) -> Vec<Value> {
    vec![
        format!("{chat_id}-{message_id}").into(),
        chat_id.into(),
        user_id.into(),
        message.get("role").and_then(Json::as_str).unwrap_or("user").into(),
        message.get("done").and_then(Json::as_bool).unwrap_or(true).into(),
        message.get("timestamp").and_then(Json::as_i64).filter(|stamp| *stamp != 0).unwrap_or(now).into(),
        now.into(),
    ]
}

/// Inserts the message row, or updates only the columns whose keys the payload carries.
pub async fn upsert(db: &dyn Database, chat_id: &str, message_id: &str, user_id: &str, message: &Json, now: i64) -> Result<(), DbError> {
    let present: Vec<&Column> = COLUMNS
        .iter()
        .filter(|column| column.keys.iter().any(|key| message.get(*key).is_some()))
        .collect();
    let mut names = vec!["id", "chat_id", "user_id", "role", "done", "created_at", "updated_at"];
    let mut values: Vec<Value> = base_values(chat_id, message_id, user_id, message, now);
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
///
/// The chat is new, so its rows are inserted with a few multi-row statements rather than one
/// statement per message: each statement that fires the FTS triggers makes FTS5 flush its
/// pending index data (the statement's savepoint), so per-message statements cost a flush
/// each. Absent keys are NULL either way (the columns have no defaults). A payload that
/// names one message twice (a legacy `messages` list can) takes the per-message path, whose
/// later-wins column merge it relies on.
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
    let rows: Vec<(String, &str, &Json)> = messages
        .into_iter()
        .filter(|(_, message)| message.get("role").is_some_and(crate::permissions::truthy))
        .map(|(id, message)| {
            let author = message
                .get("user_id")
                .and_then(Json::as_str)
                .filter(|id| !id.is_empty())
                .or_else(|| message.get("user").and_then(|user| user.get("id")).and_then(Json::as_str))
                .unwrap_or(owner_id);
            (id, author, message)
        })
        .collect();
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    if !rows.iter().all(|(id, _, _)| seen.insert(id.as_str())) {
        for (id, author, message) in &rows {
            upsert(db, chat_id, id, author, message, now).await?;
        }
        return Ok(());
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        insert_new(db, chat_id, chunk, now).await?;
    }
    Ok(())
}

/// Rows per multi-row insert (each row binds at most 21 values; SQLite allows 32,766).
const INSERT_CHUNK: usize = 256;

/// Inserts new message rows in one statement, with the union of the columns they carry.
async fn insert_new(db: &dyn Database, chat_id: &str, rows: &[(String, &str, &Json)], now: i64) -> Result<(), DbError> {
    let columns: Vec<&Column> = COLUMNS
        .iter()
        .filter(|column| column.name != "role" && column.name != "done")
        .filter(|column| rows.iter().any(|(_, _, message)| column.keys.iter().any(|key| message.get(*key).is_some())))
        .collect();
    let with_usage = rows.iter().any(|(_, _, message)| usage(message).is_some());
    let mut names = vec!["id", "chat_id", "user_id", "role", "done", "created_at", "updated_at"];
    names.extend(columns.iter().map(|column| column.name));
    if with_usage {
        names.push("usage");
    }
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * names.len());
    for (message_id, user_id, message) in rows {
        values.extend(base_values(chat_id, message_id, user_id, message, now));
        for column in &columns {
            let present = column.keys.iter().any(|key| message.get(*key).is_some());
            values.push(if present { column_value(column, message) } else { Value::Null });
        }
        if with_usage {
            values.push(usage(message).map_or(Value::Null, Value::from));
        }
    }
    let row = format!("({})", vec!["?"; names.len()].join(", "));
    let sql = format!("INSERT INTO chat_message ({}) VALUES {}", names.join(", "), vec![row; rows.len()].join(", "));
    db.execute(&sql, &values).await?;
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
