//! The components' own libSQL client (Hrana over HTTP through Spin outbound HTTP, selected by
//! the variable `db_url`), whatever `TEST_DB` says: the host keeps a local file, the data must
//! land on the sqld the components were pointed at, and the file must stay empty.

// Test setup: a failed step should stop the test loudly, as in the test support crate.
#![allow(clippy::expect_used)]

use integration_tests::{Server, Sqld, free_port};
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test]
async fn components_talk_to_the_libsql_server_not_to_the_hosts_file() {
    let sqld = Sqld::start().await;
    let server = Server::start_on(None, &[("db_url", &sqld.url)], &[]).await;
    let (_admin, user, user_id) = server.admin_and_user().await;
    let created = server
        .post("/api/v1/chats/new", &user, json!({"chat": {"title": "over hrana", "history": {"messages": {}, "currentId": null}}}))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let read = server.get(&format!("/api/v1/chats/{id}"), &user).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["title"], "over hrana");

    // The rows are on sqld ...
    let remote = libsql::Builder::new_remote(sqld.url.clone(), String::new()).build().await.expect("sqld");
    let remote = remote.connect().expect("connect");
    let mut rows = remote.query("SELECT user_id, title FROM chat WHERE id = ?", [id.as_str()]).await.expect("query");
    let row = rows.next().await.expect("row").expect("the chat is on sqld");
    assert_eq!(row.get::<String>(0).expect("user_id"), user_id);
    assert_eq!(row.get::<String>(1).expect("title"), "over hrana");

    // ... and nothing reached the host's own database file.
    let tables = server.rows("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", vec![]).await;
    assert_eq!(tables, vec![vec![json!(0)]], "the host's file has no tables");
}

#[tokio::test]
async fn an_unreachable_libsql_server_is_a_503() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let server = Server::start_on(None, &[("db_url", &url)], &[]).await;
    let reply = server
        .send("POST", "/api/v1/auths/signup", None, Some(json!({"name": "A", "email": "a@example.com", "password": "pw"})))
        .await;
    reply.assert_error(503, "Database unavailable");
}

/// A libSQL server that accepts connections and never answers: each statement is given up
/// after `STATEMENT_TIMEOUT` (30 s) instead of holding the request for ever, as the wedged
/// sqld of `scripts/sqld-wedge-repro` would. Run in the file pass only (the file's tests do
/// not depend on `TEST_DB`): the 30 s need not be paid three times.
#[tokio::test]
async fn a_libsql_server_that_never_answers_is_a_503_after_the_statement_timeout() {
    if integration_tests::test_db_is_sqld() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    // Without the timeout nothing would ever answer: fail then, instead of hanging the suite.
    let timeout = chat_core::db::hrana::recovery::STATEMENT_TIMEOUT;
    let server = tokio::time::timeout(timeout * 4, Server::start_on(None, &[("db_url", &url)], &[]))
        .await
        .expect("the host answered its readiness probe (which reads the database) in 2 minutes");
    let started = std::time::Instant::now();
    let signup = server.send("POST", "/api/v1/auths/signup", None, Some(json!({"name": "A", "email": "a@example.com", "password": "pw"})));
    let reply = tokio::time::timeout(timeout * 4, signup).await.expect("signup answered in 2 minutes");
    let waited = started.elapsed();
    reply.assert_error(503, "Database unavailable");
    assert!(waited >= timeout && waited < timeout + std::time::Duration::from_secs(15), "answered after {waited:?}");
}

/// A server that answers every request with 401 and records each request's `Authorization`
/// header (`None` when absent) and path.
async fn refusing_server() -> (String, Arc<Mutex<Vec<(String, Option<String>)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).await.is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
                let header = |name: &str| {
                    head.lines()
                        .filter_map(|line| line.split_once(':'))
                        .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
                        .map(|(_, value)| value.trim().to_owned())
                };
                let length: usize = header("content-length").and_then(|value| value.parse().ok()).unwrap_or(0);
                let mut body = vec![0u8; length];
                let _ = socket.read_exact(&mut body).await;
                record.lock().expect("lock").push((path, header("authorization")));
                let answer = r#"{"message":"Authentication failed"}"#;
                let response = format!(
                    "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn db_token_is_sent_as_a_bearer_token_and_a_refusal_is_a_503() {
    for (token, expected) in [("s3cret", Some("Bearer s3cret".to_owned())), ("", None)] {
        let (url, seen) = refusing_server().await;
        let server = Server::start_on(None, &[("db_url", &url), ("db_token", token)], &[]).await;
        let reply = server.send("GET", "/api/v1/chats/", Some("not-a-token"), None).await;
        reply.assert_error(503, "Database unavailable");
        let seen = seen.lock().expect("lock").clone();
        assert!(!seen.is_empty(), "the component reached the server");
        for (path, authorization) in seen {
            assert_eq!(path, "/v2/pipeline");
            assert_eq!(authorization, expected, "token {token:?}");
        }
    }
}
