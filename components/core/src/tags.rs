//! Tag rows (`tag`, primary key `(id, user_id)`) and their garbage collection (spec §3.4).

use crate::db::{Database, DbError};
use serde::Serialize;
use serde_json::Value as Json;

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
