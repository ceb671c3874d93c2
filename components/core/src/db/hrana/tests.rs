//! The Hrana client against canned sqld answers (shapes as sqld 0.24 sends them).

use super::*;
use serde_json::{Value as Json, json};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future that never waits (the fake transport answers at once).
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the fake transport never waits"),
    }
}

/// Answers each request with the next canned reply and records what was sent.
#[derive(Default)]
struct Fake {
    replies: RefCell<VecDeque<Result<HttpReply, String>>>,
    sent: RefCell<Vec<(String, Json)>>,
    pauses: RefCell<Vec<std::time::Duration>>,
}

#[async_trait(?Send)]
impl HranaTransport for &Fake {
    async fn post(&self, url: &str, body: Vec<u8>) -> Result<HttpReply, String> {
        let body = serde_json::from_slice(&body).map_err(|error| error.to_string())?;
        self.sent.borrow_mut().push((url.to_owned(), body));
        self.replies.borrow_mut().pop_front().unwrap_or_else(|| Err("no canned reply left".into()))
    }

    async fn pause(&self, how_long: std::time::Duration) {
        self.pauses.borrow_mut().push(how_long);
    }
}

impl Fake {
    fn reply(&self, status: u16, body: Json) -> &Self {
        self.replies.borrow_mut().push_back(Ok(HttpReply { status, body: body.to_string().into_bytes() }));
        self
    }

    /// A 200 pipeline answer.
    fn pipeline(&self, baton: Option<&str>, results: Vec<Json>) -> &Self {
        self.reply(200, json!({"baton": baton, "base_url": null, "results": results}))
    }

    fn sent(&self) -> Vec<(String, Json)> {
        self.sent.borrow().clone()
    }

    /// The SQL of each request sent in the `index`th pipeline (`close` as "close").
    fn sql(&self, index: usize) -> Vec<String> {
        let sent = self.sent();
        sent[index].1["requests"]
            .as_array()
            .map(|requests| {
                requests
                    .iter()
                    .map(|request| match request["type"].as_str() {
                        Some("execute") => request["stmt"]["sql"].as_str().unwrap_or_default().to_owned(),
                        Some(other) => other.to_owned(),
                        None => String::new(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn baton(&self, index: usize) -> Json {
        self.sent()[index].1["baton"].clone()
    }
}

fn executed(rows: Json, affected: u64) -> Json {
    json!({"type": "ok", "response": {"type": "execute", "result": {
        "cols": [], "rows": rows, "affected_row_count": affected, "last_insert_rowid": null,
        "replication_index": "7", "rows_read": 1, "rows_written": 0, "query_duration_ms": 0.1,
    }}})
}

fn ok() -> Json {
    executed(json!([]), 0)
}

fn failed(code: &str, message: &str) -> Json {
    json!({"type": "error", "error": {"message": message, "code": code}})
}

fn database(fake: &Fake) -> HranaDatabase<&Fake> {
    HranaDatabase::new("http://127.0.0.1:8080/", fake).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn the_first_pipeline_opens_the_stream_with_the_pragma_and_later_ones_carry_the_baton() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), executed(json!([[{"type": "integer", "value": "1"}]]), 0)])
        .reply(200, json!({"baton": "b2", "base_url": "http://10.0.0.2:8080", "results": [ok()]}))
        .pipeline(Some("b3"), vec![ok()]);
    let db = database(&fake);
    let rows = run(db.query("SELECT 1", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(rows, [Row(vec![Value::Integer(1)])]);
    run(db.execute("UPDATE chat SET title = ?", &["t".into()])).unwrap_or_else(|error| panic!("{error}"));
    run(db.execute("DELETE FROM tag", &[])).unwrap_or_else(|error| panic!("{error}"));

    let sent = fake.sent();
    assert_eq!(sent[0].0, "http://127.0.0.1:8080/v2/pipeline");
    assert_eq!(fake.baton(0), Json::Null, "a new stream");
    assert_eq!(fake.sql(0), [FOREIGN_KEYS_OFF, "SELECT 1"], "the pragma rides along with the first statement");
    assert_eq!(fake.baton(1), json!("b1"));
    assert_eq!(fake.sql(1), ["UPDATE chat SET title = ?"], "no second pragma on the same stream");
    assert_eq!(sent[1].1["requests"][0]["stmt"]["args"], json!([{"type": "text", "value": "t"}]));
    assert_eq!(sent[1].1["requests"][0]["stmt"]["want_rows"], json!(false));
    assert_eq!(sent[2].0, "http://10.0.0.2:8080/v2/pipeline", "the server's base_url is followed");
    assert_eq!(fake.baton(2), json!("b2"));
}

#[test]
fn values_map_to_core_values() {
    let fake = Fake::default();
    fake.pipeline(
        Some("b1"),
        vec![
            ok(),
            executed(
                json!([
                    [{"type": "null"}, {"type": "integer", "value": "-42"}, {"type": "float", "value": 2.5},
                     {"type": "text", "value": "ünï"}, {"type": "blob", "base64": "aGk"}],
                    [{"type": "null"}, {"type": "integer", "value": "9223372036854775807"}, {"type": "float", "value": 0},
                     {"type": "text", "value": ""}, {"type": "blob", "base64": ""}],
                ]),
                0,
            ),
        ],
    );
    let db = database(&fake);
    let rows = run(db.query("SELECT a, b, c, d, e FROM t", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        rows,
        [
            Row(vec![Value::Null, Value::Integer(-42), Value::Real(2.5), Value::Text("ünï".into()), Value::Blob(b"hi".to_vec())]),
            Row(vec![Value::Null, Value::Integer(i64::MAX), Value::Real(0.0), Value::Text(String::new()), Value::Blob(Vec::new())]),
        ]
    );
}

#[test]
fn a_value_the_server_garbles_is_an_error() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), executed(json!([[{"type": "integer", "value": "1e3"}]]), 0)]);
    let error = run(database(&fake).query("SELECT 1", &[])).err().unwrap_or_else(|| DbError(String::new()));
    assert!(error.0.contains("1e3"), "{error}");
}

#[test]
fn execute_returns_the_affected_row_count() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), executed(json!([]), 3)]);
    let changed = run(database(&fake).execute("UPDATE chat SET pinned = 1", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(changed, 3);
}

#[test]
fn a_statement_error_is_reported_with_its_code_and_keeps_the_stream() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), failed("SQLITE_CONSTRAINT_PRIMARYKEY", "SQLite error: UNIQUE constraint failed: chat.id")])
        .pipeline(Some("b2"), vec![ok()]);
    let db = database(&fake);
    let error = run(db.execute("INSERT INTO chat (id) VALUES ('x')", &[])).err().unwrap_or_else(|| DbError(String::new()));
    assert_eq!(error.0, "SQLITE_CONSTRAINT_PRIMARYKEY: SQLite error: UNIQUE constraint failed: chat.id");
    assert_eq!(fake.sent().len(), 1, "a constraint failure is not retried");
    run(db.execute("SELECT 1", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fake.baton(1), json!("b1"));
    assert_eq!(fake.sql(1), ["SELECT 1"]);
}

#[test]
fn an_expired_stream_outside_a_transaction_is_replaced_and_the_statement_run_again() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), ok()])
        .reply(400, json!({"message": "The stream has expired due to inactivity", "code": "STREAM_EXPIRED"}))
        .pipeline(Some("c1"), vec![ok(), executed(json!([]), 1)]);
    let db = database(&fake);
    run(db.execute("SELECT 1", &[])).unwrap_or_else(|error| panic!("{error}"));
    let changed = run(db.execute("DELETE FROM tag WHERE id = ?", &["a".into()])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(changed, 1);
    assert_eq!(fake.baton(1), json!("b1"));
    assert_eq!(fake.baton(2), Json::Null, "a new stream");
    assert_eq!(fake.sql(2), [FOREIGN_KEYS_OFF, "DELETE FROM tag WHERE id = ?"]);
}

#[test]
fn an_expired_stream_right_after_begin_replays_the_begin() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), ok()])
        .reply(400, json!({"message": "expired", "code": "STREAM_EXPIRED"}))
        .pipeline(Some("c1"), vec![ok(), ok()])
        .pipeline(Some("c2"), vec![executed(json!([]), 2)]);
    let db = database(&fake);
    run(db.execute("BEGIN IMMEDIATE", &[])).unwrap_or_else(|error| panic!("{error}"));
    let changed = run(db.execute("UPDATE chat SET title = 'x'", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(changed, 2);
    assert_eq!(fake.sql(2), [FOREIGN_KEYS_OFF, "BEGIN IMMEDIATE"]);
    assert_eq!(fake.sql(3), ["UPDATE chat SET title = 'x'"]);
    assert_eq!(fake.baton(3), json!("c1"));
}

#[test]
fn an_expired_stream_after_work_in_a_transaction_fails_without_a_retry() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), ok()])
        .pipeline(Some("b2"), vec![executed(json!([]), 1)])
        .reply(400, json!({"message": "expired", "code": "STREAM_EXPIRED"}))
        .pipeline(Some("c1"), vec![ok(), ok()]);
    let db = database(&fake);
    run(db.execute("BEGIN IMMEDIATE", &[])).unwrap_or_else(|error| panic!("{error}"));
    run(db.execute("INSERT INTO tag (id) VALUES ('a')", &[])).unwrap_or_else(|error| panic!("{error}"));
    let error = run(db.execute("INSERT INTO tag (id) VALUES ('b')", &[])).err().unwrap_or_else(|| DbError(String::new()));
    assert!(error.0.contains("HTTP 400") && error.0.contains("STREAM_EXPIRED"), "{error}");
    assert_eq!(fake.sent().len(), 3, "the first insert was lost with the stream: no retry");
    assert!(!db.is_open());
    // The next statement opens a new stream, outside any transaction.
    run(db.execute("SELECT 1", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fake.sql(3), [FOREIGN_KEYS_OFF, "SELECT 1"]);
}

#[test]
fn a_busy_begin_is_run_again_on_the_same_stream() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), failed("SQLITE_BUSY", "database is locked")])
        .pipeline(Some("b2"), vec![ok()]);
    let db = database(&fake);
    run(db.execute("BEGIN IMMEDIATE", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fake.sql(1), ["BEGIN IMMEDIATE"]);
    assert_eq!(fake.baton(1), json!("b1"));
}

#[test]
fn an_interrupted_first_statement_rolls_back_and_replays_the_begin() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), ok()])
        .pipeline(Some("b2"), vec![failed("TRANSACTION_TIMEOUT", "Transaction timed out")])
        .pipeline(Some("b3"), vec![ok()])
        .pipeline(Some("b4"), vec![ok()])
        .pipeline(Some("b5"), vec![executed(json!([]), 1)]);
    let db = database(&fake);
    run(db.execute("BEGIN IMMEDIATE", &[])).unwrap_or_else(|error| panic!("{error}"));
    run(db.execute("UPDATE chat SET title = 'x'", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fake.sql(2), ["ROLLBACK"]);
    assert_eq!(fake.sql(3), ["BEGIN IMMEDIATE"]);
    assert_eq!(fake.sql(4), ["UPDATE chat SET title = 'x'"]);
}

#[test]
fn a_statement_is_tried_again_with_growing_pauses_until_the_server_runs_it() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), failed("SQLITE_INTERRUPT", "interrupted")]);
    for _ in 0..2 {
        fake.pipeline(Some("b1"), vec![failed("SQLITE_INTERRUPT", "interrupted")]);
    }
    fake.pipeline(Some("b1"), vec![executed(json!([[{"type": "integer", "value": "1"}]]), 0)]);
    let db = database(&fake);
    let rows = run(db.query("SELECT 1", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(rows.len(), 1);
    assert_eq!(fake.sent().len(), 4);
    assert_eq!(*fake.pauses.borrow(), [5, 10, 20].map(std::time::Duration::from_millis));
}

#[test]
fn a_statement_the_server_keeps_refusing_fails_after_ten_seconds_of_pauses() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), failed("SQLITE_BUSY", "database is locked")]);
    for _ in 0..100 {
        fake.pipeline(Some("b1"), vec![failed("SQLITE_BUSY", "database is locked")]);
    }
    let db = database(&fake);
    assert!(run(db.execute("BEGIN IMMEDIATE", &[])).is_err());
    let pauses = fake.pauses.borrow().clone();
    assert_eq!(pauses.iter().sum::<std::time::Duration>(), std::time::Duration::from_secs(10));
    assert_eq!(fake.sent().len(), pauses.len() + 1, "one attempt after each pause");
}

#[test]
fn a_server_out_of_connections_is_asked_again() {
    let fake = Fake::default();
    fake.reply(429, json!({"error": "Timed out while opening database connection"}))
        .pipeline(Some("b1"), vec![ok(), executed(json!([]), 1)]);
    let db = database(&fake);
    assert_eq!(run(db.execute("UPDATE chat SET title = 'x'", &[])), Ok(1));
    assert_eq!(fake.sql(1), [FOREIGN_KEYS_OFF, "UPDATE chat SET title = 'x'"], "a new stream, the statement once more");
}

#[test]
fn a_busy_commit_is_not_run_again() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), ok()]).pipeline(Some("b2"), vec![failed("SQLITE_BUSY", "database is locked")]);
    let db = database(&fake);
    run(db.execute("BEGIN IMMEDIATE", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert!(run(db.execute("COMMIT", &[])).is_err());
    assert_eq!(fake.sent().len(), 2);
}

#[test]
fn close_rolls_back_an_open_transaction_and_ends_the_stream() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok(), ok()])
        .pipeline(None, vec![ok(), json!({"type": "ok", "response": {"type": "close"}})])
        .pipeline(Some("c1"), vec![ok(), ok()])
        .pipeline(None, vec![json!({"type": "ok", "response": {"type": "close"}})]);
    let db = database(&fake);
    run(db.execute("BEGIN IMMEDIATE", &[])).unwrap_or_else(|error| panic!("{error}"));
    run(db.close()).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fake.sql(1), ["ROLLBACK", "close"]);
    assert_eq!(fake.baton(1), json!("b1"));
    assert!(!db.is_open());
    run(db.execute("SELECT 1", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fake.sql(2), [FOREIGN_KEYS_OFF, "SELECT 1"], "a new stream after close");
    run(db.close()).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fake.sql(3), ["close"], "nothing to roll back outside a transaction");
    run(db.close()).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fake.sent().len(), 4, "closing a closed stream sends nothing");
}

#[test]
fn a_script_is_one_batch_that_stops_at_the_first_error() {
    let fake = Fake::default();
    fake.pipeline(
        Some("b1"),
        vec![
            ok(),
            json!({"type": "ok", "response": {"type": "batch", "result": {
                "step_results": [{"cols": [], "rows": [], "affected_row_count": 0, "last_insert_rowid": null}, null, null],
                "step_errors": [null, {"message": "SQLite error: near \"CREAT\": syntax error", "code": "SQL_PARSE_ERROR"}, null],
            }}}),
        ],
    );
    let db = database(&fake);
    let error = run(db.execute_script("CREATE TABLE a (x);\n-- comment\nCREAT TABLE b (y);\nCREATE TABLE c (z);\n"))
        .err()
        .unwrap_or_else(|| DbError(String::new()));
    assert!(error.0.starts_with("SQL_PARSE_ERROR"), "{error}");
    let sent = fake.sent();
    let steps = &sent[0].1["requests"][1]["batch"]["steps"];
    assert_eq!(steps.as_array().map(Vec::len), Some(3));
    assert_eq!(steps[1]["stmt"]["sql"], json!("-- comment\nCREAT TABLE b (y)"));
    assert_eq!(steps[2]["condition"], json!({"type": "ok", "step": 1}));
}

#[test]
fn refusals_and_unreachable_servers_are_clear_errors() {
    let fake = Fake::default();
    fake.reply(401, json!({"message": "Authentication failed"}));
    let error = run(database(&fake).execute("SELECT 1", &[])).err().unwrap_or_else(|| DbError(String::new()));
    assert!(error.0.contains("HTTP 401") && error.0.contains("db_token"), "{error}");

    let fake = Fake::default();
    fake.replies.borrow_mut().push_back(Err("connection refused".into()));
    let error = run(database(&fake).execute("SELECT 1", &[])).err().unwrap_or_else(|| DbError(String::new()));
    assert_eq!(error.0, "libSQL server unreachable: connection refused");
    assert_eq!(fake.sent().len(), 1, "a request that got no answer may have run: no retry");

    let fake = Fake::default();
    fake.replies.borrow_mut().push_back(Ok(HttpReply { status: 502, body: b"Bad Gateway".to_vec() }));
    let error = run(database(&fake).execute("SELECT 1", &[])).err().unwrap_or_else(|| DbError(String::new()));
    assert_eq!(error.0, "libSQL server answered HTTP 502: Bad Gateway");

    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![ok()]);
    let error = run(database(&fake).execute("SELECT 1", &[])).err().unwrap_or_else(|| DbError(String::new()));
    assert!(error.0.contains("1 results for 2 requests"), "{error}");
}

#[test]
fn after_a_request_got_no_answer_later_statements_fail_without_asking_again() {
    let fake = Fake::default();
    fake.replies.borrow_mut().push_back(Err("no answer in 30 s".into()));
    fake.pipeline(Some("b1"), vec![ok(), executed(json!([]), 0)]);
    let db = database(&fake);
    let first = run(db.execute("SELECT 1", &[])).err().unwrap_or_else(|| DbError(String::new()));
    let second = run(db.execute("SELECT 2", &[])).err().unwrap_or_else(|| DbError(String::new()));
    assert_eq!(first.0, "libSQL server unreachable: no answer in 30 s");
    assert_eq!(second, first);
    assert_eq!(run(db.close()), Ok(()), "no stream is left to close");
    assert_eq!(fake.sent().len(), 1, "one timeout per request, not one per statement");
}

#[test]
fn a_failed_pragma_abandons_the_stream() {
    let fake = Fake::default();
    fake.pipeline(Some("b1"), vec![failed("SQLITE_ERROR", "no"), ok()]).pipeline(Some("c1"), vec![ok(), ok()]);
    let db = database(&fake);
    let error = run(db.execute("SELECT 1", &[])).err().unwrap_or_else(|| DbError(String::new()));
    assert!(error.0.contains(FOREIGN_KEYS_OFF), "{error}");
    assert!(!db.is_open());
    run(db.execute("SELECT 1", &[])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(fake.baton(1), Json::Null);
}

#[test]
fn server_urls_are_normalised() {
    assert_eq!(server_url("libsql://db.example.turso.io"), Ok("https://db.example.turso.io".to_owned()));
    assert_eq!(server_url(" http://127.0.0.1:8080/ "), Ok("http://127.0.0.1:8080".to_owned()));
    assert!(server_url("ftp://x").is_err());
    assert!(server_url("http://").is_err());
    assert!(server_url("").is_err());
}
