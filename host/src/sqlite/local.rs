//! A local libSQL connection with what makes it fast under load:
//!
//! - **Prepared statements are cached** per connection (by SQL text). Preparing costs more
//!   than running most of the components' statements: an insert into `chat_message`
//!   compiles the FTS triggers, and a request runs the same few statements every time.
//! - **Writers queue on a fair async gate** instead of in SQLite's busy handler. The busy
//!   handler polls with sleeps that grow to 100 ms, so with many concurrent writers the
//!   unlucky ones wait far longer than the lock is held (seconds of p99 at 32 writers).
//!   A transaction (`BEGIN …`) takes the gate at `BEGIN` and gives it back once the
//!   connection is in autocommit again (after `COMMIT`/`ROLLBACK`, or a failed `BEGIN`); a
//!   lone write statement outside a transaction holds it while it runs. Readers never
//!   take it (WAL readers do not block). Other processes on the same file (Open WebUI, a
//!   second host) still meet the busy timeout, as before.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

/// Statements cached per connection, at most (the cache is emptied when full).
const STATEMENT_CACHE: usize = 128;

/// Bound text and blobs, in bytes, past which a statement is not cached. SQLite keeps a
/// statement's last bindings (its own copy) until the statement is bound again, and libsql
/// offers no `sqlite3_clear_bindings`: cached, each statement that wrote a 1.75 MB chat kept
/// 1.75 MB alive per connection (56 MB of a heap profile's peak at 32 writers).
const MAX_CACHED_BINDINGS: usize = 64 * 1024;

/// Whether a statement run with `params` may be cached afterwards: its bindings are small
/// (see [`MAX_CACHED_BINDINGS`]). Preparing it again costs far less than writing the large
/// value it was given.
pub fn cacheable(params: &libsql::params::Params) -> bool {
    let size = |value: &libsql::Value| match value {
        libsql::Value::Text(text) => text.len(),
        libsql::Value::Blob(blob) => blob.len(),
        _ => 0,
    };
    let bound: usize = match params {
        libsql::params::Params::None => 0,
        libsql::params::Params::Positional(values) => values.iter().map(size).sum(),
        libsql::params::Params::Named(values) => values.iter().map(|(_, value)| size(value)).sum(),
    };
    bound <= MAX_CACHED_BINDINGS
}

/// One write at a time per database file, first come first served.
pub type WriteGate = Arc<tokio::sync::Mutex<()>>;

/// A local connection and its prepared statements.
pub struct LocalConn {
    // Declared first so cached statements are finalized before the connection closes
    // (SQLite cannot close a connection that still has statements).
    statements: Mutex<HashMap<String, libsql::Statement>>,
    conn: libsql::Connection,
}

impl Deref for LocalConn {
    type Target = libsql::Connection;

    fn deref(&self) -> &libsql::Connection {
        &self.conn
    }
}

impl LocalConn {
    /// Wraps a configured connection.
    pub fn new(conn: libsql::Connection) -> Self {
        Self { conn, statements: Mutex::new(HashMap::new()) }
    }

    /// The prepared statement for `sql`: taken out of the cache (reset) or prepared now. Give
    /// it back with [`LocalConn::keep`] once its rows are read.
    pub async fn statement(&self, sql: &str) -> Result<libsql::Statement, libsql::Error> {
        let cached = self.statements.lock().ok().and_then(|mut cache| cache.remove(sql));
        match cached {
            Some(statement) => {
                statement.reset();
                Ok(statement)
            }
            None => self.conn.prepare(sql).await,
        }
    }

    /// Finalizes every cached statement (before rolling back an abandoned transaction, so no
    /// statement of it can still be in progress).
    pub fn clear_statements(&self) {
        if let Ok(mut cache) = self.statements.lock() {
            cache.clear();
        }
    }

    /// Returns a statement to the cache, reset so it holds no read snapshot.
    pub fn keep(&self, sql: String, statement: libsql::Statement) {
        statement.reset();
        if let Ok(mut cache) = self.statements.lock() {
            if cache.len() >= STATEMENT_CACHE {
                cache.clear();
            }
            cache.insert(sql, statement);
        }
    }
}

/// What a statement means for the write gate, from its first keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateUse {
    /// Starts a transaction: take the gate and keep it until autocommit.
    Begin,
    /// Writes: outside a transaction, hold the gate while it runs.
    Write,
    /// Reads, or ends a transaction: no gate needed to start it.
    None,
}

/// A statement's first keyword, upper-cased (leading spaces skipped).
fn first_keyword(sql: &str) -> String {
    sql.trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Classifies a statement by its first keyword (case-insensitive, leading spaces skipped).
/// `WITH … INSERT` and other rare shapes count as reads and meet the busy timeout instead.
pub fn gate_use(sql: &str) -> GateUse {
    match first_keyword(sql).as_str() {
        "BEGIN" | "SAVEPOINT" => GateUse::Begin,
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "CREATE" | "DROP" | "ALTER" => GateUse::Write,
        _ => GateUse::None,
    }
}

/// Whether a statement may run on the calling async thread instead of the blocking pool:
/// one that cannot wait on a lock or run a checkpoint, so it takes microseconds, like any
/// other step of a request. That is a plain read (a WAL reader never waits for writers), or
/// any statement but the end inside a transaction this process's write gate already holds
/// (it owns SQLite's write lock). `BEGIN`, lone writes (both may wait for another process's
/// lock, up to the busy timeout) and `COMMIT`/`ROLLBACK` (a commit may run the WAL
/// auto-checkpoint) still go to the blocking pool.
pub fn runs_inline(sql: &str, in_gated_transaction: bool) -> bool {
    match first_keyword(sql).as_str() {
        "SELECT" | "VALUES" => true,
        "BEGIN" | "SAVEPOINT" | "RELEASE" | "COMMIT" | "END" | "ROLLBACK" => false,
        _ => in_gated_transaction,
    }
}

/// A statement that ran this long on the calling thread [`SLOW_RUNS`] times goes to the
/// blocking pool from then on (more than once: a fast one preempted under load is not slow).
const SLOW_STATEMENT: Duration = Duration::from_millis(2);
/// See [`SLOW_STATEMENT`].
const SLOW_RUNS: u8 = 3;
/// Slow statements remembered per database, at most (the set is emptied when full).
const SLOW_STATEMENTS: usize = 512;

/// Statements (by SQL text) that took longer than [`SLOW_STATEMENT`] inline, with how often:
/// a search over many chats must not hold an async worker, and every request queued behind
/// it, for tens of milliseconds. After [`SLOW_RUNS`] slow runs they go to the blocking pool.
#[derive(Default)]
pub struct SlowStatements(Mutex<HashMap<String, u8>>);

impl SlowStatements {
    /// Whether `sql` was slow often enough to leave the calling thread.
    pub fn contains(&self, sql: &str) -> bool {
        self.0
            .lock()
            .map(|slow| slow.get(sql).is_some_and(|runs| *runs >= SLOW_RUNS))
            .unwrap_or(false)
    }

    /// Counts a run of `sql` that took `took`, if that was slow.
    pub fn note(&self, sql: &str, took: Duration) {
        if took < SLOW_STATEMENT {
            return;
        }
        if let Ok(mut slow) = self.0.lock() {
            if slow.len() >= SLOW_STATEMENTS && !slow.contains_key(sql) {
                slow.clear();
            }
            let runs = slow.entry(sql.to_string()).or_default();
            *runs = runs.saturating_add(1);
        }
    }
}

/// The gate a connection holds across a transaction.
#[derive(Default)]
pub struct HeldGate(Mutex<Option<OwnedMutexGuard<()>>>);

impl HeldGate {
    /// Whether this connection holds the gate (it is inside a gated transaction).
    pub fn held(&self) -> bool {
        self.0.lock().map(|guard| guard.is_some()).unwrap_or(false)
    }

    /// Keeps `guard` until [`HeldGate::release_if_done`] sees autocommit.
    pub fn hold(&self, guard: OwnedMutexGuard<()>) {
        if let Ok(mut held) = self.0.lock() {
            *held = Some(guard);
        }
    }

    /// Gives the gate back when the connection is out of its transaction.
    pub fn release_if_done(&self, autocommit: bool) {
        if autocommit && let Ok(mut held) = self.0.lock() {
            held.take();
        }
    }
}

/// Takes what `sql` needs of the gate before it runs. Returns the guard to hold while a
/// lone write runs; a `BEGIN`'s guard goes into `held` instead.
pub async fn enter(gate: &WriteGate, held: &HeldGate, sql: &str, autocommit: bool) -> Option<OwnedMutexGuard<()>> {
    if held.held() {
        return None;
    }
    match gate_use(sql) {
        GateUse::Begin if autocommit => {
            held.hold(gate.clone().lock_owned().await);
            None
        }
        GateUse::Write if autocommit => Some(gate.clone().lock_owned().await),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_with_large_bindings_are_not_cached() {
        use libsql::params::Params;
        let small = Params::Positional(vec![libsql::Value::Text("x".repeat(100)), libsql::Value::Integer(1)]);
        let large = Params::Positional(vec![libsql::Value::Text("x".repeat(MAX_CACHED_BINDINGS)), libsql::Value::Blob(vec![0])]);
        let named = Params::Named(vec![(":chat".to_owned(), libsql::Value::Blob(vec![0; MAX_CACHED_BINDINGS + 1]))]);
        assert!(cacheable(&Params::None));
        assert!(cacheable(&small));
        assert!(!cacheable(&large), "over the limit by one byte, across two values");
        assert!(!cacheable(&named));
    }

    #[test]
    fn classifies_by_first_keyword() {
        assert_eq!(gate_use("  begin immediate"), GateUse::Begin);
        assert_eq!(gate_use("INSERT INTO t VALUES (1)"), GateUse::Write);
        assert_eq!(gate_use("\n update t set a = 1"), GateUse::Write);
        assert_eq!(gate_use("SELECT 1"), GateUse::None);
        assert_eq!(gate_use("COMMIT"), GateUse::None);
        assert_eq!(gate_use("PRAGMA foreign_keys=OFF"), GateUse::None);
    }

    #[test]
    fn only_statements_that_cannot_wait_run_inline() {
        assert!(runs_inline(" select * from chat", false));
        assert!(!runs_inline("INSERT INTO t VALUES (1)", false), "a lone write may wait for another process");
        assert!(!runs_inline("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", false));
        assert!(!runs_inline("PRAGMA wal_checkpoint(TRUNCATE)", false));
        assert!(!runs_inline("BEGIN IMMEDIATE", false));
        assert!(runs_inline("UPDATE chat SET title = 't'", true), "inside our transaction the lock is ours");
        assert!(runs_inline("SELECT 1", true));
        for end in ["COMMIT", "END", "ROLLBACK", "RELEASE sp"] {
            assert!(!runs_inline(end, true), "{end} may checkpoint");
        }
    }

    #[test]
    fn a_slow_statement_is_remembered() {
        let slow = SlowStatements::default();
        slow.note("SELECT 1", Duration::from_micros(50));
        assert!(!slow.contains("SELECT 1"));
        let search = "SELECT * FROM chatsvc_message_fts";
        for run in 1..=SLOW_RUNS {
            assert!(!slow.contains(search), "slow {run} times is not enough yet");
            slow.note(search, Duration::from_millis(30));
        }
        assert!(slow.contains(search));
    }

    #[tokio::test]
    async fn a_transaction_holds_the_gate_until_autocommit() {
        let gate: WriteGate = Arc::new(tokio::sync::Mutex::new(()));
        let held = HeldGate::default();
        assert!(enter(&gate, &held, "BEGIN IMMEDIATE", true).await.is_none());
        assert!(held.held() && gate.try_lock().is_err(), "BEGIN takes the gate");
        assert!(enter(&gate, &held, "INSERT INTO t VALUES (1)", false).await.is_none(), "inside: no second take");
        held.release_if_done(false);
        assert!(held.held(), "still in the transaction");
        held.release_if_done(true);
        assert!(!held.held() && gate.try_lock().is_ok(), "COMMIT gives it back");
        let lone = enter(&gate, &held, "DELETE FROM t", true).await;
        assert!(lone.is_some() && gate.try_lock().is_err(), "a lone write holds it while it runs");
    }
}
