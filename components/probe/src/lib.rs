//! `probe`: a tiny spin-sdk 7 component used by the host's integration tests.
//!
//! It exists to observe, from inside a component, what the host provides:
//! - `GET /probe/...` echoes the method, path and every `spin-*` header as JSON (with
//!   `?open=<label>` it also reports what opening that SQLite database gives);
//! - `/probe/sql` writes and reads back one row holding every SQLite value type;
//! - `/probe/sqltx` runs a BEGIN / INSERT / COMMIT sequence on one connection;
//! - `/probe/var/:name` returns the value of a Spin variable (or the error);
//! - `/probe/trap` panics, so the host must answer 500 and carry on;
//! - `/probe/fetch?url=U` makes an outbound GET to `U` and reports status and body (or error);
//! - `/probe/big?mb=N` streams an N MiB body (default 8) in 64 KiB chunks.
//!
//! It is a test fixture: no other component depends on it and `spin.toml` does not list it.

use futures::SinkExt;
use serde_json::{Map, Value as Json, json};
use spin_sdk::http::{IntoResponse, Request, StatusCode};
use spin_sdk::sqlite::{Connection, Value};

/// Entry point: dispatches on the path (Spin routes by path only).
#[spin_sdk::http_service]
async fn handle(req: Request) -> impl IntoResponse {
    let path = req.uri().path().to_string();
    let route = req
        .headers()
        .get("spin-component-route")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    match path.as_str() {
        "/probe/sql" => sql().await,
        "/probe/sqltx" => sql_tx().await,
        "/probe/trap" => panic!("probe: deliberate trap"),
        "/probe/big" => big(req.uri().query().unwrap_or_default()),
        "/probe/fetch" => fetch(req.uri().query().unwrap_or_default()).await,
        _ if route == "/probe/var/:name" => var(&req).await,
        _ => echo(&req).await,
    }
}

type Reply = http::Response<spin_sdk::http::BoxBody>;

fn json_reply(status: StatusCode, value: &Json) -> Reply {
    let body = http_body_util_full(value.to_string());
    let mut resp = http::Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

fn http_body_util_full(text: String) -> spin_sdk::http::BoxBody {
    spin_sdk::http::box_body(spin_sdk::http::FullBody::new(bytes::Bytes::from(text)))
}

async fn echo(req: &Request) -> Reply {
    // `?open=<label>` also tries to open that SQLite database and reports the outcome.
    let open = match req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("open=")))
    {
        Some(label) => Some(match Connection::open(label).await {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("{e:?}"),
        }),
        None => None,
    };
    let mut headers = Map::new();
    for (name, value) in req.headers() {
        if name.as_str().starts_with("spin-") {
            headers.insert(
                name.as_str().to_string(),
                Json::String(value.to_str().unwrap_or("<non-utf8>").to_string()),
            );
        }
    }
    let body = json!({
        "method": req.method().as_str(),
        "path": req.uri().path(),
        "query": req.uri().query(),
        "headers": headers,
        "open": open,
    });
    json_reply(StatusCode::OK, &body)
}

fn value_to_json(v: &Value) -> Json {
    match v {
        Value::Integer(i) => json!({"integer": i}),
        Value::Real(r) => json!({"real": r}),
        Value::Text(t) => json!({"text": t}),
        Value::Blob(b) => json!({"blob": b}),
        Value::Null => json!("null"),
    }
}

async fn sql() -> Reply {
    match sql_inner().await {
        Ok(v) => json_reply(StatusCode::OK, &v),
        Err(e) => json_reply(StatusCode::INTERNAL_SERVER_ERROR, &json!({"error": e})),
    }
}

async fn sql_inner() -> Result<Json, String> {
    let conn = Connection::open_default().await.map_err(|e| format!("{e:?}"))?;
    conn.execute(
        "CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)",
        [],
    )
    .await
    .map_err(|e| format!("{e:?}"))?
    .collect()
    .await
    .map_err(|e| format!("{e:?}"))?;
    conn.execute(
        "INSERT INTO probe (i, r, t, b, n) VALUES (?, ?, ?, ?, ?)",
        [
            Value::Integer(-9_007_199_254_740_993),
            Value::Real(3.25),
            Value::Text("héllo 'world'".to_string()),
            Value::Blob(vec![0, 1, 2, 254, 255]),
            Value::Null,
        ],
    )
    .await
    .map_err(|e| format!("{e:?}"))?
    .collect()
    .await
    .map_err(|e| format!("{e:?}"))?;
    let rowid = conn.last_insert_rowid().await;
    let changes = conn.changes().await;
    let result = conn
        .execute(
            "SELECT id, i, r, t, b, n FROM probe WHERE id = ?",
            [Value::Integer(rowid)],
        )
        .await
        .map_err(|e| format!("{e:?}"))?;
    let columns = result.columns().to_vec();
    let rows = result.collect().await.map_err(|e| format!("{e:?}"))?;
    let rows: Vec<Json> = rows
        .iter()
        .map(|r| Json::Array(r.values.iter().map(value_to_json).collect()))
        .collect();
    // An error must come back as an error, not a trap.
    let bad = match conn.execute("SELECT * FROM no_such_table", []).await {
        Ok(_) => "no error".to_string(),
        Err(e) => format!("{e:?}"),
    };
    // The host's per-connection settings, as SQLite reports them.
    let mut settings = serde_json::Map::new();
    for pragma in ["cache_size", "foreign_keys", "soft_heap_limit"] {
        let rows = query_rows(&conn, &format!("PRAGMA {pragma}"), vec![]).await?;
        let value = rows.first().and_then(|row| row.first()).cloned().unwrap_or(Json::Null);
        settings.insert(pragma.to_owned(), value);
    }
    // A statement with a large binding, twice: the host does not cache it, so it is prepared
    // again for the second run.
    let mut large_binding = Vec::new();
    for tail in ["a", "b"] {
        let text = format!("{}{tail}", "x".repeat(100_000));
        let rows = query_rows(&conn, "SELECT length(?), substr(?, -1)", vec![Value::Text(text.clone()), Value::Text(text)]).await?;
        large_binding.push(Json::Array(rows.into_iter().flatten().collect()));
    }
    Ok(json!({
        "columns": columns,
        "rows": rows,
        "rowid": rowid,
        "changes": changes,
        "bad_query_error": bad,
        "settings": settings,
        "large_binding": large_binding,
    }))
}

/// The rows of `sql` as JSON values ([`value_to_json`]).
async fn query_rows(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<Vec<Vec<Json>>, String> {
    let result = conn.execute(sql, params).await.map_err(|e| format!("{sql}: {e:?}"))?;
    let rows = result.collect().await.map_err(|e| format!("{sql}: {e:?}"))?;
    Ok(rows.iter().map(|row| row.values.iter().map(value_to_json).collect()).collect())
}

async fn sql_tx() -> Reply {
    let run = async {
        let conn = Connection::open_default().await.map_err(|e| format!("{e:?}"))?;
        for stmt in [
            "CREATE TABLE IF NOT EXISTS probe_tx (v INTEGER)",
            "BEGIN",
            "INSERT INTO probe_tx (v) VALUES (1)",
            "INSERT INTO probe_tx (v) VALUES (2)",
            "COMMIT",
        ] {
            conn.execute(stmt, [])
                .await
                .map_err(|e| format!("{stmt}: {e:?}"))?
                .collect()
                .await
                .map_err(|e| format!("{stmt}: {e:?}"))?;
        }
        let rows = conn
            .execute("SELECT count(*) FROM probe_tx", [])
            .await
            .map_err(|e| format!("{e:?}"))?
            .collect()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let count = rows.first().and_then(|r| r.get::<i64>(0)).unwrap_or(-1);
        // Leave a transaction open: the host must roll it back when the connection is dropped.
        for stmt in ["BEGIN", "INSERT INTO probe_tx (v) VALUES (99)"] {
            conn.execute(stmt, [])
                .await
                .map_err(|e| format!("{stmt}: {e:?}"))?
                .collect()
                .await
                .map_err(|e| format!("{stmt}: {e:?}"))?;
        }
        Ok::<_, String>(json!({ "count": count }))
    };
    match run.await {
        Ok(v) => json_reply(StatusCode::OK, &v),
        Err(e) => json_reply(StatusCode::INTERNAL_SERVER_ERROR, &json!({"error": e})),
    }
}

async fn var(req: &Request) -> Reply {
    let name = req
        .headers()
        .get("spin-path-match-name")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    match spin_sdk::variables::get(&name).await {
        Ok(value) => json_reply(StatusCode::OK, &json!({ "value": value })),
        Err(e) => json_reply(StatusCode::NOT_FOUND, &json!({ "error": format!("{e:?}") })),
    }
}

fn big(query: &str) -> Reply {
    let mib: usize = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("mb="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let (mut tx, body) = spin_sdk::http::body::stream::<bytes::Bytes>();
    spin_sdk::wasip3::spawn(async move {
        const CHUNK: usize = 64 * 1024;
        for i in 0..(mib * 1024 * 1024 / CHUNK) {
            // Every chunk is filled with its index so that the test can check order.
            let chunk = bytes::Bytes::from(vec![(i % 251) as u8; CHUNK]);
            if tx.send(chunk).await.is_err() {
                break;
            }
        }
    });
    let mut resp = http::Response::new(spin_sdk::http::box_body(body));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/octet-stream"),
    );
    resp
}

async fn fetch(query: &str) -> Reply {
    use spin_sdk::http::body::IncomingBodyExt;
    let Some(url) = query.split('&').find_map(|kv| kv.strip_prefix("url=")) else {
        return json_reply(StatusCode::BAD_REQUEST, &json!({"error": "missing url"}));
    };
    match spin_sdk::http::get(url).await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = match resp.into_body().bytes().await {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => format!("body error: {e:?}"),
            };
            json_reply(StatusCode::OK, &json!({"status": status, "body": body}))
        }
        Err(e) => json_reply(StatusCode::BAD_GATEWAY, &json!({"error": format!("{e:?}")})),
    }
}
