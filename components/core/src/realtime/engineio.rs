//! Engine.IO v4 packets over WebSocket text frames: one packet per frame, a type digit
//! followed by its payload.
//!
//! Decoding is total: any input gives a [`Packet`] or [`Invalid`], never a panic. What the
//! relay does with each mirrors python-engineio 4.x: a frame that does not start with a
//! digit (or is empty) is a protocol error and ends the connection; an unknown digit is
//! ignored; the client's `2` (ping) is ignored, since in v4 only the server pings.

use serde_json::json;

/// One decoded Engine.IO packet (payloads borrow from the frame).
#[derive(Debug, Clone, PartialEq)]
pub enum Packet<'a> {
    /// `0`: open (server → client only).
    Open(&'a str),
    /// `1`: close the transport.
    Close,
    /// `2`: ping (server → client in v4; also the `2probe` of a polling upgrade).
    Ping(&'a str),
    /// `3`: pong, the client's answer to our ping.
    Pong(&'a str),
    /// `4`: a message; here always a Socket.IO packet.
    Message(&'a str),
    /// `5`: upgrade (end of a polling → WebSocket upgrade).
    Upgrade,
    /// `6`: no-op.
    Noop,
    /// A digit Engine.IO does not define (`7`–`9`).
    Unknown(u8),
    /// `b…`: a base64 binary message; Open WebUI's events are JSON only.
    Binary,
}

/// A frame that is not an Engine.IO packet at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

/// Decodes one text frame.
pub fn decode(frame: &str) -> Result<Packet<'_>, Invalid> {
    let mut chars = frame.chars();
    let first = chars.next().ok_or(Invalid)?;
    let rest = chars.as_str();
    Ok(match first {
        '0' => Packet::Open(rest),
        '1' => Packet::Close,
        '2' => Packet::Ping(rest),
        '3' => Packet::Pong(rest),
        '4' => Packet::Message(rest),
        '5' => Packet::Upgrade,
        '6' => Packet::Noop,
        'b' => Packet::Binary,
        digit @ '7'..='9' => Packet::Unknown(digit as u8 - b'0'),
        _ => return Err(Invalid),
    })
}

/// The server's ping.
pub const PING: &str = "2";

/// The no-op answer to an upgrade packet.
pub const NOOP: &str = "6";

/// The open packet, in python-engineio's key order. `upgrades` is empty: the connection
/// is already a WebSocket, there is nothing to upgrade to.
pub fn open_frame(sid: &str, ping_interval_ms: u64, ping_timeout_ms: u64, max_payload: u64) -> String {
    let body = json!({
        "sid": sid,
        "upgrades": [],
        "pingTimeout": ping_timeout_ms,
        "pingInterval": ping_interval_ms,
        "maxPayload": max_payload,
    });
    format!("0{body}")
}

/// Wraps an encoded Socket.IO packet in an Engine.IO message.
pub fn message_frame(socketio_packet: &str) -> String {
    format!("4{socketio_packet}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_type_and_refuses_garbage() {
        assert_eq!(decode("3"), Ok(Packet::Pong("")));
        assert_eq!(decode("2probe"), Ok(Packet::Ping("probe")));
        assert_eq!(decode("42[\"x\"]"), Ok(Packet::Message("2[\"x\"]")));
        assert_eq!(decode("1"), Ok(Packet::Close));
        assert_eq!(decode("5"), Ok(Packet::Upgrade));
        assert_eq!(decode("9zz"), Ok(Packet::Unknown(9)));
        assert_eq!(decode("bAAEC"), Ok(Packet::Binary));
        assert_eq!(decode(""), Err(Invalid));
        assert_eq!(decode("hello"), Err(Invalid));
        assert_eq!(decode("é4"), Err(Invalid), "multi-byte first characters are not sliced");
        assert_eq!(decode("\u{0}"), Err(Invalid));
    }

    #[test]
    fn open_packet_shape() {
        assert_eq!(
            open_frame("abc", 25_000, 20_000, 16_777_216),
            r#"0{"sid":"abc","upgrades":[],"pingTimeout":20000,"pingInterval":25000,"maxPayload":16777216}"#
        );
        assert_eq!(message_frame("40"), "440");
    }
}
