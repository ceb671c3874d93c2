//! [`Database`] over one `libsql` connection (native: host, tests, benchmarks, CLI).

use super::{Database, DbError, Row, Value};
use async_trait::async_trait;
use std::cell::RefCell;
use std::collections::HashMap;

/// Prepared statements kept per connection, at most.
const STATEMENT_CACHE: usize = 128;

/// A `libsql` connection seen through the core's [`Database`] interface, with a cache of
/// prepared statements: preparing costs more than running most of our statements (an
/// insert into `chat_message` compiles four FTS triggers), and the SQL texts repeat.
pub struct LibsqlDatabase {
    connection: libsql::Connection,
    statements: RefCell<HashMap<String, libsql::Statement>>,
}

impl LibsqlDatabase {
    /// Wraps an open connection.
    pub fn new(connection: libsql::Connection) -> Self {
        Self { connection, statements: RefCell::new(HashMap::new()) }
    }

    /// The prepared statement for `sql`, from the cache or freshly prepared, reset and ready
    /// to bind. It is taken out of the cache while in use, so a nested use prepares its own.
    async fn statement(&self, sql: &str) -> Result<libsql::Statement, DbError> {
        if let Some(statement) = self.statements.borrow_mut().remove(sql) {
            statement.reset();
            return Ok(statement);
        }
        self.connection.prepare(sql).await.map_err(|error| DbError(error.to_string()))
    }

    /// Puts a statement back once its rows are read, reset so it holds no read snapshot.
    fn keep(&self, sql: &str, statement: libsql::Statement) {
        statement.reset();
        let mut statements = self.statements.borrow_mut();
        if statements.len() >= STATEMENT_CACHE {
            statements.clear();
        }
        statements.insert(sql.to_owned(), statement);
    }

    /// Opens a local database file (or `:memory:`) with the settings the service uses:
    /// WAL journal, a busy timeout, foreign keys off (as Open WebUI and Spin run SQLite).
    pub async fn open_local(path: &str) -> Result<Self, DbError> {
        let database = libsql::Builder::new_local(path)
            .build()
            .await
            .map_err(|error| DbError(error.to_string()))?;
        let connection = database.connect().map_err(|error| DbError(error.to_string()))?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|error| DbError(error.to_string()))?;
        let db = Self::new(connection);
        // libsql defaults to foreign keys on; Open WebUI and Spin's SQLite run with them off.
        db.execute("PRAGMA foreign_keys=OFF", &[]).await?;
        // Statement journals (every statement that fires the FTS triggers has one) in memory
        // rather than in temp files.
        db.execute("PRAGMA temp_store=MEMORY", &[]).await?;
        if path != ":memory:" {
            db.query("PRAGMA journal_mode=WAL", &[]).await?;
            db.execute("PRAGMA synchronous=NORMAL", &[]).await?;
        }
        Ok(db)
    }

    /// The underlying connection.
    pub fn connection(&self) -> &libsql::Connection {
        &self.connection
    }
}

/// Converts a core value into a libsql value.
pub fn to_libsql(value: &Value) -> libsql::Value {
    match value {
        Value::Null => libsql::Value::Null,
        Value::Integer(number) => libsql::Value::Integer(*number),
        Value::Real(number) => libsql::Value::Real(*number),
        Value::Text(text) => libsql::Value::Text(text.clone()),
        Value::Blob(bytes) => libsql::Value::Blob(bytes.clone()),
    }
}

/// Converts a libsql value into a core value.
pub fn from_libsql(value: libsql::Value) -> Value {
    match value {
        libsql::Value::Null => Value::Null,
        libsql::Value::Integer(number) => Value::Integer(number),
        libsql::Value::Real(number) => Value::Real(number),
        libsql::Value::Text(text) => Value::Text(text),
        libsql::Value::Blob(bytes) => Value::Blob(bytes),
    }
}

fn params(values: &[Value]) -> Vec<libsql::Value> {
    values.iter().map(to_libsql).collect()
}

#[async_trait(?Send)]
impl Database for LibsqlDatabase {
    async fn query(&self, sql: &str, values: &[Value]) -> Result<Vec<Row>, DbError> {
        let statement = self.statement(sql).await?;
        let mut rows = statement
            .query(params(values))
            .await
            .map_err(|error| DbError(error.to_string()))?;
        let columns = usize::try_from(rows.column_count()).unwrap_or(0);
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(|error| DbError(error.to_string()))? {
            let mut values = Vec::with_capacity(columns);
            for index in 0..columns {
                let value = row
                    .get_value(index as i32)
                    .map_err(|error| DbError(error.to_string()))?;
                values.push(from_libsql(value));
            }
            out.push(Row(values));
        }
        drop(rows);
        self.keep(sql, statement);
        Ok(out)
    }

    async fn execute(&self, sql: &str, values: &[Value]) -> Result<u64, DbError> {
        let statement = self.statement(sql).await?;
        let changed = statement.execute(params(values)).await.map_err(|error| DbError(error.to_string()));
        self.keep(sql, statement);
        changed.map(|changed| changed as u64)
    }
}
