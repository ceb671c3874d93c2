//! Creates the tables the service uses, idempotently.
//!
//! On an empty database we create Open WebUI 0.12.4's complete schema and its Alembic
//! revision (`schema/openwebui.sql`), so Open WebUI itself can later run on the same file.
//! On a database Open WebUI created (it has `alembic_version`) we create nothing of theirs
//! and serve it as it is. Our own objects carry the `chatsvc_` prefix.

use crate::db::{Database, DbError};

/// Open WebUI's complete DDL plus its Alembic head row.
pub const OPENWEBUI_SCHEMA: &str = include_str!("schema/openwebui.sql");

/// Our own objects (migration bookkeeping, pending message patches).
pub const SERVICE_SCHEMA: &str = concat!(
    "CREATE TABLE IF NOT EXISTS chatsvc_migrations (\n  version INTEGER PRIMARY KEY,\n  applied_at INTEGER NOT NULL\n);\n",
    include_str!("schema/message_patch.sql"),
);

/// A covering index for chat lists and search pages. The list filters (`pinned`, `folder_id`,
/// `meta.internal`) live after the large `chat` column, so without it every candidate row
/// costs a walk of that row's overflow pages; with it a page of 60 is read from the index
/// alone (10,000 chats: 678 µs → 47 µs per page 1 with Python's SQLite 3.40, which Open WebUI
/// uses and which maintains the index on its writes just as well).
///
/// `meta` itself is the last column (schema 6): a `tag:` search tests `meta.tags` on every
/// candidate chat, and reading `meta` from the table walks the row's overflow pages (a
/// `tag:work lantern` search over 50,000 chats of one user took 1.8 s).
pub const LIST_INDEX: &str = "CREATE INDEX IF NOT EXISTS chatsvc_chat_list_idx ON chat (user_id, updated_at DESC, id, \
     archived, pinned, folder_id, json_type(meta, '$.internal'), created_at, last_read_at, title, meta)";

/// The newest schema version this build knows (4: the message search index's update
/// trigger replaced, see [`crate::search::index`]; 5: [`LIST_INDEX`]; 6: `meta` added to it).
pub const VERSION: i64 = 6;

/// Creates whatever is missing. Cheap when everything exists: one read of our
/// migrations table.
pub async fn ensure(db: &dyn Database) -> Result<(), DbError> {
    if let Ok(rows) = db.query("SELECT MAX(version) FROM chatsvc_migrations", &[]).await
        && rows.first().and_then(|row| row.opt_int(0)) >= Some(VERSION)
    {
        return Ok(());
    }
    // One transaction: an interrupted first start, or two instances starting at once, can
    // never leave `alembic_version` without the tables it vouches for.
    crate::db::transaction(db, async || {
        let owned_by_open_webui = !db
            .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'", &[])
            .await?
            .is_empty();
        if !owned_by_open_webui {
            db.execute_script(OPENWEBUI_SCHEMA).await?;
        }
        db.execute_script(SERVICE_SCHEMA).await?;
        crate::search::index::ensure(db).await?;
        // Only a speed-up: a database from an older Open WebUI may lack one of its columns,
        // and lists work without it (the failed statement alone is rolled back).
        let list_index_is_current = !db
            .query("SELECT 1 FROM sqlite_master WHERE name = 'chatsvc_chat_list_idx' AND sql LIKE '%title, meta)'", &[])
            .await?
            .is_empty();
        if !list_index_is_current {
            db.execute("DROP INDEX IF EXISTS chatsvc_chat_list_idx", &[]).await?;
        }
        if let Err(error) = db.execute(LIST_INDEX, &[]).await {
            eprintln!("schema: list index not created: {error}");
        }
        db.execute(
            "INSERT OR IGNORE INTO chatsvc_migrations (version, applied_at) VALUES (?, strftime('%s','now'))",
            &[VERSION.into()],
        )
        .await?;
        Ok::<(), DbError>(())
    })
    .await
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::db::LibsqlDatabase;

    #[tokio::test]
    async fn creates_open_webui_schema_once_and_leaves_theirs_alone() {
        let db = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        let tables = db
            .query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'chatsvc%'", &[])
            .await
            .unwrap_or_default();
        assert_eq!(tables[0].int(0), 48, "Open WebUI's 48 tables");
        let revision = db.query("SELECT version_num FROM alembic_version", &[]).await.unwrap_or_default();
        assert_eq!(revision[0].text(0), "0bd252b206fb");

        // An Open WebUI database (alembic_version present) gets only our own table.
        let theirs = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        theirs.execute_script("CREATE TABLE alembic_version (version_num TEXT);\nCREATE TABLE chat (id TEXT, title TEXT);\nCREATE TABLE chat_message (id TEXT, content JSON);\n").await.unwrap_or_else(|e| panic!("{e}"));
        ensure(&theirs).await.unwrap_or_else(|e| panic!("{e}"));
        let names = theirs
            .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'chatsvc%' ORDER BY name", &[])
            .await
            .unwrap_or_default();
        let names: Vec<String> = names.iter().map(|row| row.text(0)).collect();
        assert_eq!(names, ["alembic_version", "chat", "chat_message"], "nothing of Open WebUI's is created");
    }

    #[tokio::test]
    async fn chat_lists_read_the_covering_index() {
        let db = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        let plan = db
            .query(
                &format!(
                    "EXPLAIN QUERY PLAN SELECT {} FROM chat WHERE user_id = ? AND archived = 0 AND {} \
                     AND folder_id IS NULL AND (pinned = 0 OR pinned IS NULL) ORDER BY updated_at DESC, id ASC LIMIT 60",
                    crate::chats::model::TITLE_ID_COLUMNS,
                    crate::tags::NOT_INTERNAL
                ),
                &["u".into()],
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let plan: Vec<String> = plan.iter().map(|row| row.text(3)).collect();
        assert_eq!(plan, ["SEARCH chat USING COVERING INDEX chatsvc_chat_list_idx (user_id=?)"], "no table lookups, no sort");
        // A `tag:` search tests `meta.tags` from the index too.
        let plan = db
            .query(
                &format!(
                    "EXPLAIN QUERY PLAN SELECT {}, archived FROM chat WHERE user_id = ? AND {} AND archived = 0 \
                     AND EXISTS (SELECT 1 FROM json_each(chat.meta, '$.tags') t WHERE t.value = ?) ORDER BY updated_at DESC, id LIMIT 60",
                    crate::chats::model::TITLE_ID_COLUMNS,
                    crate::tags::NOT_INTERNAL
                ),
                &["u".into(), "work".into()],
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let plan: Vec<String> = plan.iter().map(|row| row.text(3)).collect();
        assert_eq!(plan.first().map(String::as_str), Some("SEARCH chat USING COVERING INDEX chatsvc_chat_list_idx (user_id=?)"), "{plan:?}");
    }

    #[tokio::test]
    async fn the_list_index_of_schema_5_is_replaced() {
        let db = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        let old = LIST_INDEX.replace(", meta)", ")");
        for statement in ["DROP INDEX chatsvc_chat_list_idx", old.as_str(), "DELETE FROM chatsvc_migrations WHERE version = 6"] {
            db.execute(statement, &[]).await.unwrap_or_else(|e| panic!("{e}"));
        }
        ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        let sql = db.query("SELECT sql FROM sqlite_master WHERE name = 'chatsvc_chat_list_idx'", &[]).await.unwrap_or_default();
        let sql = sql.first().map(|row| row.text(0)).unwrap_or_default();
        assert!(sql.ends_with("title, meta)"), "the index now holds meta: {sql}");
    }
}
