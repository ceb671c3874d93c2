//! Creates the tables the service uses, idempotently.
//!
//! The tables are Open WebUI 0.12.4's own (`schema/openwebui.sql`), created only where
//! missing, so an existing Open WebUI database is served as it is. Our own objects carry
//! the `chatsvc_` prefix.

use crate::db::{Database, DbError};

/// Open WebUI's DDL for the tables we touch.
pub const OPENWEBUI_SCHEMA: &str = include_str!("schema/openwebui.sql");

/// Our own objects (migration bookkeeping).
pub const SERVICE_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS chatsvc_migrations (\n  version INTEGER PRIMARY KEY,\n  applied_at INTEGER NOT NULL\n);\n";

/// The newest schema version this build knows.
pub const VERSION: i64 = 1;

/// Creates whatever is missing. Cheap when everything exists: one read of our
/// migrations table.
pub async fn ensure(db: &dyn Database) -> Result<(), DbError> {
    if let Ok(rows) = db.query("SELECT MAX(version) FROM chatsvc_migrations", &[]).await
        && rows.first().and_then(|row| row.opt_int(0)) >= Some(VERSION)
    {
        return Ok(());
    }
    db.execute_script(OPENWEBUI_SCHEMA).await?;
    db.execute_script(SERVICE_SCHEMA).await?;
    db.execute(
        "INSERT OR IGNORE INTO chatsvc_migrations (version, applied_at) VALUES (?, strftime('%s','now'))",
        &[VERSION.into()],
    )
    .await?;
    Ok(())
}
