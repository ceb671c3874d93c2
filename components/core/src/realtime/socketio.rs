//! Socket.IO v5 packets, the payload of Engine.IO messages:
//! `<type>[<attachments>-][/<namespace>,][<ack id>][<JSON>]`.
//!
//! Decoding follows python-socketio 5.16's `Packet.decode` but is strict and total: a bad
//! type, bad JSON, or an ack id that does not fit in a `u64` gives [`Invalid`] (python
//! raises and drops the packet; so do we), never a panic. Encoding helpers return whole
//! Engine.IO frames, ready for `send`/`broadcast`.

use super::engineio::message_frame;
use serde_json::{Value as Json, json};

/// The Socket.IO packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `0`: connect to a namespace (client: with optional auth; server: with `{sid}`).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event `["name", ...args]`.
    Event,
    /// `3`: the answer to an event that carried an ack id.
    Ack,
    /// `4`: the server refused a connect.
    ConnectError,
    /// `5`: an event with binary attachments (unsupported: JSON only).
    BinaryEvent,
    /// `6`: an ack with binary attachments (unsupported: JSON only).
    BinaryAck,
}

/// One decoded packet.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// What it is.
    pub kind: Kind,
    /// The namespace, `/` when absent.
    pub namespace: String,
    /// The ack id, when the sender wants an answer.
    pub id: Option<u64>,
    /// The JSON payload, if any.
    pub data: Option<Json>,
}

/// Text that is not a Socket.IO packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

/// Decodes the payload of one Engine.IO message.
pub fn decode(text: &str) -> Result<Packet, Invalid> {
    let kind = match text.as_bytes().first() {
        Some(b'0') => Kind::Connect,
        Some(b'1') => Kind::Disconnect,
        Some(b'2') => Kind::Event,
        Some(b'3') => Kind::Ack,
        Some(b'4') => Kind::ConnectError,
        Some(b'5') => Kind::BinaryEvent,
        Some(b'6') => Kind::BinaryAck,
        _ => return Err(Invalid),
    };
    // The type is one ASCII byte, so slicing after it stays on a char boundary.
    let mut rest = &text[1..];
    if matches!(kind, Kind::BinaryEvent | Kind::BinaryAck) {
        // `<count>-` precedes the rest; the attachments would follow as binary frames.
        let (count, after) = rest.split_once('-').ok_or(Invalid)?;
        if count.is_empty() || count.len() > 10 || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid);
        }
        rest = after;
    }
    let mut namespace = "/".to_owned();
    if rest.starts_with('/') {
        let (name, after) = rest.split_once(',').unwrap_or((rest, ""));
        // A query string on the namespace (`/admin?x=1`) is not part of its name.
        namespace = name.split('?').next().unwrap_or(name).to_owned();
        rest = after;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits > 0 {
        let mut id: u64 = 0;
        for byte in rest[..digits].bytes() {
            id = id.checked_mul(10).and_then(|id| id.checked_add(u64::from(byte - b'0'))).ok_or(Invalid)?;
        }
        rest = &rest[digits..];
        Some(id)
    } else {
        None
    };
    let data = if rest.is_empty() {
        None
    } else {
        Some(serde_json::from_str(rest).map_err(|_| Invalid)?)
    };
    Ok(Packet { kind, namespace, id, data })
}

/// `40{"sid":…}`: the server accepted a connect to `/`.
pub fn connect_frame(sid: &str) -> String {
    message_frame(&format!("0{}", json!({"sid": sid})))
}

/// `44[/nsp,]"Unable to connect"`: python-socketio's refusal for an unknown namespace
/// or a second connect on the same transport.
pub fn connect_error_frame(namespace: &str) -> String {
    let prefix = if namespace == "/" { String::new() } else { format!("{namespace},") };
    message_frame(&format!("4{prefix}{}", json!("Unable to connect")))
}

/// `41`: the server ends the Socket.IO session (the client does not reconnect).
pub fn disconnect_frame() -> String {
    message_frame("1")
}

/// `42["name",payload]`: an event on `/`.
pub fn event_frame(name: &str, payload: &Json) -> String {
    message_frame(&format!("2{}", json!([name, payload])))
}

/// `43<id>[args…]`: the answer to an event that carried ack id `id`.
pub fn ack_frame(id: u64, args: &[Json]) -> String {
    message_frame(&format!("3{id}{}", Json::Array(args.to_vec())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(kind: Kind, namespace: &str, id: Option<u64>, data: Option<Json>) -> Packet {
        Packet { kind, namespace: namespace.into(), id, data }
    }

    #[test]
    fn decodes_what_socket_io_client_sends() {
        assert_eq!(decode("0"), Ok(packet(Kind::Connect, "/", None, None)));
        assert_eq!(decode(r#"0{"token":"t"}"#), Ok(packet(Kind::Connect, "/", None, Some(json!({"token": "t"})))));
        assert_eq!(decode("0/admin,"), Ok(packet(Kind::Connect, "/admin", None, None)));
        assert_eq!(decode("0/admin?x=1,{}"), Ok(packet(Kind::Connect, "/admin", None, Some(json!({})))));
        assert_eq!(decode(r#"2["heartbeat",{}]"#), Ok(packet(Kind::Event, "/", None, Some(json!(["heartbeat", {}])))));
        assert_eq!(decode(r#"212["user-join",{}]"#), Ok(packet(Kind::Event, "/", Some(12), Some(json!(["user-join", {}])))));
        assert_eq!(decode(r#"2/chat,3["x"]"#), Ok(packet(Kind::Event, "/chat", Some(3), Some(json!(["x"])))));
        assert_eq!(decode("1"), Ok(packet(Kind::Disconnect, "/", None, None)));
        assert_eq!(decode(r#"51-["x",{"_placeholder":true,"num":0}]"#).map(|p| p.kind), Ok(Kind::BinaryEvent));
    }

    #[test]
    fn refuses_garbage_without_panicking() {
        for bad in ["", "9", "x", "2[", "2{\"a\":", "5[]", "5-[]", "5a-[]", "é", "2\u{0}"] {
            assert_eq!(decode(bad), Err(Invalid), "{bad:?}");
        }
        let huge = format!("2{}[\"x\"]", "9".repeat(40));
        assert_eq!(decode(&huge), Err(Invalid), "an ack id beyond u64 is refused");
        assert_eq!(decode("218446744073709551615[\"x\"]").map(|p| p.id), Ok(Some(u64::MAX)));
        assert_eq!(decode("218446744073709551616[\"x\"]"), Err(Invalid));
        assert_eq!(decode("2/only-namespace").map(|p| p.namespace), Ok("/only-namespace".into()));
    }

    #[test]
    fn encodes_frames() {
        assert_eq!(connect_frame("s1"), r#"40{"sid":"s1"}"#);
        assert_eq!(connect_error_frame("/"), r#"44"Unable to connect""#);
        assert_eq!(connect_error_frame("/x"), r#"44/x,"Unable to connect""#);
        assert_eq!(disconnect_frame(), "41");
        assert_eq!(event_frame("events", &json!({"a": 1})), r#"42["events",{"a":1}]"#);
        assert_eq!(ack_frame(7, &[json!(true)]), "437[true]");
        assert_eq!(ack_frame(0, &[]), "430[]");
    }
}
