//! [`Database`] over one `libsql` connection (native: host, tests, benchmarks, CLI).

use super::{Database, DbError, Row, Value};
use async_trait::async_trait;

/// A `libsql` connection seen through the core's [`Database`] interface.
pub struct LibsqlDatabase {
    connection: libsql::Connection,
}

impl LibsqlDatabase {
    /// Wraps an open connection.
    pub fn new(connection: libsql::Connection) -> Self {
        Self { connection }
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
        let db = Self { connection };
        // libsql defaults to foreign keys on; Open WebUI and Spin's SQLite run with them off.
        db.execute("PRAGMA foreign_keys=OFF", &[]).await?;
        if path != ":memory:" {
            db.query("PRAGMA journal_mode=WAL", &[]).await?;
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
        let mut rows = self
            .connection
            .query(sql, params(values))
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
        Ok(out)
    }

    async fn execute(&self, sql: &str, values: &[Value]) -> Result<u64, DbError> {
        self.connection
            .execute(sql, params(values))
            .await
            .map_err(|error| DbError(error.to_string()))
    }
}
