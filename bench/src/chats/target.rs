//! How `bench-api` talks to a server: in-process (seeding ours) or over HTTP (the other
//! server, and reading back ids).

use crate::chats::native::NativeApi;
use serde_json::Value;

/// A way to call the chats API.
pub enum Api {
    /// The core in-process on the benchmark's database file.
    Native(NativeApi),
    /// A server over HTTP at this base URL (`http://host:port`).
    Http {
        /// `http://host:port`.
        base: String,
        /// The client.
        client: reqwest::Client,
    },
}

impl Api {
    /// An HTTP API at `base`.
    pub fn http(base: &str) -> Self {
        Self::Http { base: base.trim_end_matches('/').to_owned(), client: reqwest::Client::new() }
    }

    /// Sends a JSON request; returns the status and the parsed body (`null` when not JSON).
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Result<(u16, Value), String> {
        match self {
            Self::Native(api) => Ok(api.call(method, path, token, body).await),
            Self::Http { base, client } => {
                let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
                let mut request = client.request(method, format!("{base}{path}"));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                if let Some(body) = body {
                    request = request.header("content-type", "application/json").body(body.to_string());
                }
                let response = request.send().await.map_err(|e| format!("{path}: {e}"))?;
                let status = response.status().as_u16();
                let bytes = response.bytes().await.map_err(|e| format!("{path}: {e}"))?;
                Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
            }
        }
    }

    /// Waits until the server answers a cheap request (`GET /chats/all/tags`) within
    /// [`SETTLED`], at most [`SETTLE_LIMIT`]; returns how long that took. A server that
    /// finishes none of a scenario's requests in time (Open WebUI on searches) is still working
    /// through them after wrk has gone, and the next scenario would measure that backlog.
    pub async fn settle(&self, token: &str) -> std::time::Duration {
        let started = std::time::Instant::now();
        while started.elapsed() < SETTLE_LIMIT {
            let probe = std::time::Instant::now();
            let answered = self.call("GET", "/api/v1/chats/all/tags", Some(token), None).await.is_ok_and(|(status, _)| status == 200);
            if answered && probe.elapsed() < SETTLED {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        started.elapsed()
    }
}

/// A probe answered this fast means the server has no backlog (Open WebUI idle: ~150 ms).
pub const SETTLED: std::time::Duration = std::time::Duration::from_millis(500);
/// The longest [`Api::settle`] waits.
pub const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);
