//! The search indexes: two FTS5 tables with the trigram tokenizer (substring matching, case
//! folded), kept current by triggers on `chat` and `chat_message`, so rows written by Open
//! WebUI itself beside us are indexed as well.
//!
//! Both are external-content tables over views, so no text is stored twice, and they only
//! use FTS5 features of SQLite 3.34+ (Open WebUI's Python links SQLite 3.40, which must
//! still be able to write these tables through the triggers).
//!
//! An update removes the old text and adds the new one in ONE trigger, in that order:
//! SQLite runs several triggers on the same event newest first, so the two separate
//! triggers older databases have (`chatsvc_message_fts_unindex`, `_reindex`) added the new
//! text and then deleted the row's entry, leaving the index out of step with its content
//! ([`ensure`] replaces them and rebuilds the index).

use crate::db::{Database, DbError};

/// DDL of the views, indexes and triggers. Idempotent.
pub const SCHEMA: &str = "
CREATE VIEW IF NOT EXISTS chatsvc_message_text AS
  SELECT rowid, json_extract(content, '$') AS content FROM chat_message
  WHERE json_valid(content) AND json_type(content) = 'text';
CREATE VIEW IF NOT EXISTS chatsvc_title_text AS SELECT rowid, title FROM chat;
CREATE VIRTUAL TABLE IF NOT EXISTS chatsvc_message_fts USING fts5(
  content, content='chatsvc_message_text', content_rowid='rowid', tokenize='trigram');
CREATE VIRTUAL TABLE IF NOT EXISTS chatsvc_title_fts USING fts5(
  title, content='chatsvc_title_text', content_rowid='rowid', tokenize='trigram');
CREATE TRIGGER IF NOT EXISTS chatsvc_message_fts_insert AFTER INSERT ON chat_message
  WHEN json_valid(new.content) AND json_type(new.content) = 'text'
BEGIN
  INSERT INTO chatsvc_message_fts(rowid, content) VALUES (new.rowid, json_extract(new.content, '$'));
END;
CREATE TRIGGER IF NOT EXISTS chatsvc_message_fts_delete AFTER DELETE ON chat_message
  WHEN json_valid(old.content) AND json_type(old.content) = 'text'
BEGIN
  INSERT INTO chatsvc_message_fts(chatsvc_message_fts, rowid, content)
    VALUES ('delete', old.rowid, json_extract(old.content, '$'));
END;
CREATE TRIGGER IF NOT EXISTS chatsvc_message_fts_update AFTER UPDATE OF content ON chat_message
BEGIN
  INSERT INTO chatsvc_message_fts(chatsvc_message_fts, rowid, content)
    SELECT 'delete', old.rowid, json_extract(old.content, '$')
    WHERE json_valid(old.content) AND json_type(old.content) = 'text';
  INSERT INTO chatsvc_message_fts(rowid, content) SELECT new.rowid, json_extract(new.content, '$')
    WHERE json_valid(new.content) AND json_type(new.content) = 'text';
END;
CREATE TRIGGER IF NOT EXISTS chatsvc_title_fts_insert AFTER INSERT ON chat
  WHEN new.title IS NOT NULL
BEGIN
  INSERT INTO chatsvc_title_fts(rowid, title) VALUES (new.rowid, new.title);
END;
CREATE TRIGGER IF NOT EXISTS chatsvc_title_fts_delete AFTER DELETE ON chat
  WHEN old.title IS NOT NULL
BEGIN
  INSERT INTO chatsvc_title_fts(chatsvc_title_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
END;
CREATE TRIGGER IF NOT EXISTS chatsvc_title_fts_update AFTER UPDATE OF title ON chat
BEGIN
  INSERT INTO chatsvc_title_fts(chatsvc_title_fts, rowid, title)
    SELECT 'delete', old.rowid, old.title WHERE old.title IS NOT NULL;
  INSERT INTO chatsvc_title_fts(rowid, title) SELECT new.rowid, new.title WHERE new.title IS NOT NULL;
END;
";

/// Creates the indexes if missing and, when they are new, indexes the rows already there.
pub async fn ensure(db: &dyn Database) -> Result<(), DbError> {
    let existed = !db
        .query("SELECT 1 FROM sqlite_master WHERE name = 'chatsvc_message_fts'", &[])
        .await?
        .is_empty();
    let split_update_triggers = !db
        .query("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'chatsvc_message_fts_unindex'", &[])
        .await?
        .is_empty();
    for trigger in LEGACY_TRIGGERS {
        db.execute(&format!("DROP TRIGGER IF EXISTS {trigger}"), &[]).await?;
    }
    for statement in split_triggers(SCHEMA) {
        db.execute(&statement, &[]).await?;
    }
    if !existed || split_update_triggers {
        db.execute("INSERT INTO chatsvc_message_fts(chatsvc_message_fts) VALUES ('rebuild')", &[]).await?;
    }
    if !existed {
        db.execute("INSERT INTO chatsvc_title_fts(chatsvc_title_fts) VALUES ('rebuild')", &[]).await?;
    }
    Ok(())
}

/// Triggers of earlier versions that [`ensure`] drops: the split update triggers that ran
/// in the wrong order (see the module documentation).
const LEGACY_TRIGGERS: [&str; 2] = ["chatsvc_message_fts_unindex", "chatsvc_message_fts_reindex"];

/// Splits the DDL into statements, keeping trigger bodies (which contain `;`) whole.
fn split_triggers(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut in_trigger = false;
    for line in sql.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with("CREATE TRIGGER") {
            in_trigger = true;
        }
        current.push_str(line);
        current.push('\n');
        let ends = if in_trigger { trimmed == "END;" } else { trimmed.ends_with(';') };
        if ends {
            statements.push(current.trim().trim_end_matches(';').to_owned());
            current.clear();
            in_trigger = false;
        }
    }
    statements
}

/// The rowids of the messages whose text matches the FTS query bound to `?`.
pub const MESSAGE_HITS: &str = "SELECT rowid FROM chatsvc_message_fts WHERE chatsvc_message_fts MATCH ?";
/// The rowids of the chats whose title matches the FTS query bound to `?`.
pub const TITLE_HITS: &str = "SELECT rowid FROM chatsvc_title_fts WHERE chatsvc_title_fts MATCH ?";

/// An FTS5 query matching `needle` as a substring (a quoted phrase for the trigram tokenizer).
pub fn phrase_query(needle: &str) -> String {
    format!("\"{}\"", needle.replace('"', "\"\""))
}

/// The trigram tokenizer can only look up needles of three or more characters.
pub fn indexable(needle: &str) -> bool {
    needle.chars().count() >= 3
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::db::LibsqlDatabase;
    use crate::schema;

    async fn matches(db: &LibsqlDatabase, needle: &str) -> Vec<String> {
        db.query(
            "SELECT m.id FROM chat_message m WHERE m.rowid IN \
             (SELECT rowid FROM chatsvc_message_fts WHERE chatsvc_message_fts MATCH ?) ORDER BY m.id",
            &[phrase_query(needle).into()],
        )
        .await
        .unwrap_or_default()
        .iter()
        .map(|row| row.text(0))
        .collect()
    }

    #[tokio::test]
    async fn triggers_keep_the_index_current() {
        let db = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        db.execute("CREATE TABLE chat_message (id TEXT PRIMARY KEY, content JSON)", &[]).await.unwrap_or_default();
        db.execute("CREATE TABLE chat (id TEXT PRIMARY KEY, title TEXT)", &[]).await.unwrap_or_default();
        db.execute("INSERT INTO chat_message VALUES ('old', '\"Legacy Hello\"')", &[]).await.unwrap_or_default();
        ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(matches(&db, "hello").await, ["old"], "existing rows are indexed on creation");
        db.execute("INSERT INTO chat_message VALUES ('a', '\"Ünïcode HeLLo wörld\"'), ('b', '[1,2]'), ('c', NULL)", &[])
            .await
            .unwrap_or_default();
        assert_eq!(matches(&db, "hello w").await, ["a"], "case-folded substring, list content ignored");
        db.execute("UPDATE chat_message SET content = '\"bye\"' WHERE id = 'a'", &[]).await.unwrap_or_default();
        assert!(matches(&db, "hello w").await.is_empty());
        assert_eq!(matches(&db, "bye").await, ["a"]);
        assert_eq!(integrity(&db).await, Ok(()), "an edited message is reindexed, not dropped");
        for content in ["\"bye\"", "[1]", "\"back to text\"", "null"] {
            db.execute("UPDATE chat_message SET content = ? WHERE id = 'a'", &[content.into()]).await.unwrap_or_default();
            assert_eq!(integrity(&db).await, Ok(()), "after content {content}");
        }
        assert!(matches(&db, "back to").await.is_empty());
        db.execute("INSERT INTO chat_message VALUES ('a', '\"upserted\"') ON CONFLICT(id) DO UPDATE SET content = excluded.content", &[])
            .await
            .unwrap_or_default();
        assert_eq!(matches(&db, "upserted").await, ["a"]);
        assert_eq!(integrity(&db).await, Ok(()), "an upsert is an update");
        db.execute("DELETE FROM chat_message WHERE id = 'a'", &[]).await.unwrap_or_default();
        assert!(matches(&db, "bye").await.is_empty());
        assert_eq!(matches(&db, "say \"hi\"").await.len(), 0, "quotes are escaped, not syntax");
        assert_eq!(integrity(&db).await, Ok(()));
        let _ = schema::VERSION;
    }

    /// FTS5's check of the message index against its content (an error when they differ).
    async fn integrity(db: &LibsqlDatabase) -> Result<(), DbError> {
        db.execute("INSERT INTO chatsvc_message_fts(chatsvc_message_fts, rank) VALUES ('integrity-check', 1)", &[]).await.map(drop)
    }

    #[tokio::test]
    async fn the_split_update_triggers_of_older_databases_are_replaced_and_the_index_rebuilt() {
        let db = LibsqlDatabase::open_local(":memory:").await.unwrap_or_else(|e| panic!("{e}"));
        db.execute("CREATE TABLE chat_message (id TEXT PRIMARY KEY, content JSON)", &[]).await.unwrap_or_default();
        db.execute("CREATE TABLE chat (id TEXT PRIMARY KEY, title TEXT)", &[]).await.unwrap_or_default();
        ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        // What earlier versions created instead of chatsvc_message_fts_update.
        db.execute("DROP TRIGGER chatsvc_message_fts_update", &[]).await.unwrap_or_default();
        let legacy = "CREATE TRIGGER chatsvc_message_fts_unindex AFTER UPDATE OF content ON chat_message \
             WHEN json_valid(old.content) AND json_type(old.content) = 'text' BEGIN \
             INSERT INTO chatsvc_message_fts(chatsvc_message_fts, rowid, content) VALUES ('delete', old.rowid, json_extract(old.content, '$')); END;
             CREATE TRIGGER chatsvc_message_fts_reindex AFTER UPDATE OF content ON chat_message \
             WHEN json_valid(new.content) AND json_type(new.content) = 'text' BEGIN \
             INSERT INTO chatsvc_message_fts(rowid, content) VALUES (new.rowid, json_extract(new.content, '$')); END";
        for statement in legacy.split(";\n") {
            db.execute(statement, &[]).await.unwrap_or_else(|e| panic!("{e}"));
        }
        db.execute("INSERT INTO chat_message VALUES ('a', '\"first text\"')", &[]).await.unwrap_or_default();
        db.execute("UPDATE chat_message SET content = '\"second text\"' WHERE id = 'a'", &[]).await.unwrap_or_default();
        assert!(integrity(&db).await.is_err(), "the old triggers leave the index out of step");

        ensure(&db).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(integrity(&db).await, Ok(()), "rebuilt");
        assert_eq!(matches(&db, "second").await, ["a"]);
        let triggers = db
            .query("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'chatsvc_message_fts%' ORDER BY name", &[])
            .await
            .unwrap_or_default();
        let names: Vec<String> = triggers.iter().map(|row| row.text(0)).collect();
        assert_eq!(names, ["chatsvc_message_fts_delete", "chatsvc_message_fts_insert", "chatsvc_message_fts_update"]);
    }
}
