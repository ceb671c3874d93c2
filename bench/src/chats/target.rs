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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers its first `slow` requests after 700 ms (a backlog), then at once.
    async fn backlogged_server(slow: usize) -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
        let base = format!("http://{}", listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}")));
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    while let Ok(read) = socket.read(&mut buffer).await {
                        if read == 0 {
                            break;
                        }
                        if counter.fetch_add(1, Ordering::SeqCst) < slow {
                            tokio::time::sleep(Duration::from_millis(700)).await;
                        }
                        let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]";
                        if socket.write_all(reply.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (base, seen)
    }

    #[tokio::test]
    async fn settle_waits_until_the_server_answers_fast() {
        let (base, seen) = backlogged_server(2).await;
        let started = Instant::now();
        let waited = Api::http(&base).settle("token").await;
        assert_eq!(seen.load(Ordering::SeqCst), 3, "two slow probes, then one fast one");
        assert!(waited >= Duration::from_millis(1400) && started.elapsed() < Duration::from_secs(10), "{waited:?}");

        let (idle, seen) = backlogged_server(0).await;
        let waited = Api::http(&idle).settle("token").await;
        assert_eq!(seen.load(Ordering::SeqCst), 1, "an idle server is probed once");
        assert!(waited < SETTLED, "{waited:?}");
    }
}
