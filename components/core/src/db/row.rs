//! SQL values and result rows, independent of any driver.

use serde_json::Value as Json;

/// One SQL value, as SQLite stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (also booleans, as 0/1).
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text (also JSON documents).
    Text(String),
    /// Raw bytes.
    Blob(Vec<u8>),
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Self {
        Value::Text(value.clone())
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Integer(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Integer(i64::from(value))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

impl From<&Json> for Value {
    /// JSON documents are stored as their compact text.
    fn from(value: &Json) -> Self {
        Value::Text(value.to_string())
    }
}

/// One result row; columns are read by position, in the order of the SELECT list.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn get(&self, index: usize) -> &Value {
        self.0.get(index).unwrap_or(&Value::Null)
    }

    /// Text column, or `None` for NULL (numbers are rendered as text).
    pub fn opt_text(&self, index: usize) -> Option<String> {
        match self.get(index) {
            Value::Text(text) => Some(text.clone()),
            Value::Integer(number) => Some(number.to_string()),
            Value::Real(number) => Some(number.to_string()),
            Value::Blob(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
            Value::Null => None,
        }
    }

    /// Text column, with NULL read as the empty string.
    pub fn text(&self, index: usize) -> String {
        self.opt_text(index).unwrap_or_default()
    }

    /// Integer column, or `None` for NULL or non-numeric text.
    pub fn opt_int(&self, index: usize) -> Option<i64> {
        match self.get(index) {
            Value::Integer(number) => Some(*number),
            Value::Real(number) => Some(*number as i64),
            Value::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// Integer column, with NULL read as 0.
    pub fn int(&self, index: usize) -> i64 {
        self.opt_int(index).unwrap_or(0)
    }

    /// Boolean column (SQLite stores 0/1), or `None` for NULL.
    pub fn opt_bool(&self, index: usize) -> Option<bool> {
        self.opt_int(index).map(|number| number != 0)
    }

    /// Boolean column, with NULL read as false.
    pub fn bool(&self, index: usize) -> bool {
        self.opt_bool(index).unwrap_or(false)
    }

    /// A JSON column's text as stored, not parsed: text, or a blob holding UTF-8 (what
    /// [`Row::opt_json`] would parse); `None` for anything else.
    pub fn json_text(&self, index: usize) -> Option<&str> {
        match self.get(index) {
            Value::Text(text) => Some(text),
            Value::Blob(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }

    /// JSON column parsed, or `None` for NULL or text that is not JSON.
    pub fn opt_json(&self, index: usize) -> Option<Json> {
        match self.get(index) {
            Value::Null => None,
            Value::Text(text) => serde_json::from_str(text).ok(),
            Value::Integer(number) => Some(Json::from(*number)),
            Value::Real(number) => Some(Json::from(*number)),
            Value::Blob(bytes) => serde_json::from_slice(bytes).ok(),
        }
    }

    /// JSON column parsed, with NULL or invalid JSON read as JSON `null`.
    pub fn json(&self, index: usize) -> Json {
        self.opt_json(index).unwrap_or(Json::Null)
    }
}
