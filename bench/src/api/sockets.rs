//! Sockets listening while the event scenario runs: N Socket.IO clients of the benchmark
//! user, each reading (and counting) every frame, so the relay really delivers each event N
//! times during the measurement.

use bench::client::{self, SocketStats};
use futures::StreamExt as _;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Open, reading sockets.
pub struct Listeners {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<SocketStats>>,
}

impl Listeners {
    /// Opens `count` sockets to `base`'s `/ws/socket.io` as the owner of `token`.
    pub async fn open(base: &str, token: &str, count: usize) -> Result<Self, String> {
        let url = format!("{}/ws/socket.io/?EIO=4&transport=websocket", base.replacen("http", "ws", 1));
        let joined: Vec<_> = futures::stream::iter(0..count)
            .map(|_| client::connect(&url, token, Duration::from_secs(30)))
            .buffer_unordered(64)
            .collect()
            .await;
        let (stop, stop_rx) = watch::channel(false);
        let epoch = Instant::now();
        let delivered = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::with_capacity(count);
        for socket in joined {
            let socket = socket.map_err(|e| format!("socket {} of {count}: {e}", tasks.len() + 1))?;
            tasks.push(tokio::spawn(socket.receive(epoch, stop_rx.clone(), delivered.clone())));
        }
        Ok(Self { stop, tasks })
    }

    /// Closes every socket; returns the frames they received and how many the server closed.
    pub async fn close(self) -> (u64, usize) {
        let _ = self.stop.send(true);
        let (mut frames, mut ended) = (0, 0);
        for task in self.tasks {
            if let Ok(stats) = task.await {
                frames += stats.other_frames;
                ended += usize::from(stats.ended.is_some());
            }
        }
        (frames, ended)
    }
}
