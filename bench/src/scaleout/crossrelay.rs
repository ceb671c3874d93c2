//! Event latency across two relays sharing Redis: N sockets of one user on relay 2, events
//! published to relay 1's `POST /_realtime/publish` at a fixed rate, so every delivery crosses
//! Redis; and, alternating with it, the same-relay baseline (sockets and publisher on relay 1).
//! Latency is publish-to-receive on one clock (this process), as in `bench-realtime`.

use bench::client::Joined;
use bench::fanout::{self, Receiving};
use bench::histogram::Histogram;
use bench::process::Process;
use bench::publisher::{self, Plan, Published};
use std::time::{Duration, Instant};

/// The two relays and who publishes.
pub struct Relays<'a> {
    /// Relay 1: every event is published here.
    pub first: &'a mut Process,
    /// Relay 2: the sockets of the cross-relay runs.
    pub second: &'a mut Process,
    /// The relays' publish token.
    pub publish_token: &'a str,
    /// The user's token (its sockets join `user:{id}`).
    pub token: &'a str,
    /// The user's id (the events' `user_id`).
    pub user_id: &'a str,
}

impl Relays<'_> {
    /// Opens `count` sockets of the user on the relay at `url` (an error if none joins).
    async fn join(&self, url: &str, count: u64) -> Result<Vec<Joined>, String> {
        let opened = fanout::open(url, self.token, count, 64).await;
        if opened.joined.is_empty() {
            return Err(format!(
                "no socket could join {url}: {}",
                opened.first_error.unwrap_or_default()
            ));
        }
        Ok(opened.joined)
    }

    /// Publishes `plan` to relay 1.
    async fn publish(&self, plan: &Plan, epoch: Instant) -> Result<Published, String> {
        publisher::run(
            &self.first.url,
            self.publish_token,
            self.user_id,
            plan,
            epoch,
        )
        .await
    }
}

/// How many sockets, how fast, how often.
pub struct Load {
    /// Sockets of the user.
    pub sockets: u64,
    /// Events per second published.
    pub rate: f64,
    /// Seconds of publishing.
    pub duration: Duration,
    /// Rounds (each runs the same-relay then the cross-relay path).
    pub repeat: u32,
}

/// One run of one path.
pub struct Sample {
    /// Sockets that joined.
    pub sockets: u64,
    /// Events the publish endpoint accepted.
    pub published: u64,
    /// Publish requests refused or failed.
    pub publish_failures: u64,
    /// Accepted events × joined sockets.
    pub expected: u64,
    /// Distinct deliveries.
    pub received: u64,
    /// Repeated deliveries.
    pub duplicates: u64,
    /// Sockets closed by the relay during the run.
    pub dropped: u64,
    /// Publish-to-receive latency, µs.
    pub latency: Histogram,
}

/// Every sample of one path.
pub struct Row {
    /// `same relay` or `cross relay`.
    pub path: &'static str,
    /// One per round.
    pub samples: Vec<Sample>,
}

/// Proves the cross-relay path (relay 2 subscribes to Redis in the background after it
/// starts), then measures `load.repeat` rounds of both paths.
pub async fn measure(relays: &mut Relays<'_>, load: &Load) -> Result<Vec<Row>, String> {
    first_delivery(relays).await?;
    let mut same = Row {
        path: "same relay",
        samples: Vec::new(),
    };
    let mut cross = Row {
        path: "cross relay",
        samples: Vec::new(),
    };
    for round in 1..=load.repeat {
        println!("round {round} of {}", load.repeat);
        for (row, cross_relay) in [(&mut same, false), (&mut cross, true)] {
            let sample = run_one(relays, load, cross_relay).await?;
            println!(
                "  {:<11}: {} sockets, {} events, p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms, lost {}",
                row.path,
                sample.sockets,
                sample.published,
                sample.latency.quantile(0.5) as f64 / 1000.0,
                sample.latency.quantile(0.99) as f64 / 1000.0,
                sample.latency.max() as f64 / 1000.0,
                sample.expected.saturating_sub(sample.received)
            );
            row.samples.push(sample);
        }
    }
    Ok(vec![same, cross])
}

/// Publishes one event at a time to relay 1 until a socket on relay 2 receives one.
async fn first_delivery(relays: &mut Relays<'_>) -> Result<(), String> {
    let joined = relays.join(&relays.second.url, 1).await?;
    let epoch = Instant::now();
    let probe = Receiving::start(joined, epoch);
    let deadline = Instant::now() + Duration::from_secs(30);
    let plan = Plan {
        events: 1,
        rate: 1.0,
        duration: Duration::from_secs(1),
    };
    while probe.delivered() == 0 {
        if Instant::now() >= deadline {
            return Err("no event crossed from relay 1 to relay 2 within 30 s".into());
        }
        relays.first.check_alive()?;
        relays.second.check_alive()?;
        relays.publish(&plan, epoch).await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    probe.finish().await?;
    Ok(())
}

/// One run: sockets on relay 2 (`cross_relay`) or relay 1, events published to relay 1.
async fn run_one(
    relays: &mut Relays<'_>,
    load: &Load,
    cross_relay: bool,
) -> Result<Sample, String> {
    let receiver_url = if cross_relay {
        relays.second.url.clone()
    } else {
        relays.first.url.clone()
    };
    let joined = relays.join(&receiver_url, load.sockets).await?;
    let sockets = joined.len() as u64;
    let epoch = Instant::now();
    let receiving = Receiving::start(joined, epoch);
    let plan = Plan {
        events: (load.rate * load.duration.as_secs_f64()).ceil() as u64,
        rate: load.rate,
        duration: load.duration,
    };
    let published = relays.publish(&plan, epoch).await?;
    let expected = published.accepted * sockets;
    let (first, second) = (&mut *relays.first, &mut *relays.second);
    receiving
        .drain(expected, || {
            first.check_alive()?;
            second.check_alive()
        })
        .await?;
    let received = receiving.finish().await?;
    Ok(Sample {
        sockets,
        published: published.accepted,
        publish_failures: published.failed,
        expected,
        received: received.unique,
        duplicates: received.duplicates,
        dropped: received.dropped,
        latency: received.latency,
    })
}
