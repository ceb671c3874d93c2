//! Sockets listening while the event scenario runs: N Socket.IO clients of the benchmark
//! user, each reading (and counting) every frame, so the relay really delivers each event N
//! times during the measurement.

use bench::fanout::{self, Receiving};

/// Open, reading sockets.
pub struct Listeners {
    receiving: Receiving,
}

impl Listeners {
    /// Opens `count` sockets to `base`'s `/ws/socket.io` as the owner of `token`.
    pub async fn open(base: &str, token: &str, count: usize) -> Result<Self, String> {
        let opened = fanout::open(base, token, count as u64, 64).await;
        if let Some(e) = opened.first_error {
            return Err(format!("{} of {count} sockets joined; first failure: {e}", opened.joined.len()));
        }
        Ok(Self { receiving: Receiving::start(opened.joined, std::time::Instant::now()) })
    }

    /// Closes every socket; returns the frames they received and how many the server closed.
    pub async fn close(self) -> (u64, usize) {
        match self.receiving.finish().await {
            Ok(received) => (received.other_frames, received.dropped as usize),
            Err(_) => (0, 0),
        }
    }
}
