//! Tag rows (`tag`, primary key `(id, user_id)`) and their garbage collection (spec §3.4),
//! and the tag list a chat carries in `meta.tags`.

use crate::db::{Database, DbError, Row, Value};
use serde::Serialize;
use serde_json::{Value as Json, json};

/// TagModel: `{id, name, user_id, meta}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tag {
    /// Normalised id.
    pub id: String,
    /// Display name (first spelling wins).
    pub name: String,
    /// Owner.
    pub user_id: String,
    /// Meta object or null.
    pub meta: Json,
}

impl Tag {
    /// Reads a row selected with [`TAG_COLUMNS`].
    pub fn from_row(row: &Row) -> Self {
        Self { id: row.text(0), name: row.text(1), user_id: row.text(2), meta: row.json(3) }
    }
}

/// The TagModel columns, in [`Tag::from_row`] order.
pub const TAG_COLUMNS: &str = "id, name, user_id, meta";

/// `name.replace(' ', '_').lower()`: only ASCII spaces are replaced.
pub fn normalise(name: &str) -> String {
    name.replace(' ', "_").to_lowercase()
}

/// SQL condition "chat is not internal" for a `chat` row (alias-free).
pub const NOT_INTERNAL: &str = "COALESCE(json_type(meta, '$.internal'), '') != 'true'";

/// How many of the user's non-internal chats carry `tag_id` in `meta.tags` (archived included).
pub async fn count_chats_with(db: &dyn Database, user_id: &str, tag_id: &str) -> Result<i64, DbError> {
    let rows = db
        .query(
            &format!(
                "SELECT COUNT(*) FROM chat WHERE user_id = ? AND {NOT_INTERNAL} \
                 AND EXISTS (SELECT 1 FROM json_each(chat.meta, '$.tags') WHERE json_each.value = ?)"
            ),
            &[user_id.into(), normalise(tag_id).into()],
        )
        .await?;
    Ok(rows.first().map_or(0, |row| row.int(0)))
}

/// Deletes the user's tag rows among `tag_ids` used by at most `threshold` chats.
pub async fn delete_orphans(db: &dyn Database, user_id: &str, tag_ids: &[String], threshold: i64) -> Result<(), DbError> {
    for tag_id in tag_ids {
        if count_chats_with(db, user_id, tag_id).await? <= threshold {
            db.execute("DELETE FROM tag WHERE id = ? AND user_id = ?", &[normalise(tag_id).into(), user_id.into()])
                .await?;
        }
    }
    Ok(())
}

/// Creates missing tag rows (`id = normalise(name)`, `name` as given).
pub async fn ensure_exist(db: &dyn Database, user_id: &str, names: &[String]) -> Result<(), DbError> {
    for name in names {
        db.execute(
            "INSERT INTO tag (id, name, user_id, meta) VALUES (?, ?, ?, NULL) ON CONFLICT DO NOTHING",
            &[normalise(name).into(), name.as_str().into(), user_id.into()],
        )
        .await?;
    }
    Ok(())
}

/// Every tag row of the user. Open WebUI has no ORDER BY here; we use insertion order.
pub async fn for_user(db: &dyn Database, user_id: &str) -> Result<Vec<Tag>, DbError> {
    let rows = db
        .query(&format!("SELECT {TAG_COLUMNS} FROM tag WHERE user_id = ? ORDER BY rowid"), &[user_id.into()])
        .await?;
    Ok(rows.iter().map(Tag::from_row).collect())
}

/// The user's tag rows whose id is in `ids`, by tag id (ids without a row are left out, as
/// Open WebUI does). Open WebUI's query has no ORDER BY, but on SQLite it always walks the
/// tag table's primary key `(id, user_id)` for the `id IN (...)` list, so its answer comes
/// sorted by id; an existing database must read the same through either server.
pub async fn by_ids(db: &dyn Database, user_id: &str, ids: &[String]) -> Result<Vec<Tag>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = vec!["?"; ids.len()].join(",");
    let mut params: Vec<Value> = vec![user_id.into()];
    params.extend(ids.iter().map(Value::from));
    let rows = db
        .query(
            &format!("SELECT {TAG_COLUMNS} FROM tag WHERE user_id = ? AND id IN ({placeholders}) ORDER BY id"),
            &params,
        )
        .await?;
    Ok(rows.iter().map(Tag::from_row).collect())
}

/// `meta.tags` with `tag_id` added. Open WebUI rebuilds the list with `set()`, whose order
/// is arbitrary; we keep the existing order, drop duplicates and append the new id.
pub fn with_tag(meta_tags: Option<&Json>, tag_id: &str) -> Json {
    let mut tags = deduplicated(meta_tags);
    if !tags.iter().any(|tag| tag.as_str() == Some(tag_id)) {
        tags.push(json!(tag_id));
    }
    Json::Array(tags)
}

/// `meta.tags` without `tag_id`, duplicates dropped, order kept.
pub fn without_tag(meta_tags: Option<&Json>, tag_id: &str) -> Json {
    let mut tags = deduplicated(meta_tags);
    tags.retain(|tag| tag.as_str() != Some(tag_id));
    Json::Array(tags)
}

/// The entries of a `meta.tags` value (anything but an array counts as empty), first
/// occurrence of each kept. Non-string entries (legacy imports) are kept as they are.
fn deduplicated(meta_tags: Option<&Json>) -> Vec<Json> {
    let mut tags: Vec<Json> = Vec::new();
    for tag in meta_tags.and_then(Json::as_array).into_iter().flatten() {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_replaces_ascii_spaces_only() {
        assert_eq!(normalise("My Tag\tX"), "my_tag\tx");
        assert_eq!(normalise("ÄB C"), "äb_c");
    }

    #[test]
    fn tag_lists_keep_insertion_order() {
        let tags = json!(["b", "a", "b", 5]);
        assert_eq!(with_tag(Some(&tags), "c"), json!(["b", "a", 5, "c"]));
        assert_eq!(with_tag(Some(&tags), "a"), json!(["b", "a", 5]));
        assert_eq!(without_tag(Some(&tags), "b"), json!(["a", 5]));
        assert_eq!(with_tag(Some(&json!("x")), "c"), json!(["c"]));
        assert_eq!(without_tag(None, "c"), json!([]));
    }
}
