//! One benchmark client: a WebSocket speaking just enough Engine.IO v4 / Socket.IO v5 to look
//! like one Open WebUI browser tab, then a receive loop that timestamps every `events` frame.
//!
//! Handshake, as `socket.io-client` does it over the WebSocket transport:
//! `GET /ws/socket.io/?EIO=4&transport=websocket` → server `0{sid,pingInterval,...}` →
//! client `40{"token":...}` → server `40{"sid":...}` → client `421["user-join",{"auth":{"token"}}]`
//! → server `431[{"id":...}]`. After that the relay puts the socket in room `user:{id}` and
//! every event published for that user arrives as `42["events",{chat_id,message_id,data}]`.
//! The server pings (`2`) and drops clients that do not answer (`3`).
//!
//! The receive loop is the hot path (N sockets × events/s frames): it does not parse JSON,
//! it only finds the two numbers the publisher put in the payload.

use crate::histogram::Histogram;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket that finished the handshake and joined its user's room.
pub struct Joined {
    socket: Socket,
}

/// What one socket saw during the run.
#[derive(Default)]
pub struct SocketStats {
    /// Publish-to-receive latency of every benchmark event, µs.
    pub latency: Histogram,
    /// Distinct benchmark events received.
    pub unique: u64,
    /// Benchmark events received more than once.
    pub duplicates: u64,
    /// Frames that were neither benchmark events nor pings.
    pub other_frames: u64,
    /// Pings answered.
    pub pings: u64,
    /// Receive time of the last benchmark event, ns since the epoch.
    pub last_receive_ns: u64,
    /// Set when the server closed the socket (close code) or the connection failed.
    pub ended: Option<String>,
}

/// Nanoseconds since `epoch`: the one clock both the publisher and the receivers read.
pub fn now_ns(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Opens a socket to `ws_url` and authenticates it as the owner of `token`.
pub async fn connect(ws_url: &str, token: &str, timeout: Duration) -> Result<Joined, String> {
    tokio::time::timeout(timeout, handshake(ws_url, token))
        .await
        .map_err(|_| format!("handshake took over {timeout:?}"))?
}

async fn handshake(ws_url: &str, token: &str) -> Result<Joined, String> {
    // Nagle off: our few frames (CONNECT, user-join, pongs) should not wait for acks.
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(ws_url, None, true)
        .await
        .map_err(|e| format!("websocket connect: {e}"))?;
    let open = next_text(&mut socket).await?;
    if !open.starts_with('0') {
        return Err(format!(
            "expected the Engine.IO open packet, got {open:.80}"
        ));
    }
    send(&mut socket, format!("40{}", json!({ "token": token }))).await?;
    let connected = next_text(&mut socket).await?;
    if !connected.starts_with("40") {
        return Err(format!("Socket.IO CONNECT refused: {connected:.120}"));
    }
    let join = format!("421{}", json!(["user-join", {"auth": {"token": token}}]));
    send(&mut socket, join).await?;
    loop {
        let text = next_text(&mut socket).await?;
        let Some(ack) = text.strip_prefix("431") else {
            continue;
        };
        // The ack carries the user (`[{"id":..., "name":...}]`); a refused join has no data.
        let accepted = serde_json::from_str::<Value>(ack)
            .ok()
            .and_then(|args| args.get(0).and_then(|user| user.get("id")).cloned())
            .is_some();
        return if accepted {
            Ok(Joined { socket })
        } else {
            Err(format!("user-join refused: {ack:.120}"))
        };
    }
}

/// The next text frame, answering pings on the way.
async fn next_text(socket: &mut Socket) -> Result<String, String> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.as_str() == "2" => {
                send(socket, "3".into()).await?
            }
            Some(Ok(Message::Text(text))) => return Ok(text.to_string()),
            Some(Ok(Message::Close(frame))) => {
                return Err(format!("closed by the server: {frame:?}"));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("websocket: {e}")),
            None => return Err("connection ended".into()),
        }
    }
}

async fn send(socket: &mut Socket, text: String) -> Result<(), String> {
    socket
        .send(Message::text(text))
        .await
        .map_err(|e| format!("websocket send: {e}"))
}

impl Joined {
    /// Receives until `stop` flips (or the server ends the connection), timestamping every
    /// benchmark event. `delivered` counts them across sockets so the driver can tell when
    /// every expected delivery has arrived.
    pub async fn receive(
        mut self,
        epoch: Instant,
        mut stop: watch::Receiver<bool>,
        delivered: Arc<AtomicU64>,
    ) -> SocketStats {
        let mut stats = SocketStats::default();
        // One bit per sequence number: duplicates must not be counted as deliveries.
        let mut seen: Vec<u64> = Vec::new();
        loop {
            let message = tokio::select! {
                // `biased`: check the stop signal first, so a flood of frames cannot keep the
                // task from ending.
                biased;
                _ = stop.changed() => break,
                message = self.socket.next() => message,
            };
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(frame))) => {
                    stats.ended = Some(match frame {
                        Some(frame) => format!(
                            "closed by the server: {} {}",
                            u16::from(frame.code),
                            frame.reason
                        ),
                        None => "closed by the server".into(),
                    });
                    break;
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    stats.ended = Some(format!("websocket: {e}"));
                    break;
                }
                None => {
                    stats.ended = Some("connection ended".into());
                    break;
                }
            };
            let received_ns = now_ns(epoch);
            let text = text.as_str();
            if text == "2" {
                stats.pings += 1;
                if let Err(e) = send(&mut self.socket, "3".into()).await {
                    stats.ended = Some(e);
                    break;
                }
                continue;
            }
            let Some((sent_ns, seq)) = parse_event(text) else {
                stats.other_frames += 1;
                continue;
            };
            let (word, bit) = ((seq / 64) as usize, seq % 64);
            if seen.len() <= word {
                seen.resize(word + 1, 0);
            }
            if seen[word] & (1u64 << bit) != 0 {
                stats.duplicates += 1;
                continue;
            }
            seen[word] |= 1u64 << bit;
            stats.unique += 1;
            stats
                .latency
                .record(received_ns.saturating_sub(sent_ns) / 1000);
            stats.last_receive_ns = stats.last_receive_ns.max(received_ns);
            delivered.fetch_add(1, Ordering::Relaxed);
        }
        let _ = self.socket.close(None).await;
        stats
    }
}

/// `(sent_ns, seq)` of a benchmark `events` frame, without a JSON parse: the payload is ours,
/// so finding the two keys is enough, and it is an order of magnitude cheaper per frame.
fn parse_event(text: &str) -> Option<(u64, u64)> {
    if !text.starts_with("42[\"events\"") {
        return None;
    }
    Some((
        number_after(text, "\"sent_ns\":")?,
        number_after(text, "\"seq\":")?,
    ))
}

fn number_after(text: &str, key: &str) -> Option<u64> {
    let start = text.find(key)? + key.len();
    let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
    text[start..start + digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_benchmark_events_only() {
        let frame = r#"42["events",{"chat_id":"local:bench","message_id":"m","data":{"type":"status","data":{"sent_ns":123456,"seq":7}}}]"#;
        assert_eq!(parse_event(frame), Some((123_456, 7)));
        assert_eq!(parse_event(r#"42["user-list",{"user_ids":[]}]"#), None);
        assert_eq!(
            parse_event(r#"42["events",{"data":{"sent_ns":,"seq":1}}]"#),
            None
        );
    }
}
