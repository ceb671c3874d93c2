//! The WebSocket side: the upgrade handshake at `/ws/socket.io`, and one task per connection
//! that moves frames between the socket, the actor and the connection's outbound queue.
//!
//! A connection task runs three things at once and ends when the first one does:
//! - the reader: text frames go to the actor in order (awaiting a full actor channel, which
//!   slows only this client's reads); binary frames close the socket with 1003 (the protocol
//!   is JSON text only); frames over the size cap close it with 1009 before anything is
//!   buffered beyond the cap;
//! - the writer: drains the outbound queue, batching whatever is already queued into one flush;
//! - the kill signal: the connection table asks for an immediate close (queue overflow,
//!   shutdown, component restart).
//!
//! Then it sends the close frame (bounded in time: a client that stopped reading cannot hold
//! the task), removes the connection from the table and tells the actor, in that order, so the
//! component's `on-close` never sees a connection that can still receive frames.

use super::actor::Command;
use super::bindings::exports::owui::realtime::handlers::Upgrade;
use super::connections::{CloseReason, Connections, Outbound, Registration};
use futures::{SinkExt as _, StreamExt as _};
use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use wasmtime_wasi_http::WasiBody;

/// Initial read buffer of each WebSocket. tungstenite allocates 128 KiB per connection up
/// front by default, which made a thousand idle sockets cost ~150 MB; Socket.IO clients send
/// small frames, and the buffer still grows for a large one (up to the frame cap).
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// How long closing a socket may take (sending our close frame, reading the client's reply).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Close code: the client sent a binary frame.
const CLOSE_UNSUPPORTED: u16 = 1003;
/// Close code: a frame or message over the size cap.
const CLOSE_TOO_BIG: u16 = 1009;
/// Close code: the server is going away.
pub const CLOSE_GOING_AWAY: u16 = 1001;

type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// What the WebSocket side shares between connections.
pub struct WsContext {
    /// Live connections.
    pub connections: Arc<Connections>,
    /// The actor's command channel.
    pub actor: mpsc::Sender<Command>,
    /// Largest text frame (and message) accepted, in bytes.
    pub max_frame_bytes: usize,
    /// Set at shutdown: connections that finish their upgrade afterwards are closed at once.
    pub closing: AtomicBool,
}

/// True if `path` is the Socket.IO endpoint (with or without the trailing slash).
pub fn is_socket_path(path: &str) -> bool {
    path == "/ws/socket.io" || path == "/ws/socket.io/"
}

/// Answers an upgrade request at the Socket.IO path: 101 and a connection task, or 400.
pub fn upgrade(
    ctx: &Arc<WsContext>,
    mut req: Request<Incoming>,
    client_addr: SocketAddr,
) -> Response<WasiBody> {
    let Some(accept) = accept_key(req.method(), req.headers()) else {
        return super::publish::json_response(
            StatusCode::BAD_REQUEST,
            r#"{"detail":"Invalid WebSocket upgrade request"}"#,
        );
    };
    let request = Upgrade {
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or_default().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let ctx = ctx.clone();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .read_buffer_size(READ_BUFFER_BYTES)
                    .max_frame_size(Some(ctx.max_frame_bytes))
                    .max_message_size(Some(ctx.max_frame_bytes));
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                run_connection(&ctx, socket, request, client_addr).await;
            }
            Err(e) => tracing::debug!(%client_addr, "WebSocket upgrade failed: {e}"),
        }
    });
    let mut resp = Response::new(crate::outbound_http::empty_body());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = resp.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    resp
}

/// Checks an RFC 6455 upgrade request; returns the `Sec-WebSocket-Accept` value.
fn accept_key(method: &Method, headers: &HeaderMap) -> Option<HeaderValue> {
    let has_token = |name, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    let ok = method == Method::GET
        && has_token(CONNECTION, "upgrade")
        && has_token(UPGRADE, "websocket")
        && headers
            .get(SEC_WEBSOCKET_VERSION)
            .is_some_and(|v| v == "13");
    let key = headers.get(SEC_WEBSOCKET_KEY).filter(|_| ok)?;
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    HeaderValue::from_str(&accept).ok()
}

/// How a connection ended.
enum End {
    /// The client sent a close frame (tungstenite has queued the reply).
    ClientClosed(Option<u16>),
    /// The host closes it, with this code and reason.
    Close(CloseReason),
    /// The transport ended or failed without a close handshake.
    Dropped(String),
}

async fn run_connection(
    ctx: &WsContext,
    socket: Socket,
    request: Upgrade,
    client_addr: SocketAddr,
) {
    let Registration {
        id,
        queue,
        mut kill,
    } = ctx.connections.register();
    let started = Instant::now();
    tracing::info!(conn = id, %client_addr, path = %request.path, "realtime connection open");
    if ctx.closing.load(Ordering::Relaxed) {
        ctx.connections.kill(
            id,
            CloseReason::new(CLOSE_GOING_AWAY, "server shutting down"),
        );
    }
    if ctx
        .actor
        .send(Command::Open { conn: id, request })
        .await
        .is_err()
    {
        ctx.connections.kill(
            id,
            CloseReason::new(CLOSE_GOING_AWAY, "server shutting down"),
        );
    }

    let (mut sink, mut stream) = socket.split();
    let end = {
        let reader = read_frames(&mut stream, id, &ctx.actor);
        let writer = write_frames(&mut sink, queue);
        let killed = async {
            match kill.wait_for(Option::is_some).await {
                Ok(reason) => match reason.as_ref() {
                    Some(r) => End::Close(r.clone()),
                    None => End::Dropped("kill signal without reason".to_string()),
                },
                Err(_) => End::Dropped("connection table dropped".to_string()),
            }
        };
        tokio::select! {
            end = reader => end,
            end = writer => end,
            end = killed => end,
        }
    };

    let (code, why) = match &end {
        End::ClientClosed(code) => {
            // Flushes the close reply tungstenite queued when it read the client's close.
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
            (*code, "closed by client".to_string())
        }
        End::Close(reason) => {
            let frame = CloseFrame {
                code: reason.code.into(),
                reason: reason.reason.clone().into(),
            };
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
                if sink.send(Message::Close(Some(frame))).await.is_ok() {
                    // Wait for the client's close reply (or anything ending the stream).
                    while let Some(Ok(_)) = stream.next().await {}
                }
            })
            .await;
            (
                Some(reason.code),
                format!("closed by relay: {}", reason.reason),
            )
        }
        End::Dropped(e) => (None, format!("dropped: {e}")),
    };
    ctx.connections.remove(id);
    let _ = ctx.actor.send(Command::Close { conn: id }).await;
    tracing::info!(
        conn = id,
        %client_addr,
        code = code.map(i32::from).unwrap_or(-1),
        duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "realtime connection closed ({why})"
    );
}

async fn read_frames(
    stream: &mut futures::stream::SplitStream<Socket>,
    conn: u64,
    actor: &mpsc::Sender<Command>,
) -> End {
    loop {
        let message = match stream.next().await {
            None => return End::Dropped("end of stream".to_string()),
            Some(Ok(m)) => m,
            Some(Err(WsError::Capacity(e))) => {
                tracing::debug!(conn, "frame over the size cap: {e}");
                return End::Close(CloseReason::new(CLOSE_TOO_BIG, "message too big"));
            }
            Some(Err(WsError::Utf8(_))) => {
                return End::Close(CloseReason::new(1007, "invalid UTF-8"));
            }
            Some(Err(WsError::Protocol(e))) => {
                return End::Close(CloseReason::new(1002, &e.to_string()));
            }
            Some(Err(e)) => return End::Dropped(e.to_string()),
        };
        match message {
            Message::Text(text) => {
                let frame = text.as_str().to_string();
                if actor.send(Command::Text { conn, frame }).await.is_err() {
                    return End::Close(CloseReason::new(CLOSE_GOING_AWAY, "server shutting down"));
                }
            }
            Message::Binary(_) => {
                return End::Close(CloseReason::new(
                    CLOSE_UNSUPPORTED,
                    "binary frames are not supported",
                ));
            }
            Message::Close(frame) => return End::ClientClosed(frame.map(|f| u16::from(f.code))),
            // Tungstenite answers pings by itself; raw frames are never yielded when reading.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
}

async fn write_frames(
    sink: &mut futures::stream::SplitSink<Socket, Message>,
    mut queue: mpsc::Receiver<Outbound>,
) -> End {
    while let Some(first) = queue.recv().await {
        // Write everything already queued, then flush once: a burst costs one syscall.
        let mut next = Some(first);
        while let Some(item) = next {
            match item {
                Outbound::Text(frame) => {
                    if let Err(e) = sink.feed(Message::Text(frame)).await {
                        return End::Dropped(e.to_string());
                    }
                }
                Outbound::Close(reason) => {
                    if let Err(e) = sink.flush().await {
                        return End::Dropped(e.to_string());
                    }
                    return End::Close(reason);
                }
            }
            next = queue.try_recv().ok();
        }
        if let Err(e) = sink.flush().await {
            return End::Dropped(e.to_string());
        }
    }
    End::Dropped("outbound queue closed".to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_checks() {
        let mut h = HeaderMap::new();
        h.insert(CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        h.insert(UPGRADE, HeaderValue::from_static("WebSocket"));
        h.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        h.insert(
            SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        // The example of RFC 6455 section 1.3.
        assert_eq!(
            accept_key(&Method::GET, &h).unwrap(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert!(accept_key(&Method::POST, &h).is_none());
        h.remove(UPGRADE);
        assert!(accept_key(&Method::GET, &h).is_none());
        assert!(is_socket_path("/ws/socket.io/") && is_socket_path("/ws/socket.io"));
        assert!(!is_socket_path("/ws/socket.io/x"));
    }
}
