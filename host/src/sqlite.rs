//! `spin:sqlite@3.1.0` backed by the `libsql` crate.
//!
//! - Database labels: a component may open only the labels listed in its `sqlite_databases`
//!   (else `access-denied`); `default` is the `--db` file, or the libSQL server at `--db-url`
//!   (see [`remote`]); any other label is `no-such-database`.
//! - Each database is opened once (`libsql::Database` is not `Clone`, so it lives in an `Arc`)
//!   and hands out connections from a small pool instead of calling `connect()` per `open`.
//!   Every new connection gets `busy_timeout = 5 s`, `synchronous = NORMAL` and a larger page
//!   cache (under one soft heap limit for the process); the database is
//!   switched to WAL once, at startup. Foreign keys stay off, as in Open WebUI on SQLite.
//! - A `connection` resource holds one pooled connection for its whole life, so a component's
//!   `BEGIN … COMMIT` sequence runs on one SQLite connection. When the resource is dropped (or
//!   its store is, e.g. after a trap) an open transaction is rolled back and the connection
//!   goes back to the pool.
//! - SQLite calls block, so they run on tokio's blocking pool, never on the async workers.
//!   `execute-async` (what spin-sdk 7 calls) streams rows to the guest through a bounded
//!   channel while the statement is still stepping; its final `future` carries the statement's
//!   error, if any, after the last row. Remote statements are network I/O, not blocking
//!   work: they run as ordinary tokio tasks.

use crate::bindings::spin::sqlite::sqlite::{self as wit, Error, QueryResult, RowResult, Value};
use crate::runtime::HostState;
use anyhow::{Context as _, Result};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use wasmtime::StoreContextMut;
use wasmtime::component::{
    Accessor, Destination, FutureReader, HasData, Linker, Resource, ResourceTable, StreamProducer,
    StreamReader, StreamResult, VecBuffer,
};

/// Idle connections kept per database.
const MAX_IDLE_CONNECTIONS: usize = 16;
/// How long SQLite waits on a locked database before answering `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Page cache of each local connection, KiB (SQLite's default is 2,000). A search maps its
/// FTS hits to their rows at random; at 100,000 chats (2 M messages) the default cache holds
/// too few of the table's interior pages, and mapping 1,924 hits took 5.9 ms against 2.2 ms
/// with 16 MiB (docs/performance.md, session 7).
const PAGE_CACHE_KIB: u32 = 32 * 1024;
/// SQLite's memory in this whole process, bytes, past which the page caches recycle their
/// own pages instead of growing: the pool's connections together stay near this, not at
/// [`MAX_IDLE_CONNECTIONS`] x [`PAGE_CACHE_KIB`].
const SQLITE_SOFT_HEAP_LIMIT: u64 = 96 * 1024 * 1024;
/// Rows buffered between the stepping statement and a slow guest reader.
const ROW_CHANNEL_CAPACITY: usize = 256;
/// Rows handed to the guest per stream read, at most.
const ROWS_PER_READ: usize = 128;

pub mod local;
pub mod remote;

/// Where the `default` database lives.
#[derive(Clone)]
pub enum DatabaseLocation {
    /// A local SQLite/libSQL file.
    File(PathBuf),
    /// A libSQL server (sqld, Turso) reached over Hrana-over-HTTP.
    Remote {
        /// `http://`, `https://` or `libsql://` URL.
        url: String,
        /// Auth token (empty when the server needs none).
        token: String,
    },
}

impl std::fmt::Display for DatabaseLocation {
    /// The file path or the URL; never the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Remote { url, .. } => write!(f, "{url}"),
        }
    }
}

impl std::fmt::Debug for DatabaseLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// The databases this process serves, by label.
#[derive(Default)]
pub struct SqliteDatabases {
    by_label: HashMap<String, Arc<DbPool>>,
}

impl SqliteDatabases {
    /// Opens `location` as the `default` database (creating a local file if needed; checking
    /// that a libSQL server answers).
    pub async fn open_default(location: &DatabaseLocation) -> Result<Self> {
        let pool = match location {
            DatabaseLocation::File(path) => DbPool::open_local("default", path).await?,
            DatabaseLocation::Remote { url, token } => {
                DbPool::open_remote("default", url, token).await?
            }
        };
        let mut by_label = HashMap::new();
        by_label.insert("default".to_string(), pool);
        Ok(Self { by_label })
    }

    fn get(&self, label: &str) -> Option<Arc<DbPool>> {
        self.by_label.get(label).cloned()
    }
}

/// A local database file or a libSQL server.
enum Backend {
    Local(libsql::Database),
    Remote(remote::RemoteDatabase),
}

/// A connection of either [`Backend`].
enum Conn {
    Local(local::LocalConn),
    Remote(remote::RemoteConnection),
}

impl Conn {
    fn changes(&self) -> u64 {
        match self {
            Self::Local(conn) => conn.changes(),
            Self::Remote(conn) => conn.changes(),
        }
    }

    /// Outside a transaction.
    fn is_autocommit(&self) -> bool {
        match self {
            Self::Local(conn) => conn.is_autocommit(),
            Self::Remote(conn) => conn.is_autocommit(),
        }
    }

    fn last_insert_rowid(&self) -> i64 {
        match self {
            Self::Local(conn) => conn.last_insert_rowid(),
            Self::Remote(conn) => conn.last_insert_rowid(),
        }
    }
}

/// One database and its idle connections.
pub struct DbPool {
    label: String,
    backend: Backend,
    idle: Mutex<Vec<Conn>>,
    /// Writers of this process queue here: rather than in SQLite's busy handler for a local
    /// file, rather than inside the server for a libSQL server.
    gate: local::WriteGate,
    /// Local databases: statements too slow to run on an async worker.
    slow: local::SlowStatements,
}

/// Sets `journal_mode=WAL` (stored in the file: once is enough). Another process opening the
/// same file at the same moment (a second host, Open WebUI, a test's reader) can make the
/// switch answer `database is locked` at once, without waiting out the busy timeout: try again
/// for a few seconds rather than fail the start.
async fn switch_to_wal(conn: &libsql::Connection) -> Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        let attempt = async {
            let mut rows = conn.query("PRAGMA journal_mode=WAL", ()).await?;
            while rows.next().await?.is_some() {}
            Ok::<_, libsql::Error>(())
        };
        match attempt.await {
            Ok(()) => return Ok(()),
            Err(e) if e.to_string().contains("locked") && std::time::Instant::now() < deadline => {
                tracing::debug!("switching to WAL: {e}; trying again");
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(e).context("cannot switch the database to WAL"),
        }
    }
}

impl DbPool {
    async fn open_local(label: &str, path: &Path) -> Result<Arc<Self>> {
        let path = path.to_path_buf();
        let label = label.to_string();
        tokio::task::spawn_blocking(move || {
            futures::executor::block_on(async move {
                let db = libsql::Builder::new_local(&path)
                    .build()
                    .await
                    .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
                let pool = Arc::new(Self {
                    label,
                    backend: Backend::Local(db),
                    idle: Mutex::new(Vec::new()),
                    gate: Arc::default(),
                    slow: local::SlowStatements::default(),
                });
                let conn = pool.new_local_connection().await?;
                switch_to_wal(&conn).await?;
                // Process-wide: once, not per connection.
                let mut rows = conn
                    .query(&format!("PRAGMA soft_heap_limit={SQLITE_SOFT_HEAP_LIMIT}"), ())
                    .await?;
                while rows.next().await?.is_some() {}
                drop(rows);
                pool.release_local(local::LocalConn::new(conn));
                Ok(pool)
            })
        })
        .await?
    }

    /// A client for the libSQL server at `url`, checked with one `SELECT 1` so that a wrong
    /// URL or token fails at startup rather than at the first request.
    async fn open_remote(label: &str, url: &str, token: &str) -> Result<Arc<Self>> {
        let db = remote::RemoteDatabase::open(url, token)
            .await
            .with_context(|| format!("cannot open libSQL database {url}"))?;
        let conn = db.connect()?;
        conn.query("SELECT 1", libsql::params::Params::None)
            .await
            .with_context(|| format!("libSQL server {url} does not answer"))?;
        let pool = Arc::new(Self {
            label: label.to_string(),
            backend: Backend::Remote(db),
            idle: Mutex::new(Vec::new()),
            gate: Arc::default(),
            slow: local::SlowStatements::default(),
        });
        if conn.finish().await {
            pool.keep_idle(Conn::Remote(conn));
        }
        Ok(pool)
    }

    fn is_remote(&self) -> bool {
        matches!(self.backend, Backend::Remote(_))
    }

    /// Runs `work` where its kind of database work belongs: a local statement blocks, so on
    /// the blocking pool; a remote one is network I/O, so on an async worker.
    fn spawn<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        if self.is_remote() {
            tokio::spawn(work)
        } else {
            tokio::task::spawn_blocking(move || futures::executor::block_on(work))
        }
    }

    /// A fresh local connection with the per-connection settings applied.
    async fn new_local_connection(&self) -> Result<libsql::Connection, libsql::Error> {
        let Backend::Local(db) = &self.backend else {
            return Err(libsql::Error::Misuse("not a local database".to_string()));
        };
        let conn = db.connect()?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mut rows = conn.query("PRAGMA synchronous=NORMAL", ()).await?;
        while rows.next().await?.is_some() {}
        drop(rows);
        // Statement journals (every statement firing the FTS triggers has one) in memory.
        conn.execute("PRAGMA temp_store=MEMORY", ()).await?;
        conn.execute(&format!("PRAGMA cache_size=-{PAGE_CACHE_KIB}"), ()).await?;
        // libsql is built with SQLITE_DEFAULT_FOREIGN_KEYS=1, but Spin's SQLite and Open
        // WebUI (which may share this file) run with foreign keys off: match them.
        conn.execute("PRAGMA foreign_keys=OFF", ()).await?;
        Ok(conn)
    }

    /// Takes an idle connection or opens a new one. Blocking for a local database: call from
    /// the blocking pool (see [`DbPool::spawn`]).
    async fn acquire(self: Arc<Self>) -> Result<PooledConnection, libsql::Error> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match (idle, &self.backend) {
            (Some(conn), _) => conn,
            (None, Backend::Local(_)) => {
                Conn::Local(local::LocalConn::new(self.new_local_connection().await?))
            }
            (None, Backend::Remote(db)) => Conn::Remote(db.connect()?),
        };
        Ok(PooledConnection {
            conn: Some(conn),
            pool: self,
            held: local::HeldGate::default(),
        })
    }

    /// Puts a connection back, rolling back whatever transaction it was left in (and, for a
    /// remote one, ending its stream). Blocking for a local database.
    async fn release(&self, conn: Conn) {
        match conn {
            Conn::Local(conn) => self.release_local(conn),
            Conn::Remote(conn) => {
                if conn.finish().await {
                    self.keep_idle(Conn::Remote(conn));
                }
            }
        }
    }

    /// [`DbPool::release`] for a local connection. Blocking: call from the blocking pool (or
    /// when no runtime is around).
    fn release_local(&self, conn: local::LocalConn) {
        if !conn.is_autocommit() {
            conn.clear_statements();
            if let Err(e) = futures::executor::block_on(conn.execute("ROLLBACK", ())) {
                tracing::warn!(database = %self.label, "rollback of an abandoned transaction failed, closing the connection: {e}");
                return;
            }
            tracing::debug!(database = %self.label, "rolled back a transaction left open by a component");
        }
        self.keep_idle(Conn::Local(conn));
    }

    fn keep_idle(&self, conn: Conn) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE_CONNECTIONS
        {
            idle.push(conn);
        }
    }
}

/// A connection borrowed from a [`DbPool`]; it goes back when the last reference drops.
pub struct PooledConnection {
    /// Always `Some` until dropped.
    conn: Option<Conn>,
    pool: Arc<DbPool>,
    /// The write gate, while this connection is inside a transaction it started.
    held: local::HeldGate,
}

impl PooledConnection {
    /// Takes the write gate if `sql` needs it; see [`local`].
    ///
    /// Remote connections take it as local ones do: one write transaction per process at a
    /// time reaches the libSQL server. Without it, 32 concurrent `BEGIN IMMEDIATE`s from one host all
    /// waited inside sqld for its single write lock, and writes stalled for whole seconds
    /// (`scripts/bench-scaleout`, `POST /new`).
    async fn enter(&self, sql: &str) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        let autocommit = self.conn.as_ref()?.is_autocommit();
        local::enter(&self.pool.gate, &self.held, sql, autocommit).await
    }

    /// Whether `sql` runs on the calling thread: a local statement that cannot wait on a
    /// lock (see [`local::runs_inline`]) and was never slow ([`local::SlowStatements`]).
    /// Remote statements are network I/O on an async
    /// worker either way.
    fn runs_inline(&self, sql: &str) -> bool {
        matches!(self.conn, Some(Conn::Local(_)))
            && local::runs_inline(sql, self.held.held())
            && !self.pool.slow.contains(sql)
    }

    /// [`read_all`] on the calling thread, remembering the statement if it was slow.
    async fn read_inline(&self, sql: &str, params: Vec<Value>) -> Result<QueryResult, Error> {
        let started = std::time::Instant::now();
        let result = read_all(self, sql, params).await;
        self.pool.slow.note(sql, started.elapsed());
        result
    }

    /// Runs a statement: a local one through the connection's statement cache (give the
    /// statement back with [`PooledConnection::finish`]; none comes back when its bindings
    /// are too large to keep, see [`local::cacheable`]).
    async fn run(
        &self,
        sql: &str,
        params: libsql::params::Params,
    ) -> Result<(Rows, Option<libsql::Statement>), Error> {
        match self.conn()? {
            Conn::Local(conn) => {
                let cacheable = local::cacheable(&params);
                let statement = conn.statement(sql).await.map_err(io_error)?;
                let rows = statement.query(params).await.map_err(io_error)?;
                Ok((Rows::Stepping(rows), cacheable.then_some(statement)))
            }
            Conn::Remote(conn) => {
                let rows = conn.query(sql, params).await.map_err(io_error)?;
                Ok((Rows::Read(rows.columns, rows.rows.into_iter()), None))
            }
        }
    }

    /// After a statement (its rows dropped): caches it, and gives the write gate back once
    /// the connection is out of its transaction.
    fn finish(&self, sql: &str, statement: Option<libsql::Statement>) {
        if let Some(Conn::Local(conn)) = self.conn.as_ref()
            && let Some(statement) = statement
        {
            conn.keep(sql.to_owned(), statement);
        }
        if let Some(conn) = self.conn.as_ref() {
            self.held.release_if_done(conn.is_autocommit());
        }
    }

    fn conn(&self) -> Result<&Conn, Error> {
        self.conn.as_ref().ok_or(Error::InvalidConnection)
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let pool = self.pool.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(_) => {
                // A local ROLLBACK may have to wait for the file lock: not on an async worker.
                let release = pool.clone();
                drop(pool.spawn(async move { release.release(conn).await }));
            }
            Err(_) => match conn {
                Conn::Local(conn) => pool.release_local(conn),
                // Without a runtime nothing can reach the server; the stream expires there.
                Conn::Remote(_) => {}
            },
        }
    }
}

/// The host representation of a guest's `connection` resource.
///
/// Statements running on a blocking thread hold their own reference, so the connection is
/// returned to the pool only once the resource is dropped *and* they are finished.
pub struct SqliteConnection {
    inner: Arc<PooledConnection>,
}

/// The per-store `spin:sqlite` state.
pub struct SqliteCtx {
    allowed: Arc<HashSet<String>>,
    databases: Arc<SqliteDatabases>,
    table: ResourceTable,
}

impl SqliteCtx {
    /// State for a component allowed to open `allowed` databases.
    pub fn new(allowed: Arc<HashSet<String>>, databases: Arc<SqliteDatabases>) -> Self {
        Self {
            allowed,
            databases,
            table: ResourceTable::new(),
        }
    }

    fn pool_for(&self, label: &str) -> Result<Arc<DbPool>, Error> {
        if !self.allowed.contains(label) {
            return Err(Error::AccessDenied);
        }
        self.databases.get(label).ok_or(Error::NoSuchDatabase)
    }

    fn connection(&self, r: &Resource<SqliteConnection>) -> Result<Arc<PooledConnection>, Error> {
        self.table
            .get(r)
            .map(|c| c.inner.clone())
            .map_err(|_| Error::InvalidConnection)
    }

    fn push(&mut self, conn: PooledConnection) -> wasmtime::Result<Resource<SqliteConnection>> {
        Ok(self.table.push(SqliteConnection {
            inner: Arc::new(conn),
        })?)
    }
}

fn io_error(e: libsql::Error) -> Error {
    match e {
        libsql::Error::SqliteFailure(_, msg) => Error::Io(msg),
        other => Error::Io(other.to_string()),
    }
}

fn to_libsql(v: Value) -> libsql::Value {
    match v {
        Value::Integer(i) => libsql::Value::Integer(i),
        Value::Real(r) => libsql::Value::Real(r),
        Value::Text(t) => libsql::Value::Text(t),
        Value::Blob(b) => libsql::Value::Blob(b),
        Value::Null => libsql::Value::Null,
    }
}

fn from_libsql(v: libsql::Value) -> Value {
    match v {
        libsql::Value::Integer(i) => Value::Integer(i),
        libsql::Value::Real(r) => Value::Real(r),
        libsql::Value::Text(t) => Value::Text(t),
        libsql::Value::Blob(b) => Value::Blob(b),
        libsql::Value::Null => Value::Null,
    }
}

fn convert_row(row: &libsql::Row, columns: i32) -> Result<RowResult, Error> {
    let values = (0..columns)
        .map(|i| row.get_value(i).map(from_libsql).map_err(io_error))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RowResult { values })
}

/// Opens a connection for `label` (on the blocking pool for a local database).
async fn open_connection(pool: Result<Arc<DbPool>, Error>) -> Result<PooledConnection, Error> {
    let pool = pool?;
    pool.clone()
        .spawn(async move { pool.acquire().await.map_err(io_error) })
        .await
        .unwrap_or_else(|e| Err(Error::Io(format!("open failed: {e}"))))
}

/// Runs a statement to completion (the `execute` sync variant): on the calling thread when
/// it cannot wait (see [`PooledConnection::runs_inline`]), else on the blocking pool.
async fn query_all(
    conn: Arc<PooledConnection>,
    sql: String,
    params: Vec<Value>,
) -> Result<QueryResult, Error> {
    if conn.runs_inline(&sql) {
        return conn.read_inline(&sql, params).await;
    }
    let pool = conn.pool.clone();
    let lone_write = conn.enter(&sql).await;
    pool.spawn(async move {
        let result = read_all(&conn, &sql, params).await;
        drop(lone_write);
        result
    })
    .await
    .unwrap_or_else(|e| Err(Error::Io(format!("query failed: {e}"))))
}

/// Runs a statement, reads all its rows and gives the statement back to the connection.
async fn read_all(
    conn: &PooledConnection,
    sql: &str,
    params: Vec<Value>,
) -> Result<QueryResult, Error> {
    let params = libsql::params::Params::Positional(params.into_iter().map(to_libsql).collect());
    let result = async {
        let (mut rows, statement) = conn.run(sql, params).await?;
        let columns = rows.column_names();
        let mut out = Vec::new();
        while let Some(row) = rows.next().await? {
            out.push(row);
        }
        Ok((QueryResult { columns, rows: out }, statement))
    }
    .await;
    let (result, statement) = match result {
        Ok((result, statement)) => (Ok(result), statement),
        Err(e) => (Err(e), None),
    };
    conn.finish(sql, statement);
    result
}

/// A statement's rows: still stepping on a local connection, or already read from a server.
enum Rows {
    /// A local statement, stepped row by row.
    Stepping(libsql::Rows),
    /// A remote statement's whole result (see [`remote::RemoteRows`]): column names and rows.
    Read(Vec<String>, std::vec::IntoIter<Vec<libsql::Value>>),
}

impl Rows {
    fn column_names(&self) -> Vec<String> {
        match self {
            Self::Stepping(rows) => (0..rows.column_count())
                .map(|i| rows.column_name(i).unwrap_or_default().to_string())
                .collect(),
            Self::Read(columns, _) => columns.clone(),
        }
    }

    /// The next row, `None` after the last.
    async fn next(&mut self) -> Result<Option<RowResult>, Error> {
        match self {
            Self::Stepping(rows) => {
                let columns = rows.column_count();
                match rows.next().await.map_err(io_error)? {
                    Some(row) => convert_row(&row, columns).map(Some),
                    None => Ok(None),
                }
            }
            Self::Read(_, rows) => Ok(rows.next().map(|values| RowResult {
                values: values.into_iter().map(from_libsql).collect(),
            })),
        }
    }
}

/// A statement stepping on a blocking thread, feeding rows into a channel.
struct StreamingQuery {
    columns: Vec<String>,
    rows: mpsc::Receiver<RowResult>,
    done: oneshot::Receiver<Result<(), Error>>,
}

/// Starts a statement; resolves once it is prepared (with its column names) or has failed.
async fn query_streaming(
    conn: Arc<PooledConnection>,
    sql: String,
    params: Vec<Value>,
) -> Result<StreamingQuery, Error> {
    if conn.runs_inline(&sql) {
        return conn.read_inline(&sql, params).await.map(StreamingQuery::read);
    }
    let (columns_tx, columns_rx) = oneshot::channel();
    let (rows_tx, rows_rx) = mpsc::channel(ROW_CHANNEL_CAPACITY);
    let (done_tx, done_rx) = oneshot::channel();
    let pool = conn.pool.clone();
    let lone_write = conn.enter(&sql).await;
    let task = pool.spawn(async move {
        let params =
            libsql::params::Params::Positional(params.into_iter().map(to_libsql).collect());
        let (mut rows, statement) = match conn.run(&sql, params).await {
            Ok(started) => started,
            Err(e) => {
                conn.finish(&sql, None);
                drop(lone_write);
                let _ = columns_tx.send(Err(e));
                return;
            }
        };
        if columns_tx.send(Ok(rows.column_names())).is_err() {
            drop(rows);
            conn.finish(&sql, statement);
            return;
        }
        let result = loop {
            match rows.next().await {
                Ok(Some(row)) => {
                    // The guest dropped the stream: stop stepping, nothing to report.
                    // (On the blocking pool this parks the thread, like `blocking_send`.)
                    if rows_tx.send(row).await.is_err() {
                        break Ok(());
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        drop(rows_tx);
        drop(rows);
        conn.finish(&sql, statement);
        drop(lone_write);
        let _ = done_tx.send(result);
        // `conn` (the pool reference) drops here, after the statement is finalized.
    });
    drop(task);
    let columns = columns_rx
        .await
        .unwrap_or_else(|_| Err(Error::Io("query task ended unexpectedly".to_string())))?;
    Ok(StreamingQuery {
        columns,
        rows: rows_rx,
        done: done_rx,
    })
}

impl StreamingQuery {
    /// A query already run to its end: its rows wait in a channel just big enough.
    fn read(result: QueryResult) -> Self {
        let (rows_tx, rows) = mpsc::channel(result.rows.len().max(1));
        for row in result.rows {
            // Cannot fail: the channel has room for every row and its receiver is here.
            let _ = rows_tx.try_send(row);
        }
        let (done_tx, done) = oneshot::channel();
        let _ = done_tx.send(Ok(()));
        Self {
            columns: result.columns,
            rows,
            done,
        }
    }
}

/// Feeds a guest `stream<row-result>` from the channel a [`StreamingQuery`] fills.
struct RowProducer {
    rows: mpsc::Receiver<RowResult>,
}

impl<D> StreamProducer<D> for RowProducer {
    type Item = RowResult;
    type Buffer = VecBuffer<RowResult>;

    fn poll_produce<'a>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        store: StoreContextMut<'a, D>,
        mut dst: Destination<'a, Self::Item, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        // A zero-length read only asks "ready?": say yes without buffering anything.
        if dst.remaining(store) == Some(0) {
            return Poll::Ready(Ok(StreamResult::Completed));
        }
        let mut batch = Vec::new();
        match self
            .get_mut()
            .rows
            .poll_recv_many(cx, &mut batch, ROWS_PER_READ)
        {
            Poll::Ready(0) => Poll::Ready(Ok(StreamResult::Dropped)),
            Poll::Ready(_) => {
                dst.set_buffer(batch.into());
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Poll::Pending if finish => Poll::Ready(Ok(StreamResult::Cancelled)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Marker tying the `spin:sqlite` bindings to [`SqliteCtx`] in the store.
pub struct Sqlite;

impl HasData for Sqlite {
    type Data<'a> = &'a mut SqliteCtx;
}

/// Adds `spin:sqlite@3.1.0` to the linker.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    add_to_linker_with(linker, |s| &mut s.sqlite)
}

/// Adds `spin:sqlite@3.1.0` to any linker whose store holds a [`SqliteCtx`] (the realtime
/// component's store is not a [`HostState`]).
pub fn add_to_linker_with<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut SqliteCtx,
) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, Sqlite>(linker, get)
}

impl wit::Host for &mut SqliteCtx {}

impl wit::HostConnection for &mut SqliteCtx {
    async fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<SqliteConnection>, Error>> {
        match open_connection(self.pool_for(&database)).await {
            Ok(conn) => Ok(Ok(self.push(conn)?)),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn execute(
        &mut self,
        connection: Resource<SqliteConnection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<Result<QueryResult, Error>> {
        let conn = match self.connection(&connection) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(query_all(conn, statement, parameters).await)
    }

    async fn last_insert_rowid(
        &mut self,
        connection: Resource<SqliteConnection>,
    ) -> wasmtime::Result<i64> {
        let conn = self.connection(&connection)?;
        Ok(conn.conn().map_or(0, Conn::last_insert_rowid))
    }

    async fn changes(&mut self, connection: Resource<SqliteConnection>) -> wasmtime::Result<u64> {
        let conn = self.connection(&connection)?;
        Ok(conn.conn().map_or(0, Conn::changes))
    }

    async fn drop(&mut self, connection: Resource<SqliteConnection>) -> wasmtime::Result<()> {
        // Dropping the last reference returns the connection to the pool (see `PooledConnection`).
        self.table.delete(connection)?;
        Ok(())
    }
}

impl<T: Send> wit::HostConnectionWithStore<T> for Sqlite {
    async fn open_async(
        accessor: &Accessor<T, Self>,
        database: String,
    ) -> wasmtime::Result<Result<Resource<SqliteConnection>, Error>> {
        let pool = accessor.with(|mut a| a.get().pool_for(&database));
        match open_connection(pool).await {
            Ok(conn) => Ok(Ok(accessor.with(|mut a| a.get().push(conn))?)),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn execute_async(
        accessor: &Accessor<T, Self>,
        connection: Resource<SqliteConnection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<
        Result<
            (
                Vec<String>,
                StreamReader<RowResult>,
                FutureReader<Result<(), Error>>,
            ),
            Error,
        >,
    > {
        let conn = match accessor.with(|mut a| a.get().connection(&connection)) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let query = match query_streaming(conn, statement, parameters).await {
            Ok(q) => q,
            Err(e) => return Ok(Err(e)),
        };
        let StreamingQuery {
            columns,
            rows,
            done,
        } = query;
        let (stream, future) = accessor.with(|mut a| -> wasmtime::Result<_> {
            let stream = StreamReader::new(&mut a, RowProducer { rows })?;
            let future = FutureReader::new(&mut a, async move {
                Ok::<_, wasmtime::Error>(done.await.unwrap_or_else(|_| {
                    Err(Error::Io("query task ended unexpectedly".to_string()))
                }))
            })?;
            Ok((stream, future))
        })?;
        Ok(Ok((columns, stream, future)))
    }

    async fn last_insert_rowid_async(
        accessor: &Accessor<T, Self>,
        connection: Resource<SqliteConnection>,
    ) -> wasmtime::Result<i64> {
        let conn = accessor.with(|mut a| a.get().connection(&connection))?;
        Ok(conn.conn().map_or(0, Conn::last_insert_rowid))
    }

    async fn changes_async(
        accessor: &Accessor<T, Self>,
        connection: Resource<SqliteConnection>,
    ) -> wasmtime::Result<u64> {
        let conn = accessor.with(|mut a| a.get().connection(&connection))?;
        Ok(conn.conn().map_or(0, Conn::changes))
    }
}
