//! The one small database interface the core talks to.
//!
//! Components implement it over Spin SQLite (see the `spin-adapter` crate) or over a libSQL
//! server's HTTP API ([`hrana::HranaDatabase`], for hosts without Spin SQLite); the host,
//! tests, benchmarks and CLI over the `libsql` crate ([`LibsqlDatabase`]). Everything above this
//! module speaks SQL with positional `?` parameters and reads rows by column index.

pub mod hrana;
#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
mod libsql_db;
mod row;

#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub use libsql_db::LibsqlDatabase;
pub use row::{Row, Value};

use async_trait::async_trait;

/// A database failure. The message is for logs; clients see a generic detail.
#[derive(Debug, Clone, PartialEq)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "database error: {}", self.0)
    }
}

impl std::error::Error for DbError {}

/// Execute statements and read rows. One value of this type is one connection: statements
/// run in order, so `BEGIN IMMEDIATE` … `COMMIT` through [`Database::execute`] forms a
/// transaction (see [`transaction`]).
#[async_trait(?Send)]
pub trait Database {
    /// Runs a statement that returns rows.
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;

    /// Runs a statement and returns the number of rows it changed.
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError>;

    /// Runs several `;`-separated statements without parameters (schema creation).
    async fn execute_script(&self, sql: &str) -> Result<(), DbError> {
        for statement in split_statements(sql) {
            self.execute(statement, &[]).await?;
        }
        Ok(())
    }
}

/// Runs `body` inside `BEGIN IMMEDIATE` … `COMMIT`, rolling back when it fails.
///
/// `BEGIN IMMEDIATE` takes the write lock up front, so a read-modify-write in `body` cannot
/// interleave with another writer's (Open WebUI does the same on SQLite).
pub async fn transaction<T, E, F>(db: &dyn Database, body: F) -> Result<T, E>
where
    F: AsyncFnOnce() -> Result<T, E>,
    E: From<DbError>,
{
    db.execute("BEGIN IMMEDIATE", &[]).await?;
    match body().await {
        Ok(value) => {
            if let Err(error) = db.execute("COMMIT", &[]).await {
                let _ = db.execute("ROLLBACK", &[]).await;
                return Err(error.into());
            }
            Ok(value)
        }
        Err(error) => {
            let _ = db.execute("ROLLBACK", &[]).await;
            Err(error)
        }
    }
}

/// Splits a SQL script on `;` at line ends, skipping `--` comment lines and blank pieces.
/// Only meant for our own schema scripts (no `;` inside string literals at a line end).
pub fn split_statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n")
        .map(|piece| piece.trim().trim_end_matches(';').trim())
        .filter(|piece| {
            piece
                .lines()
                .any(|line| !line.trim().is_empty() && !line.trim_start().starts_with("--"))
        })
}

/// Writes `to_spin(&Value) -> V` and `from_spin(V) -> Value` for a `spin:sqlite` binding's
/// `value` type `V`. Each binding generator (spin-sdk's, a component's own wit-bindgen) makes
/// its own type with the same five cases, so the conversions are generated, not copied.
#[macro_export]
macro_rules! spin_sqlite_value_conversions {
    ($($value:ident)::+) => {
        fn to_spin(value: &$crate::db::Value) -> $($value)::+ {
            match value {
                $crate::db::Value::Null => $($value)::+::Null,
                $crate::db::Value::Integer(number) => $($value)::+::Integer(*number),
                $crate::db::Value::Real(number) => $($value)::+::Real(*number),
                $crate::db::Value::Text(text) => $($value)::+::Text(text.clone()),
                $crate::db::Value::Blob(bytes) => $($value)::+::Blob(bytes.clone()),
            }
        }

        fn from_spin(value: $($value)::+) -> $crate::db::Value {
            match value {
                $($value)::+::Null => $crate::db::Value::Null,
                $($value)::+::Integer(number) => $crate::db::Value::Integer(number),
                $($value)::+::Real(number) => $crate::db::Value::Real(number),
                $($value)::+::Text(text) => $crate::db::Value::Text(text),
                $($value)::+::Blob(bytes) => $crate::db::Value::Blob(bytes),
            }
        }
    };
}
