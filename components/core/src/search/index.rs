//! The search indexes: two FTS5 tables with the trigram tokenizer (substring matching, case
//! folded), kept current by triggers on `chat` and `chat_message`, so rows written by Open
//! WebUI itself beside us are indexed as well.
//!
//! Both are external-content tables over views, so no text is stored twice, and they only
//! use FTS5 features of SQLite 3.34+ (Open WebUI's Python links SQLite 3.40, which must
//! still be able to write these tables through the triggers).

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
CREATE TRIGGER IF NOT EXISTS chatsvc_message_fts_unindex AFTER UPDATE OF content ON chat_message
  WHEN json_valid(old.content) AND json_type(old.content) = 'text'
BEGIN
  INSERT INTO chatsvc_message_fts(chatsvc_message_fts, rowid, content)
    VALUES ('delete', old.rowid, json_extract(old.content, '$'));
END;
CREATE TRIGGER IF NOT EXISTS chatsvc_message_fts_reindex AFTER UPDATE OF content ON chat_message
  WHEN json_valid(new.content) AND json_type(new.content) = 'text'
BEGIN
  INSERT INTO chatsvc_message_fts(rowid, content) VALUES (new.rowid, json_extract(new.content, '$'));
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
    for statement in split_triggers(SCHEMA) {
        db.execute(&statement, &[]).await?;
    }
    if !existed {
        db.execute("INSERT INTO chatsvc_message_fts(chatsvc_message_fts) VALUES ('rebuild')", &[]).await?;
        db.execute("INSERT INTO chatsvc_title_fts(chatsvc_title_fts) VALUES ('rebuild')", &[]).await?;
    }
    Ok(())
}

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
        db.execute("DELETE FROM chat_message WHERE id = 'a'", &[]).await.unwrap_or_default();
        assert!(matches(&db, "bye").await.is_empty());
        assert_eq!(matches(&db, "say \"hi\"").await.len(), 0, "quotes are escaped, not syntax");
        let integrity = db
            .execute("INSERT INTO chatsvc_message_fts(chatsvc_message_fts, rank) VALUES ('integrity-check', 1)", &[])
            .await;
        assert!(integrity.is_ok(), "{integrity:?}");
        let _ = schema::VERSION;
    }
}
