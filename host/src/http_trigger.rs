//! The HTTP trigger: accepts connections, routes each request and hands it to a component.
//!
//! Behaves like Spin's `trigger-http` for what our components can observe:
//! - routing by path only with Spin's rules ([`Router`]); no match → `404` with an empty body;
//! - the request URI gets scheme `http` and the `Host` header's authority, and the component
//!   sees Spin's headers: `spin-full-url`, `spin-path-info`, `spin-matched-route`,
//!   `spin-raw-component-route`, `spin-component-route`, `spin-base-path`, `spin-client-addr`
//!   and `spin-path-match-<name>` per `:name` segment. Unlike Spin, headers with those names
//!   sent by the client are removed first rather than kept alongside, so they cannot be spoofed;
//! - a trap, an instantiation failure or an error return gives that request `500` with an
//!   empty body and nothing else;
//! - response bodies are streamed to the client as the component produces them.
//!
//! With a realtime [`Relay`] attached, its paths (`/ws/socket.io`, `/_realtime/publish`) are
//! answered by the relay before any routing, so no component can shadow them.
//!
//! Connections are HTTP/1.1 with keep-alive. On shutdown the listener closes, WebSockets are
//! closed with 1001, idle connections close, in-flight requests finish (bounded by
//! [`SHUTDOWN_GRACE`]), and then the relay's component stops.

use crate::realtime::Relay;
use crate::router::{RouteMatch, Router};
use crate::runtime::Runtime;
use anyhow::Result;
use futures::future::Either;
use http::header::{CONNECTION, HOST, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use wasmtime_wasi_http::WasiBody;

/// How long in-flight requests may take to finish once shutdown starts.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The router plus the components it routes to.
pub struct HttpTrigger {
    router: Router,
    runtime: Runtime,
    relay: Option<Arc<Relay>>,
    max_body_bytes: u64,
}

/// The default request body cap (DESIGN.md "Errors and limits").
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

impl HttpTrigger {
    /// Puts a router and a runtime together.
    pub fn new(router: Router, runtime: Runtime) -> Self {
        Self {
            router,
            runtime,
            relay: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Caps request bodies: a larger declared `Content-Length` is answered 413 before any
    /// component runs, and a body without one is cut off at the cap (the component's read
    /// fails, so it answers an error instead of buffering without end).
    pub fn with_max_body_bytes(mut self, max_body_bytes: u64) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// Serves the realtime relay's paths too.
    pub fn with_relay(mut self, relay: Arc<Relay>) -> Self {
        self.relay = Some(relay);
        self
    }

    /// Serves `listener` until `shutdown` resolves, then drains connections and returns.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        let mut connections = JoinSet::new();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut shutdown = pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => {
                    let (stream, client_addr) = match accepted {
                        Ok(pair) => pair,
                        Err(e) => {
                            // E.g. EMFILE: back off briefly instead of spinning.
                            tracing::warn!("accept failed: {e}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let this = self.clone();
                    let stop = stop_rx.clone();
                    connections.spawn(this.serve_connection(stream, client_addr, stop));
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        drop(listener);
        // WebSockets first: they never finish by themselves, and clients should hear 1001.
        if let Some(relay) = &self.relay {
            relay.close_connections().await;
        }
        tracing::info!(
            "shutting down: finishing {} open connection(s)",
            connections.len()
        );
        let _ = stop_tx.send(true);
        let drain = async { while connections.join_next().await.is_some() {} };
        if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
            tracing::warn!("shutdown grace period over; dropping remaining connections");
        }
        // After the drain: requests finishing meanwhile may still publish events.
        if let Some(relay) = &self.relay {
            relay.stop().await;
        }
        self.runtime.begin_shutdown();
        Ok(())
    }

    async fn serve_connection(
        self: Arc<Self>,
        stream: tokio::net::TcpStream,
        client_addr: SocketAddr,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let service = hyper::service::service_fn(move |req| {
            let this = self.clone();
            async move { Ok::<_, Infallible>(this.handle(req, client_addr).await) }
        });
        // hyper_util's `TokioIo` passes vectored writes through, so hyper queues a body's
        // chunks as they are instead of copying them into one growing buffer per connection
        // (70 MB of a heap profile's peak with 32 clients reading 1.75 MB answers).
        let conn = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let mut conn = pin!(conn);
        let stopped = pin!(async move {
            let _ = stop.wait_for(|s| *s).await;
        });
        match futures::future::select(conn.as_mut(), stopped).await {
            Either::Left((result, _)) => {
                if let Err(e) = result {
                    tracing::debug!(%client_addr, "connection ended with error: {e}");
                }
            }
            Either::Right(((), mut conn)) => {
                conn.as_mut().graceful_shutdown();
                if let Err(e) = conn.await {
                    tracing::debug!(%client_addr, "connection ended with error: {e}");
                }
            }
        }
    }

    /// Routes and executes one request. Never fails: errors become 404/500 responses.
    pub async fn handle(&self, req: Request<Incoming>, client_addr: SocketAddr) -> Response<WasiBody> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        if let Some(relay) = &self.relay
            && Relay::owns_path(&path)
        {
            let resp = relay.handle(req, client_addr).await;
            log_request(&method, &path, "realtime", resp.status(), started);
            return resp;
        }
        let Some(route) = self.router.route(&path) else {
            let resp = empty_response(StatusCode::NOT_FOUND);
            log_request(&method, &path, "-", resp.status(), started);
            return resp;
        };
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > self.max_body_bytes) {
            let resp = too_large(self.max_body_bytes);
            log_request(&method, &path, &route.component_id, resp.status(), started);
            return resp;
        }
        let req = match prepare_request(req, &route, client_addr, self.max_body_bytes) {
            Ok(req) => req,
            Err(e) => {
                tracing::warn!("bad request for {path}: {e:#}");
                let resp = empty_response(StatusCode::BAD_REQUEST);
                log_request(&method, &path, &route.component_id, resp.status(), started);
                return resp;
            }
        };
        let resp = match self.runtime.handle(&route.component_id, req).await {
            Ok(resp) => resp,
            Err(e) => {
                tracing::error!(component = %route.component_id, "error processing request {method} {path}: {e:#}");
                empty_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
        };
        log_request(&method, &path, &route.component_id, resp.status(), started);
        resp
    }
}

fn log_request(method: &http::Method, path: &str, component: &str, status: StatusCode, started: Instant) {
    tracing::info!(
        "{method} {path} component={component} status={} duration_ms={:.1}",
        status.as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
}

/// 413 in Open WebUI's error shape.
fn too_large(limit: u64) -> Response<WasiBody> {
    let detail = format!("Request body is too large (the limit is {limit} bytes).");
    let body = serde_json::json!({ "detail": detail }).to_string();
    let mut resp = Response::new(crate::outbound_http::full_body(body.into_bytes()));
    *resp.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn empty_response(status: StatusCode) -> Response<WasiBody> {
    let mut resp = Response::new(crate::outbound_http::empty_body());
    *resp.status_mut() = status;
    resp
}

/// The Spin header names this host sets (lower case).
const SPIN_HEADERS: [&str; 7] = [
    "spin-full-url",
    "spin-path-info",
    "spin-matched-route",
    "spin-base-path",
    "spin-raw-component-route",
    "spin-component-route",
    "spin-client-addr",
];

/// Rewrites the URI to absolute form and sets Spin's headers, as Spin's trigger does.
fn prepare_request(
    req: Request<Incoming>,
    route: &RouteMatch,
    client_addr: SocketAddr,
    max_body_bytes: u64,
) -> Result<wasmtime_wasi_http::handler::Request> {
    let (mut parts, body) = req.into_parts();
    let host = match parts.headers.get(HOST) {
        Some(h) => h.to_str()?.to_string(),
        None => parts
            .uri
            .authority()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "localhost".to_string()),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    parts.uri = Uri::builder()
        .scheme("http")
        .authority(host.as_str())
        .path_and_query(path_and_query.as_str())
        .build()?;

    let headers = &mut parts.headers;
    // Transport-level, meaningless (and harmful when forwarded) to the guest.
    headers.remove(CONNECTION);
    for name in SPIN_HEADERS {
        headers.remove(name);
    }
    let spoofed: Vec<HeaderName> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("spin-path-match-"))
        .cloned()
        .collect();
    for name in spoofed {
        headers.remove(name);
    }
    let full_url = format!("http://{host}{path_and_query}");
    let values: [(&str, &str); 7] = [
        ("spin-path-info", &route.path_info),
        ("spin-full-url", &full_url),
        ("spin-matched-route", &route.based_route),
        ("spin-base-path", "/"),
        ("spin-raw-component-route", &route.raw_route),
        ("spin-component-route", route.raw_route_or_prefix()),
        ("spin-client-addr", &client_addr.to_string()),
    ];
    for (name, value) in values {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_str(value)?);
    }
    for (name, value) in &route.params {
        let name = format!("spin-path-match-{}", name.to_ascii_lowercase());
        headers.insert(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_str(value)?,
        );
    }
    let limit = usize::try_from(max_body_bytes).unwrap_or(usize::MAX);
    let body = http_body_util::Limited::new(body, limit)
        .map_err(move |error| match error.downcast::<hyper::Error>() {
            Ok(transport) => wasmtime_wasi_http::Error::from(*transport),
            // The only other error `Limited` produces is the cap being exceeded.
            Err(_) => wasmtime_wasi_http::Error::HttpRequestBodySize(Some(max_body_bytes)),
        })
        .boxed_unsync();
    Ok(Request::from_parts(parts, body))
}
