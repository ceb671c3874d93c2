//! `spin:sqlite` connections to a libSQL server (sqld, Turso) through the `libsql` crate's
//! remote mode (Hrana over HTTP).
//!
//! A Hrana *stream* is the server-side twin of one SQLite connection: statements on one
//! stream share its transaction and its `PRAGMA`s, and the client ties requests to it with a
//! *baton*. The `libsql` remote connection keeps one stream, but closes it after every
//! statement it runs through `execute` outside a transaction, which would lose
//! `PRAGMA foreign_keys=OFF`. So every statement here goes through `query` (a Hrana cursor),
//! which leaves the stream open, and this module tracks what `libsql` does not:
//!
//! - whether a stream is open, so a fresh one first gets `PRAGMA foreign_keys=OFF` (sqld
//!   turns foreign keys on; Open WebUI and Spin's SQLite run with them off);
//! - whether a transaction is open (`BEGIN` … `COMMIT`/`ROLLBACK`, as the core issues them),
//!   so returning the connection to the pool rolls it back;
//! - when the stream was last used: the server drops idle streams after a few seconds, so an
//!   idle stream outside a transaction is forgotten and a new one opened instead.
//!
//! A pooled connection keeps its stream for the next request ([`RemoteConnection::finish`]
//! only rolls back what a component left open), so the server holds at most one stream per
//! pooled or busy connection; dropping a connection closes its stream on the server.

use chat_core::db::hrana::recovery::{Loss, Retry, TransactionControl};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A stream idle this long (outside a transaction) is replaced before the next statement.
/// sqld expires idle streams after 10 s; stay well below.
const STREAM_IDLE_LIMIT: Duration = Duration::from_secs(5);

/// A statement the server has not answered in this long is given up ([`RemoteConnection::abandon`])
/// instead of waiting forever: a request holding the write gate would otherwise stall every
/// writer of the process behind it.
#[cfg(not(test))]
const STATEMENT_TIMEOUT: Duration = chat_core::db::hrana::recovery::STATEMENT_TIMEOUT;
/// [`STATEMENT_TIMEOUT`] in unit tests, which wait it out.
#[cfg(test)]
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(1);

/// A libSQL server database: where it is and how to reach it.
pub struct RemoteDatabase {
    db: libsql::Database,
}

impl RemoteDatabase {
    /// Prepares a client for `url` (`http://`, `https://` or `libsql://`) with an auth token
    /// (empty for a server without auth). Nothing is sent yet.
    pub async fn open(url: &str, token: &str) -> Result<Self, libsql::Error> {
        let db = libsql::Builder::new_remote(url.to_string(), token.to_string())
            .build()
            .await?;
        Ok(Self { db })
    }

    /// A new connection (a new HTTP client; its stream opens on the first statement).
    pub fn connect(&self) -> Result<RemoteConnection, libsql::Error> {
        Ok(RemoteConnection {
            conn: self.db.connect()?,
            state: Mutex::new(StreamState::default()),
        })
    }
}

/// What this side knows about a connection's stream.
#[derive(Default)]
struct StreamState {
    /// A stream is open on the server (it has had `PRAGMA foreign_keys=OFF`).
    open: bool,
    /// The `BEGIN …` of the open transaction, if one is open.
    begin: Option<String>,
    /// Statements run in the open transaction after its `BEGIN`.
    in_transaction_statements: usize,
    /// When its last statement finished.
    last_used: Option<Instant>,
}

impl StreamState {
    fn in_transaction(&self) -> bool {
        self.begin.is_some()
    }
}

/// A statement's whole result, read to its end before it is handed over: sqld reports a
/// statement it interrupted (or whose stream it dropped) in the middle of the rows it streams
/// back, and only a result not yet handed over can be replaced by running the statement again.
pub struct RemoteRows {
    /// The result's column names.
    pub columns: Vec<String>,
    /// The rows, one value per column.
    pub rows: Vec<Vec<libsql::Value>>,
}

impl RemoteRows {
    /// Reads `rows` to the end.
    async fn read(mut rows: libsql::Rows) -> Result<Self, libsql::Error> {
        let count = rows.column_count();
        let columns = (0..count)
            .map(|i| rows.column_name(i).unwrap_or_default().to_string())
            .collect();
        let mut all = Vec::new();
        while let Some(row) = rows.next().await? {
            all.push((0..count).map(|i| row.get_value(i)).collect::<Result<_, _>>()?);
        }
        Ok(Self { columns, rows: all })
    }
}

/// One remote connection: one Hrana stream at a time.
pub struct RemoteConnection {
    conn: libsql::Connection,
    state: Mutex<StreamState>,
}

impl RemoteConnection {
    /// Runs `sql` on this connection's stream and returns all its rows (none for a statement
    /// that returns none).
    ///
    /// When sqld did not run the statement to its end (it dropped the stream, e.g. expired
    /// while the statement waited for the write lock, or it interrupted the statement or took
    /// the write lock back, before or while the rows came back) and nothing but a `BEGIN` ran
    /// on the stream since the last commit, the statement is run again (on a new stream when
    /// the old one is gone, with that `BEGIN` first), with growing pauses for up to 10 s
    /// ([`Retry`]): nothing was lost, and a statement stuck behind a crashed node's
    /// transaction gets through once sqld takes the lock back, instead of failing.
    pub async fn query(
        &self,
        sql: &str,
        params: libsql::params::Params,
    ) -> Result<RemoteRows, libsql::Error> {
        let kind = TransactionControl::of(sql);
        let mut retry = self.with_state(|state| {
            Retry::new(state.begin.as_deref(), state.in_transaction_statements, kind)
        });
        let mut result = self.run(sql, params.clone(), kind).await;
        loop {
            let Err(error) = &result else {
                return result;
            };
            let loss = loss_of(error);
            if loss == Some(Loss::Stream) {
                // Whatever the stream held is gone with it on the server.
                self.forget_stream().await;
            }
            let Some(attempt) = retry.after(loss) else {
                return result;
            };
            if attempt.roll_back_first {
                // The stream lives on, maybe still inside the `BEGIN`. (Failing, it leaves
                // no transaction either; see `run`.)
                let rollback = Some(TransactionControl::Rollback);
                let _ = self
                    .run("ROLLBACK", libsql::params::Params::None, rollback)
                    .await;
            }
            tracing::debug!(
                "libSQL statement not run ({error}); running it again in {:?}",
                attempt.pause
            );
            tokio::time::sleep(attempt.pause).await;
            result = match &attempt.begin {
                Some(begin) => {
                    let control = Some(TransactionControl::Begin);
                    match self.run(begin, libsql::params::Params::None, control).await {
                        Ok(_) => self.run(sql, params.clone(), kind).await,
                        Err(error) => Err(error),
                    }
                }
                None => self.run(sql, params.clone(), kind).await,
            };
        }
    }

    /// Drops the stream on this side (the server has dropped it already).
    async fn forget_stream(&self) {
        self.conn.reset().await;
        self.update(|state| *state = StreamState::default());
    }

    /// [`RemoteConnection::query`] without the retry.
    async fn run(
        &self,
        sql: &str,
        params: libsql::params::Params,
        kind: Option<TransactionControl>,
    ) -> Result<RemoteRows, libsql::Error> {
        if self.stream_needs_replacing() {
            self.conn.reset().await;
            self.update(|state| state.open = false);
        }
        if !self.with_state(|state| state.open) {
            if let Err(e) = self.open_stream().await {
                self.conn.reset().await;
                return Err(e);
            }
            self.update(|state| {
                *state = StreamState {
                    open: true,
                    ..StreamState::default()
                }
            });
        }
        let answer = tokio::time::timeout(STATEMENT_TIMEOUT, async {
            match self.conn.query(sql, params).await {
                Ok(rows) => RemoteRows::read(rows).await,
                Err(e) => Err(e),
            }
        })
        .await;
        let Ok(result) = answer else {
            return Err(self.abandon(sql).await);
        };
        self.update(|state| {
            state.last_used = Some(Instant::now());
            match (&result, kind) {
                (Ok(_), Some(TransactionControl::Begin)) => {
                    state.begin = Some(sql.to_string());
                    state.in_transaction_statements = 0;
                }
                (Ok(_), Some(TransactionControl::Commit)) => state.begin = None,
                // A failed `ROLLBACK` means there was no transaction (or no stream) left.
                (_, Some(TransactionControl::Rollback)) => state.begin = None,
                (_, _) if state.in_transaction() => state.in_transaction_statements += 1,
                // Outside a transaction a failed statement may have been a failed request: the
                // stream may be gone, so start a new one (a statement error costs one PRAGMA).
                (Err(_), _) => state.open = false,
                (Ok(_), _) => {}
            }
        });
        if result.is_err() && !self.with_state(|state| state.open) {
            self.conn.reset().await;
        }
        result
    }

    /// Opens a stream: its first statement turns foreign keys off.
    async fn open_stream(&self) -> Result<(), libsql::Error> {
        let pragma = "PRAGMA foreign_keys=OFF";
        let opened = tokio::time::timeout(STATEMENT_TIMEOUT, async {
            let mut rows = self.conn.query(pragma, ()).await?;
            while rows.next().await?.is_some() {}
            Ok(())
        })
        .await;
        match opened {
            Ok(result) => result,
            Err(_) => Err(self.abandon(pragma).await),
        }
    }

    /// Gives up a statement the server did not answer within [`STATEMENT_TIMEOUT`]: whether it
    /// ran is unknown, so it is not run again; the stream, with any transaction on it, is
    /// dropped on this side (the server expires it), and the error goes to the component.
    async fn abandon(&self, sql: &str) -> libsql::Error {
        let shown: String = sql.chars().take(80).collect();
        tracing::warn!("the libSQL server did not answer `{shown}` in {STATEMENT_TIMEOUT:?}; abandoning its stream");
        self.forget_stream().await;
        libsql::Error::ConnectionFailed(format!("no answer from the libSQL server in {STATEMENT_TIMEOUT:?}"))
    }

    /// No transaction is open on this connection's stream (as far as this side knows).
    pub fn is_autocommit(&self) -> bool {
        !self.with_state(StreamState::in_transaction)
    }

    /// Rows changed by the last statement.
    pub fn changes(&self) -> u64 {
        self.conn.changes()
    }

    /// The last inserted rowid as the server last reported it (Hrana cursors do not report
    /// it, so it is only current after a statement run outside them; the core does not use it).
    pub fn last_insert_rowid(&self) -> i64 {
        self.conn.last_insert_rowid()
    }

    /// Readies the connection for its next user: rolls back a transaction left open and
    /// keeps the stream (with its `PRAGMA`) for the next request, which saves it three round
    /// trips. `false` when the rollback failed and the connection should not be reused.
    pub async fn finish(&self) -> bool {
        if !self.with_state(|state| state.open && state.in_transaction()) {
            return true;
        }
        let rollback = Some(TransactionControl::Rollback);
        match self
            .run("ROLLBACK", libsql::params::Params::None, rollback)
            .await
        {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!("rolling back a libSQL stream failed, dropping the connection: {e}");
                false
            }
        }
    }

    /// The stream is open, idle for long, and holds no transaction.
    fn stream_needs_replacing(&self) -> bool {
        self.with_state(|state| {
            state.open
                && !state.in_transaction()
                && state
                    .last_used
                    .is_some_and(|at| at.elapsed() >= STREAM_IDLE_LIMIT)
        })
    }

    fn with_state<T>(&self, read: impl FnOnce(&StreamState) -> T) -> T {
        match self.state.lock() {
            Ok(state) => read(&state),
            Err(poisoned) => read(&poisoned.into_inner()),
        }
    }

    fn update(&self, write: impl FnOnce(&mut StreamState)) {
        match self.state.lock() {
            Ok(mut state) => write(&mut state),
            Err(poisoned) => write(&mut poisoned.into_inner()),
        }
    }
}

/// Why sqld did not run a statement (see [`Loss`]), read from the `libsql` crate's error text,
/// which carries the Hrana error code.
fn loss_of(error: &libsql::Error) -> Option<Loss> {
    let message = error.to_string();
    // `429 Timed out while opening database connection`: sqld had no connection free for a
    // new stream (its --max-concurrent-connections), so nothing ran on it.
    if message.contains("Stream handle") || message.contains("status=429") {
        return Some(Loss::Stream);
    }
    ["STREAM_EXPIRED", "TRANSACTION_TIMEOUT", "SQLITE_INTERRUPT", "SQLITE_BUSY"]
        .into_iter()
        .find(|code| message.contains(code))
        .and_then(Loss::of_code)
}

#[cfg(test)]
mod tests {
    use super::{Loss, RemoteDatabase, STATEMENT_TIMEOUT, loss_of};

    #[tokio::test]
    async fn a_server_that_never_answers_fails_the_statement_instead_of_hanging() {
        // Accepts connections and reads requests, never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let database = RemoteDatabase::open(&format!("http://{address}"), "").await.unwrap_or_else(|e| panic!("{e}"));
        let connection = database.connect().unwrap_or_else(|e| panic!("{e}"));
        let started = std::time::Instant::now();
        let query = connection.query("BEGIN IMMEDIATE", libsql::params::Params::None);
        let result = tokio::time::timeout(STATEMENT_TIMEOUT * 10, query).await.unwrap_or_else(|_| panic!("the statement hung"));
        assert!(result.is_err(), "no answer is an error");
        assert!(started.elapsed() < STATEMENT_TIMEOUT * 3, "given up after about {STATEMENT_TIMEOUT:?}: {:?}", started.elapsed());
        assert!(connection.is_autocommit(), "nothing is left open on this side, so the write gate is given back");
    }

    #[test]
    fn losses_are_read_from_sqld_errors() {
        let error = |message: &str| libsql::Error::Hrana(message.into());
        let cases = [
            (
                r#"api error: `status=400 Bad Request, body={"message":"The stream has expired due to inactivity","code":"STREAM_EXPIRED"}`"#,
                Some(Loss::Stream),
            ),
            (
                "cursor error: `error at step 0: (error code: TRANSACTION_TIMEOUT) `Transaction timed out``",
                Some(Loss::Statement),
            ),
            (
                r#"stream error: `Error { message: "SQLite error: interrupted", code: "SQLITE_INTERRUPT" }`"#,
                Some(Loss::Statement),
            ),
            (
                r#"api error: `status=429 Too Many Requests, body={"error":"Timed out while opening database connection"}`"#,
                Some(Loss::Stream),
            ),
            (
                "cursor error: `error at step 0: (error code: SQLITE_BUSY) `SQLite error: database is locked``",
                Some(Loss::Statement),
            ),
            (
                r#"stream error: `Error { message: "SQLite error: UNIQUE constraint failed: chat.id", code: "SQLITE_CONSTRAINT_PRIMARYKEY" }`"#,
                None,
            ),
            (
                "http error: `error trying to connect: tcp connect error: Connection refused`",
                None,
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(loss_of(&error(message)), expected, "{message}");
        }
    }
}
