//! A minimal Socket.IO v5 / Engine.IO v4 client over a WebSocket, enough to act like one
//! browser tab of Open WebUI in tests: connect with a token, emit events with acks, answer
//! pings, and collect the `events` the server pushes.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One connected client.
pub struct Client {
    socket: Socket,
    next_ack: u64,
    /// The Engine.IO open packet's JSON.
    pub open: Value,
    /// The Socket.IO CONNECT answer's JSON (`{"sid": ...}`).
    pub connected: Value,
}

/// What the server sent, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// `42["name", args...]`.
    Event(String, Vec<Value>),
    /// `43<id>[args...]`.
    Ack(u64, Vec<Value>),
    /// Anything else (raw text).
    Other(String),
}

impl Client {
    /// Connects to `base` (`http://127.0.0.1:PORT`) and sends CONNECT with `{"token"}` when a
    /// token is given (what socket.io-client sends for `auth: {token}`).
    pub async fn connect(base: &str, token: Option<&str>) -> Self {
        let url = format!("{}/ws/socket.io/?EIO=4&transport=websocket", base.replacen("http", "ws", 1));
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connect");
        let open = next_text(&mut socket).await;
        assert!(open.starts_with('0'), "expected the Engine.IO open packet, got {open}");
        let open: Value = serde_json::from_str(&open[1..]).expect("open packet JSON");
        let auth = token.map_or_else(String::new, |token| json!({"token": token}).to_string());
        socket.send(Message::text(format!("40{auth}"))).await.expect("send connect");
        let mut client = Self { socket, next_ack: 1, open, connected: Value::Null };
        loop {
            let text = client.next_frame().await.expect("connect answer");
            if let Some(rest) = text.strip_prefix("40") {
                client.connected = serde_json::from_str(rest).unwrap_or(Value::Null);
                return client;
            }
        }
    }

    /// Emits `name` with one argument and waits for its ack.
    pub async fn call(&mut self, name: &str, argument: Value) -> Vec<Value> {
        let id = self.next_ack;
        self.next_ack += 1;
        let frame = format!("42{id}{}", json!([name, argument]));
        self.socket.send(Message::text(frame)).await.expect("send event");
        loop {
            match self.next_packet(Duration::from_secs(10)).await {
                Some(Packet::Ack(ack, args)) if ack == id => return args,
                Some(_) => continue,
                None => panic!("no ack for {name}"),
            }
        }
    }

    /// Emits `name` with one argument, without an ack.
    pub async fn emit(&mut self, name: &str, argument: Value) {
        let frame = format!("42{}", json!([name, argument]));
        self.socket.send(Message::text(frame)).await.expect("send event");
    }

    /// Sends a raw text frame (for garbage tests).
    pub async fn send_raw(&mut self, frame: &str) {
        self.socket.send(Message::text(frame.to_owned())).await.expect("send raw");
    }

    /// The next `events` payload within `wait`, skipping other packets.
    pub async fn next_event(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_packet(left).await? {
                Packet::Event(name, mut args) if name == "events" && !args.is_empty() => return Some(args.remove(0)),
                _ => continue,
            }
        }
    }

    /// Every `events` payload that arrives within `wait`.
    pub async fn events_within(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut events = Vec::new();
        while let Some(event) = self.next_event(deadline.saturating_duration_since(tokio::time::Instant::now())).await {
            events.push(event);
        }
        events
    }

    /// The next decoded packet within `wait`, answering pings on the way.
    pub async fn next_packet(&mut self, wait: Duration) -> Option<Packet> {
        let text = tokio::time::timeout(wait, self.next_frame()).await.ok()??;
        Some(decode(&text))
    }

    async fn next_frame(&mut self) -> Option<String> {
        loop {
            let text = match self.socket.next().await? {
                Ok(Message::Text(text)) => text.to_string(),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            };
            if text == "2" {
                let _ = self.socket.send(Message::text("3")).await;
                continue;
            }
            return Some(text);
        }
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

async fn next_text(socket: &mut Socket) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return text.to_string(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("websocket closed before the open packet: {other:?}"),
        }
    }
}

/// Decodes `42[...]` events and `43<id>[...]` acks.
pub fn decode(text: &str) -> Packet {
    if let Some(rest) = text.strip_prefix("42") {
        let json_start = rest.find('[').unwrap_or(rest.len());
        if let Ok(Value::Array(mut items)) = serde_json::from_str::<Value>(&rest[json_start..])
            && let Some(Value::String(name)) = items.first().cloned()
        {
            items.remove(0);
            return Packet::Event(name, items);
        }
    }
    if let Some(rest) = text.strip_prefix("43") {
        let json_start = rest.find('[').unwrap_or(rest.len());
        if let (Ok(id), Ok(Value::Array(items))) = (rest[..json_start].parse(), serde_json::from_str::<Value>(&rest[json_start..])) {
            return Packet::Ack(id, items);
        }
    }
    Packet::Other(text.to_owned())
}
