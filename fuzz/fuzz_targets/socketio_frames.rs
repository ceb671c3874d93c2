//! Every text frame a WebSocket client can send goes through these decoders first: they must
//! answer every input with a packet or `Invalid`, never panic; and the relay's publish
//! endpoint parses event JSON it is posted.
#![no_main]

use chat_core::realtime::{engineio, parse_event, socketio};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|frame: &str| {
    if let Ok(engineio::Packet::Message(payload)) = engineio::decode(frame) {
        let _ = socketio::decode(payload);
    }
    let _ = socketio::decode(frame);
    let _ = parse_event(frame);
});
