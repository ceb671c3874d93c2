//! The JSON of Hrana over HTTP (`POST /v2/pipeline`), as far as this client uses it.
//!
//! A pipeline request carries the stream's *baton* (none to open a new stream) and a list of
//! stream requests (`execute` one statement, `batch` several with conditions, `close`); the
//! response carries the next baton (none once the stream is closed), maybe a `base_url` to
//! send the next request to, and one result per request, each `ok` or `error`. Values are
//! tagged: integers travel as decimal strings (JSON numbers cannot hold every i64), blobs as
//! base64 without padding.

use super::super::Value as DbValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// `POST /v2/pipeline` request body.
#[derive(Debug, Serialize)]
pub struct PipelineRequest<'a> {
    /// The stream's baton; `None` opens a new stream.
    pub baton: Option<&'a str>,
    /// The requests, run in order on the stream.
    pub requests: Vec<StreamRequest<'a>>,
}

/// One request on a stream.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamRequest<'a> {
    /// Run one statement.
    Execute {
        /// The statement.
        stmt: Stmt<'a>,
    },
    /// Run several statements, each when its condition holds.
    Batch {
        /// The statements.
        batch: Batch<'a>,
    },
    /// Close the stream (its open transaction, if any, is rolled back).
    Close,
}

/// A statement with positional arguments.
#[derive(Debug, Serialize)]
pub struct Stmt<'a> {
    /// SQL text.
    pub sql: &'a str,
    /// Values for the `?` placeholders, in order.
    pub args: Vec<Value<'a>>,
    /// Whether the rows should be sent back.
    pub want_rows: bool,
}

impl<'a> Stmt<'a> {
    /// A statement with its arguments converted.
    pub fn new(sql: &'a str, args: &'a [DbValue], want_rows: bool) -> Self {
        Self { sql, args: args.iter().map(Value::from).collect(), want_rows }
    }
}

/// Statements run one after the other, each only if the one before succeeded.
#[derive(Debug, Serialize)]
pub struct Batch<'a> {
    /// The steps.
    pub steps: Vec<BatchStep<'a>>,
}

impl<'a> Batch<'a> {
    /// Chains `statements`: step `i` runs only if step `i - 1` succeeded.
    pub fn chain(statements: impl IntoIterator<Item = Stmt<'a>>) -> Self {
        let steps = statements
            .into_iter()
            .enumerate()
            .map(|(index, stmt)| BatchStep {
                condition: index.checked_sub(1).map(|step| BatchCondition::Ok { step }),
                stmt,
            })
            .collect();
        Self { steps }
    }
}

/// One step of a [`Batch`].
#[derive(Debug, Serialize)]
pub struct BatchStep<'a> {
    /// When to run it (always, if `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<BatchCondition>,
    /// The statement.
    pub stmt: Stmt<'a>,
}

/// A batch step's condition.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BatchCondition {
    /// Step `step` succeeded.
    Ok {
        /// Index of that step.
        step: usize,
    },
}

/// A tagged Hrana value, borrowed when sent and owned when received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Value<'a> {
    /// SQL NULL.
    Null,
    /// A 64-bit integer as a decimal string.
    Integer {
        /// The digits.
        value: Cow<'a, str>,
    },
    /// A double.
    Float {
        /// The number.
        value: f64,
    },
    /// UTF-8 text.
    Text {
        /// The text.
        value: Cow<'a, str>,
    },
    /// Bytes, base64-encoded.
    Blob {
        /// The bytes in base64 (without padding when we send; either way when we receive).
        base64: Cow<'a, str>,
    },
}

impl<'a> From<&'a DbValue> for Value<'a> {
    fn from(value: &'a DbValue) -> Self {
        match value {
            DbValue::Null => Value::Null,
            DbValue::Integer(number) => Value::Integer { value: Cow::Owned(number.to_string()) },
            DbValue::Real(number) => Value::Float { value: *number },
            DbValue::Text(text) => Value::Text { value: Cow::Borrowed(text) },
            DbValue::Blob(bytes) => Value::Blob { base64: Cow::Owned(STANDARD_NO_PAD.encode(bytes)) },
        }
    }
}

impl Value<'_> {
    /// The core value, or why the server's value makes no sense.
    pub fn into_db(self) -> Result<DbValue, String> {
        Ok(match self {
            Value::Null => DbValue::Null,
            Value::Integer { value } => DbValue::Integer(
                value.parse().map_err(|_| format!("integer value {value:?} is not a 64-bit integer"))?,
            ),
            Value::Float { value } => DbValue::Real(value),
            Value::Text { value } => DbValue::Text(value.into_owned()),
            Value::Blob { base64 } => DbValue::Blob(
                STANDARD_NO_PAD
                    .decode(base64.trim_end_matches('='))
                    .map_err(|error| format!("blob value is not base64: {error}"))?,
            ),
        })
    }
}

/// `POST /v2/pipeline` response body.
#[derive(Debug, Deserialize)]
pub struct PipelineResponse {
    /// The baton for the next request; `None` once the stream is closed.
    pub baton: Option<String>,
    /// Where to send the next request, if somewhere else than before.
    #[serde(default)]
    pub base_url: Option<String>,
    /// One result per request, in order.
    pub results: Vec<StreamResult>,
}

/// The outcome of one stream request.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamResult {
    /// It ran.
    Ok {
        /// What it returned.
        response: StreamResponse,
    },
    /// It failed.
    Error {
        /// Why.
        error: Error,
    },
    /// Anything else (the server skipped the request).
    #[serde(other)]
    Other,
}

/// What a successful stream request returned.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamResponse {
    /// A statement's result.
    Execute {
        /// The result.
        result: StmtResult,
    },
    /// A batch's results.
    Batch {
        /// The results.
        result: BatchResult,
    },
    /// Responses this client does not read (`close`).
    #[serde(other)]
    Other,
}

/// A statement's result (the fields this client reads).
#[derive(Debug, Default, Deserialize)]
pub struct StmtResult {
    /// The rows (empty unless `want_rows`).
    #[serde(default)]
    pub rows: Vec<Vec<Value<'static>>>,
    /// Rows inserted, updated or deleted by the statement.
    #[serde(default)]
    pub affected_row_count: u64,
}

/// A batch's results: per step, a result or an error (both `None` for a skipped step).
#[derive(Debug, Default, Deserialize)]
pub struct BatchResult {
    /// Results of the steps that ran without error.
    #[serde(default)]
    pub step_results: Vec<Option<StmtResult>>,
    /// Errors of the steps that failed.
    #[serde(default)]
    pub step_errors: Vec<Option<Error>>,
}

/// An error the server reports, for one request or (with an HTTP error status) the whole
/// pipeline.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Error {
    /// What went wrong, for people.
    #[serde(default)]
    pub message: String,
    /// What went wrong, for programs (`SQLITE_CONSTRAINT_PRIMARYKEY`, `STREAM_EXPIRED`, …).
    #[serde(default)]
    pub code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_serialise_as_hrana_json() {
        let args = [
            DbValue::Null,
            DbValue::Integer(-9_007_199_254_740_993),
            DbValue::Real(1.5),
            DbValue::Text("é".into()),
            DbValue::Blob(vec![0, 255, 1]),
        ];
        let request = PipelineRequest {
            baton: Some("b1"),
            requests: vec![
                StreamRequest::Execute { stmt: Stmt::new("SELECT ?, ?, ?, ?, ?", &args, true) },
                StreamRequest::Batch {
                    batch: Batch::chain([Stmt::new("A", &[], false), Stmt::new("B", &[], false)]),
                },
                StreamRequest::Close,
            ],
        };
        let sent = serde_json::to_value(&request).unwrap_or_default();
        assert_eq!(
            sent,
            json!({"baton": "b1", "requests": [
                {"type": "execute", "stmt": {"sql": "SELECT ?, ?, ?, ?, ?", "want_rows": true, "args": [
                    {"type": "null"},
                    {"type": "integer", "value": "-9007199254740993"},
                    {"type": "float", "value": 1.5},
                    {"type": "text", "value": "é"},
                    {"type": "blob", "base64": "AP8B"},
                ]}},
                {"type": "batch", "batch": {"steps": [
                    {"stmt": {"sql": "A", "args": [], "want_rows": false}},
                    {"condition": {"type": "ok", "step": 0}, "stmt": {"sql": "B", "args": [], "want_rows": false}},
                ]}},
                {"type": "close"},
            ]})
        );
    }

    #[test]
    fn values_convert_both_ways() {
        let received: Vec<Value> = serde_json::from_value(json!([
            {"type": "null"},
            {"type": "integer", "value": "9223372036854775807"},
            {"type": "float", "value": 0.25},
            {"type": "text", "value": "hi"},
            {"type": "blob", "base64": "AP8B"},
            {"type": "blob", "base64": "AP8="},
        ]))
        .unwrap_or_default();
        let values: Vec<DbValue> = received.into_iter().filter_map(|value| value.into_db().ok()).collect();
        assert_eq!(
            values,
            [
                DbValue::Null,
                DbValue::Integer(i64::MAX),
                DbValue::Real(0.25),
                DbValue::Text("hi".into()),
                DbValue::Blob(vec![0, 255, 1]),
                DbValue::Blob(vec![0, 255]),
            ]
        );
        let bad = Value::Integer { value: "12x".into() };
        assert!(bad.into_db().is_err_and(|error| error.contains("12x")));
        let bad = Value::Blob { base64: "!!".into() };
        assert!(bad.into_db().is_err());
    }
}
