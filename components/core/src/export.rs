//! Streamed exports: bodies written chunk by chunk with constant memory, whatever the
//! number of chats (`GET /all` as NDJSON, `GET /all/db` as a JSON array).
//!
//! A route answers [`crate::http::Response::streamed`] with a [`StreamJob`]; the adapter
//! sends the headers, then calls [`run`] with a fresh connection and a [`ChunkSink`] that
//! feeds the response body. Rows are read in keyset-paged batches of 100 (Open WebUI's
//! batch size), so each batch costs the same however deep the export is.

use crate::chats::model::{CHAT_COLUMNS, Chat, prepare};
use crate::context::Ctx;
use crate::db::{DbError, Value};
use crate::tags::NOT_INTERNAL;
use async_trait::async_trait;

/// Rows per batch.
pub const BATCH: i64 = 100;

/// What to stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamJob {
    /// One ChatResponse JSON per line: the user's non-internal chats, archived included,
    /// `updated_at DESC, id`.
    UserChats {
        /// Whose chats.
        user_id: String,
    },
    /// A JSON array of every non-internal chat of every user, `updated_at DESC, id`.
    AllChats,
}

/// Where chunks go; `false` from `send` means the client is gone and the job stops.
#[async_trait(?Send)]
pub trait ChunkSink {
    /// Delivers one chunk.
    async fn send(&mut self, chunk: Vec<u8>) -> bool;
}

/// Collects chunks in memory (tests and native callers).
#[derive(Debug, Default)]
pub struct Collect(pub Vec<u8>);

#[async_trait(?Send)]
impl ChunkSink for Collect {
    async fn send(&mut self, chunk: Vec<u8>) -> bool {
        self.0.extend(chunk);
        true
    }
}

/// Runs a job to completion (or until the sink refuses more).
pub async fn run(ctx: &Ctx<'_>, job: &StreamJob, sink: &mut dyn ChunkSink) -> Result<(), DbError> {
    let (owner, ndjson) = match job {
        StreamJob::UserChats { user_id } => (Some(user_id.as_str()), true),
        StreamJob::AllChats => (None, false),
    };
    if !ndjson && !sink.send(b"[".to_vec()).await {
        return Ok(());
    }
    let mut cursor: Option<(i64, String)> = None;
    let mut first = true;
    loop {
        let mut sql = format!("SELECT {CHAT_COLUMNS} FROM chat WHERE {NOT_INTERNAL}");
        let mut params: Vec<Value> = Vec::new();
        if let Some(user_id) = owner {
            sql.push_str(" AND user_id = ?");
            params.push(user_id.into());
        }
        if let Some((updated_at, id)) = &cursor {
            sql.push_str(" AND (updated_at < ? OR (updated_at = ? AND id > ?))");
            params.extend([(*updated_at).into(), (*updated_at).into(), id.as_str().into()]);
        }
        sql.push_str(&format!(" ORDER BY updated_at DESC, id LIMIT {BATCH}"));
        let rows = ctx.db.query(&sql, &params).await?;
        let mut chunk = Vec::new();
        for row in &rows {
            let chat = prepare(ctx.db, Chat::from_row(row)).await?;
            cursor = Some((chat.updated_at, chat.id.clone()));
            if ndjson {
                chunk.extend(chat.into_response().to_string().into_bytes());
                chunk.push(b'\n');
            } else {
                if !first {
                    chunk.push(b',');
                }
                chunk.extend(chat.into_response().to_string().into_bytes());
            }
            first = false;
        }
        if !chunk.is_empty() && !sink.send(chunk).await {
            return Ok(());
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    if !ndjson {
        sink.send(b"]".to_vec()).await;
    }
    Ok(())
}
