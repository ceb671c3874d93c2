//! The table of live WebSocket connections and their bounded outbound queues.
//!
//! Every connection has a queue of at most `capacity` frames between the component (which
//! produces frames inside the actor) and the socket's writer. Queuing never waits: when a
//! queue is full the client is not keeping up, and rather than buffering without bound (one slow
//! client could grow memory until the process dies) the host closes that one connection. A
//! full queue cannot carry the close request itself, so each connection also has a "kill"
//! signal that its task watches next to the queue.
//!
//! Frames are [`Frame`]s (tungstenite's reference-counted UTF-8 bytes): a broadcast to a
//! thousand members queues a thousand pointers to one buffer, not a thousand copies, and the
//! writer hands the same buffer to the socket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::{mpsc, watch};

/// One text frame, cheap to clone.
pub type Frame = tokio_tungstenite::tungstenite::Utf8Bytes;

/// Close code for a client whose outbound queue overflowed (policy violation).
pub const CLOSE_TOO_SLOW: u16 = 1008;

/// Why and how a connection is to be closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    /// WebSocket close code (already checked to be one an endpoint may send).
    pub code: u16,
    /// Reason text, at most 123 bytes (the limit of a close frame).
    pub reason: String,
}

impl CloseReason {
    /// A close reason with a code a server may send on the wire and a reason that fits a
    /// close frame. Codes the protocol reserves (1004–1006, 1015, anything below 1000 or
    /// above 4999…) become 1000, so a component cannot make the host emit an invalid frame.
    pub fn new(code: u16, reason: &str) -> Self {
        let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            code: if valid { code } else { 1000 },
            reason: reason[..end].to_string(),
        }
    }
}

/// What a connection's writer is asked to do, in order.
#[derive(Debug)]
pub enum Outbound {
    /// Send one text frame.
    Text(Frame),
    /// Send a close frame (after everything queued before it) and stop.
    Close(CloseReason),
}

struct Entry {
    queue: mpsc::Sender<Outbound>,
    kill: watch::Sender<Option<CloseReason>>,
}

/// The receiving ends a connection task needs.
pub struct Registration {
    /// The connection id the component will know this connection by.
    pub id: u64,
    /// Frames to write, in order.
    pub queue: mpsc::Receiver<Outbound>,
    /// Becomes `Some` when the connection must close now, without draining its queue.
    pub kill: watch::Receiver<Option<CloseReason>>,
}

/// All live connections of this process.
pub struct Connections {
    map: Mutex<HashMap<u64, Entry>>,
    next_id: AtomicU64,
    capacity: usize,
}

impl Connections {
    /// An empty table whose connections queue at most `capacity` frames each.
    pub fn new(capacity: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Entry>> {
        // A panic while holding this lock cannot leave the map inconsistent (every operation
        // is a single insert/remove/lookup), so a poisoned lock is still usable.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a connection with a fresh id, unique for the life of the process.
    pub fn register(&self) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue_tx, queue_rx) = mpsc::channel(self.capacity);
        let (kill_tx, kill_rx) = watch::channel(None);
        self.lock().insert(
            id,
            Entry {
                queue: queue_tx,
                kill: kill_tx,
            },
        );
        Registration {
            id,
            queue: queue_rx,
            kill: kill_rx,
        }
    }

    /// Forgets a connection (its task has ended).
    pub fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Number of live connections.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when there is no live connection.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Queues a frame. False if the connection is gone or too slow (and now being closed).
    pub fn send(&self, id: u64, frame: Frame) -> bool {
        let map = self.lock();
        map.get(&id)
            .is_some_and(|e| Self::push(id, e, Outbound::Text(frame)))
    }

    /// Queues the same frame for each connection; returns for how many it was queued.
    pub fn send_many(&self, ids: impl Iterator<Item = u64>, frame: &Frame) -> u32 {
        let map = self.lock();
        let mut queued = 0u32;
        for id in ids {
            if let Some(e) = map.get(&id)
                && Self::push(id, e, Outbound::Text(frame.clone()))
            {
                queued = queued.saturating_add(1);
            }
        }
        queued
    }

    /// Asks a connection to close once the frames already queued for it are written.
    pub fn close(&self, id: u64, reason: CloseReason) {
        let map = self.lock();
        if let Some(e) = map.get(&id) {
            Self::push(id, e, Outbound::Close(reason));
        }
    }

    /// Closes a connection now, dropping whatever is still queued for it.
    pub fn kill(&self, id: u64, reason: CloseReason) {
        if let Some(e) = self.lock().get(&id) {
            Self::signal_kill(e, reason);
        }
    }

    /// Closes every connection now (shutdown, or the component was replaced).
    pub fn kill_all(&self, reason: &CloseReason) {
        for e in self.lock().values() {
            Self::signal_kill(e, reason.clone());
        }
    }

    fn push(id: u64, e: &Entry, item: Outbound) -> bool {
        match e.queue.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                if Self::signal_kill(e, CloseReason::new(CLOSE_TOO_SLOW, "outbound queue full")) {
                    tracing::warn!(conn = id, "outbound queue full: closing slow connection");
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Returns true if this was the first kill request for the connection.
    fn signal_kill(e: &Entry, reason: CloseReason) -> bool {
        // The first reason wins: a connection closed for being slow stays "slow" even if a
        // shutdown follows a moment later.
        e.kill.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn close_reason_is_always_sendable() {
        assert_eq!(CloseReason::new(1005, "x").code, 1000);
        assert_eq!(CloseReason::new(4001, "x").code, 4001);
        assert_eq!(CloseReason::new(1009, &"é".repeat(100)).reason.len(), 122);
    }

    #[tokio::test]
    async fn full_queue_kills_only_that_connection() {
        let table = Connections::new(2);
        let slow = table.register();
        let fast = table.register();
        let frame = Frame::from_static("x");
        assert!(table.send(slow.id, frame.clone()));
        assert!(table.send(slow.id, frame.clone()));
        assert!(!table.send(slow.id, frame.clone()), "third frame overflows");
        assert_eq!(slow.kill.borrow().as_ref().unwrap().code, CLOSE_TOO_SLOW);
        assert!(fast.kill.borrow().is_none());
        assert_eq!(
            table.send_many([slow.id, fast.id, 999].into_iter(), &frame),
            1
        );
        table.remove(slow.id);
        assert!(!table.send(slow.id, frame));
        assert_eq!(table.len(), 1);
    }
}
