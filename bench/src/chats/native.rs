//! The core called in-process, without Wasm: how `bench-api` seeds its database (the same
//! route code the components run, minus the transport) and the floor it compares the host
//! with — a single call timed in a loop, and the same core behind a plain hyper server.

use chat_core::db::{Database, LibsqlDatabase};
use chat_core::http::{Request, Response};
use chat_core::settings::Settings;
use chat_core::{Ctx, schema};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The core over one libSQL connection to the benchmark's database file.
pub struct NativeApi {
    db: LibsqlDatabase,
    settings: Settings,
}

impl NativeApi {
    /// Opens (and if needed creates) the database at `path`, with the schema.
    pub async fn open(path: &str, secret: &str) -> Result<Self, String> {
        let db = LibsqlDatabase::open_local(path).await.map_err(|e| format!("open {path}: {e}"))?;
        schema::ensure(&db).await.map_err(|e| format!("schema: {e}"))?;
        let settings = Settings::from_lookup(|name| (name == "webui_secret_key").then(|| secret.to_owned()));
        Ok(Self { db, settings })
    }

    /// Runs one request through the router its path belongs to.
    pub async fn dispatch(&self, request: &Request) -> Response {
        let ctx = Ctx::new(&self.db, &self.settings);
        if request.path.starts_with("/api/v1/auths") {
            chat_core::auth::routes::dispatch(&ctx, request).await
        } else if request.path.starts_with("/api/v1/folders") {
            chat_core::folders::dispatch(&ctx, request).await
        } else {
            chat_core::chats::router::dispatch(&ctx, request).await
        }
    }

    /// Sends a JSON request; returns the status and the parsed body.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
        let response = self.dispatch(&build_request(method, path, token, body)).await;
        let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        (response.status, value)
    }

    /// Runs a raw SQL statement (checkpoints, counts).
    pub async fn sql(&self, sql: &str) -> Result<(), String> {
        self.db.query(sql, &[]).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// Median and p99 of `iterations` in-process calls of one request (after a warm-up).
    pub async fn time_calls(&self, method: &str, path: &str, token: &str, body: Option<&Value>, iterations: usize) -> Result<(Duration, Duration), String> {
        let request = build_request(method, path, Some(token), body);
        for _ in 0..iterations.min(200) {
            self.dispatch(&request).await;
        }
        let mut times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let start = Instant::now();
            let response = self.dispatch(&request).await;
            times.push(start.elapsed());
            if response.status != 200 {
                return Err(format!("{method} {path} answered {} in-process", response.status));
            }
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        Ok((at(0.5), at(0.99)))
    }
}

/// A core request with the benchmark's bearer token and JSON body.
pub fn build_request(method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Request {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(token) = token {
        headers.push(("authorization".to_owned(), format!("Bearer {token}")));
    }
    let body = body.map(|value| value.to_string().into_bytes()).unwrap_or_default();
    Request::new(method, path, headers, body)
}
