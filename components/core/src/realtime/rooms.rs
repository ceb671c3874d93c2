//! Room names, and joining or leaving through the host while keeping the connection's
//! mirror of its rooms in step.

use super::Sockets;
use super::session::Connection;

/// The room every socket of a user joins: personal events (`events` to the chat owner,
/// `chat:list`).
pub fn user_room(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// The room of the sockets viewing a chat together: shared events, typing, presence.
pub fn chat_room(chat_id: &str) -> String {
    format!("chat:{chat_id}")
}

/// `is_saved_chat_id`: a non-empty id that is not a temporary (`temporary:`, legacy
/// `local:`) or channel (`channel:`) chat.
pub fn is_saved_chat_id(chat_id: &str) -> bool {
    !chat_id.is_empty() && !["temporary:", "local:", "channel:"].iter().any(|prefix| chat_id.starts_with(prefix))
}

/// Joins `conn` to `room` on the host and in the mirror.
pub fn join(out: &mut dyn Sockets, conn: u64, connection: &mut Connection, room: String) {
    out.join(conn, &room);
    connection.rooms.insert(room);
}

/// Removes `conn` from `room` on the host and in the mirror.
pub fn leave(out: &mut dyn Sockets, conn: u64, connection: &mut Connection, room: &str) {
    out.leave(conn, room);
    connection.rooms.remove(room);
}

/// Removes `conn` from every room it is in (a Socket.IO disconnect; the transport stays).
pub fn leave_all(out: &mut dyn Sockets, conn: u64, connection: &mut Connection) {
    for room in std::mem::take(&mut connection.rooms) {
        out.leave(conn, &room);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_ids() {
        assert!(is_saved_chat_id("3f2a"));
        for unsaved in ["", "temporary:x", "local:x", "channel:x"] {
            assert!(!is_saved_chat_id(unsaved), "{unsaved}");
        }
        assert_eq!((user_room("u"), chat_room("c")), ("user:u".to_owned(), "chat:c".to_owned()));
    }
}
