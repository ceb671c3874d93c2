//! N sockets of one user reading every event the relay fans out to them: open and join them a
//! bounded number at a time, let each record publish-to-receive latency, wait until the
//! expected deliveries arrived (or stopped arriving), then merge what every socket saw.
//! `bench-realtime`, `bench-api`'s event scenario and `bench-scaleout` all measure this way.

use crate::client::{self, Joined, SocketStats};
use crate::histogram::Histogram;
use futures::StreamExt as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Seconds the drain waits for deliveries after publishing ends, at most.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);
/// The drain ends earlier when no delivery arrived for this long.
const DRAIN_IDLE: Duration = Duration::from_secs(3);

/// `ws://…/ws/socket.io/?EIO=4&transport=websocket` for a server at `http://…`.
pub fn socket_url(base: &str) -> String {
    format!(
        "{}/ws/socket.io/?EIO=4&transport=websocket",
        base.replacen("http", "ws", 1)
    )
}

/// The sockets that joined, and how opening them went.
pub struct Opened {
    /// Sockets that finished the handshake and `user-join`.
    pub joined: Vec<Joined>,
    /// Seconds to open and join them all.
    pub connect_s: f64,
    /// The first handshake failure, if any.
    pub first_error: Option<String>,
}

/// Opens `count` sockets to the server at `base` as the owner of `token`, `concurrency`
/// handshakes at a time (a thousand at once would overflow the listen backlog and measure
/// retries, not the relay).
pub async fn open(base: &str, token: &str, count: u64, concurrency: usize) -> Opened {
    let url = socket_url(base);
    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..count)
        .map(|_| client::connect(&url, token, Duration::from_secs(30)))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut opened = Opened {
        joined: Vec::with_capacity(results.len()),
        connect_s: started.elapsed().as_secs_f64(),
        first_error: None,
    };
    for result in results {
        match result {
            Ok(socket) => opened.joined.push(socket),
            Err(e) => {
                opened.first_error.get_or_insert(e);
            }
        }
    }
    opened
}

/// Sockets reading in their own tasks.
pub struct Receiving {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<SocketStats>>,
    delivered: Arc<AtomicU64>,
}

/// What every socket saw, merged.
#[derive(Default)]
pub struct Received {
    /// Publish-to-receive latency of every distinct delivery, µs.
    pub latency: Histogram,
    /// Distinct (event, socket) deliveries.
    pub unique: u64,
    /// Repeated deliveries (not counted in `unique`).
    pub duplicates: u64,
    /// Frames that were neither benchmark events nor pings.
    pub other_frames: u64,
    /// Sockets the server closed (or that failed) during the run.
    pub dropped: u64,
    /// Why the first of them ended.
    pub drop_reason: Option<String>,
    /// Receive time of the last delivery, ns since the epoch.
    pub last_receive_ns: u64,
}

impl Receiving {
    /// Starts a reading task per socket; latencies are measured on `epoch`'s clock (the
    /// publisher's).
    pub fn start(joined: Vec<Joined>, epoch: Instant) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let delivered = Arc::new(AtomicU64::new(0));
        let tasks = joined
            .into_iter()
            .map(|socket| tokio::spawn(socket.receive(epoch, stop_rx.clone(), delivered.clone())))
            .collect();
        Self {
            stop,
            tasks,
            delivered,
        }
    }

    /// Sockets reading.
    pub fn len(&self) -> u64 {
        self.tasks.len() as u64
    }

    /// True when no socket is reading.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Distinct deliveries so far, across sockets.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Waits until `expected` deliveries arrived, none arrived for 3 s, or 30 s passed —
    /// whichever comes first, so a lossy run still ends. `alive` is checked on the way (e.g.
    /// that the servers are still running); its error ends the wait.
    pub async fn drain(
        &self,
        expected: u64,
        mut alive: impl FnMut() -> Result<(), String>,
    ) -> Result<(), String> {
        let started = Instant::now();
        let (mut last_count, mut last_progress) = (self.delivered(), Instant::now());
        loop {
            let count = self.delivered();
            if count >= expected {
                return Ok(());
            }
            if count != last_count {
                (last_count, last_progress) = (count, Instant::now());
            }
            if last_progress.elapsed() >= DRAIN_IDLE || started.elapsed() >= DRAIN_LIMIT {
                println!("stopped waiting: {count} of {expected} deliveries arrived");
                return Ok(());
            }
            alive()?;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops and closes every socket; merges what they saw.
    pub async fn finish(self) -> Result<Received, String> {
        let _ = self.stop.send(true);
        let mut received = Received::default();
        for task in self.tasks {
            let stats = task.await.map_err(|e| format!("socket task: {e}"))?;
            received.latency.merge(&stats.latency);
            received.unique += stats.unique;
            received.duplicates += stats.duplicates;
            received.other_frames += stats.other_frames;
            received.last_receive_ns = received.last_receive_ns.max(stats.last_receive_ns);
            if let Some(reason) = stats.ended {
                received.dropped += 1;
                received.drop_reason.get_or_insert(reason);
            }
        }
        Ok(received)
    }
}
