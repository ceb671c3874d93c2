//! The core [`Database`] over `spin:sqlite@3.1.0`'s synchronous functions.
//!
//! The connection is opened on first use and kept for the life of the instance; after a
//! failed open the next statement tries again, so a database that comes up after the relay
//! is picked up without a restart.

use crate::bindings::spin::sqlite::sqlite;
use async_trait::async_trait;
use chat_core::db::{Database, DbError, Row, Value};
use std::cell::RefCell;

/// One lazily opened Spin SQLite connection.
pub struct SqliteDatabase {
    label: &'static str,
    connection: RefCell<Option<sqlite::Connection>>,
}

impl SqliteDatabase {
    /// A database by its Spin label (`default`), not opened yet.
    pub fn new(label: &'static str) -> Self {
        Self { label, connection: RefCell::new(None) }
    }

    /// Runs `work` on the open connection, opening it first if needed.
    fn with_connection<T>(&self, work: impl FnOnce(&sqlite::Connection) -> Result<T, sqlite::Error>) -> Result<T, DbError> {
        let mut slot = self.connection.borrow_mut();
        if slot.is_none() {
            *slot = Some(sqlite::Connection::open(self.label).map_err(to_db_error)?);
        }
        match slot.as_ref() {
            Some(connection) => work(connection).map_err(to_db_error),
            None => Err(DbError("no connection".into())),
        }
    }
}

fn to_db_error(error: sqlite::Error) -> DbError {
    DbError(format!("{error:?}"))
}

chat_core::spin_sqlite_value_conversions!(sqlite::Value);

#[async_trait(?Send)]
impl Database for SqliteDatabase {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let params: Vec<sqlite::Value> = params.iter().map(to_spin).collect();
        let result = self.with_connection(|connection| connection.execute(sql, &params))?;
        Ok(result.rows.into_iter().map(|row| Row(row.values.into_iter().map(from_spin).collect())).collect())
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let params: Vec<sqlite::Value> = params.iter().map(to_spin).collect();
        self.with_connection(|connection| {
            connection.execute(sql, &params)?;
            Ok(connection.changes())
        })
    }
}
