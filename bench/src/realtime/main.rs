//! `bench-realtime`: how fast the realtime relay delivers published events to many sockets.
//!
//! Starts its own `host serve` on loopback (temp database, known `realtime_token`), signs up
//! one user, opens `--sockets` Socket.IO connections as that user, then publishes events at
//! `--rate` to `POST /_realtime/publish` for `--duration` seconds (or `--events`). The relay
//! sends every event to every socket of the user, so each event is `sockets` deliveries. Each
//! event carries its send time; each socket records receive − send on the same clock (one
//! process), so latency includes the publish request, the relay and the client's own reading.
//! Prints a table and a JSON line; any loss is reported. Run it through
//! `scripts/bench-realtime`, which builds what it needs and raises the open-files limit.

mod report;

use bench::host::{Host, HostOptions};
use bench::{fanout, publisher};
use clap::Parser;
use report::Report;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Realtime relay benchmark (publish → Socket.IO delivery latency and throughput).
#[derive(Parser)]
#[command(name = "bench-realtime")]
struct Args {
    /// WebSocket connections, all authenticated as one user.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=20_000))]
    sockets: u64,
    /// Events to publish at most [default: rate × duration].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    events: Option<u64>,
    /// Target events per second.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds of publishing at most [default: 10, or events / rate when --events is given].
    #[arg(long)]
    duration: Option<f64>,
    /// The host binary [default: <repo>/target/release/host].
    #[arg(long)]
    host_bin: Option<PathBuf>,
    /// The repository root (spin.toml, built components).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/.."))]
    repo: PathBuf,
    /// Extra argument for `host serve` (repeatable), e.g. `--host-arg=--ws-queue-frames=4096`.
    #[arg(long = "host-arg", allow_hyphen_values = true)]
    host_args: Vec<String>,
    /// Handshakes in progress at once while opening the sockets.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1000))]
    connect_concurrency: u64,
}

fn main() {
    let args = Args::parse();
    bench::runtime::run_or_exit("bench-realtime", run(args)).print();
}

async fn run(args: Args) -> Result<Report, String> {
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        return Err("--rate must be a positive number".into());
    }
    let duration = match (args.duration, args.events) {
        (Some(seconds), _) => seconds,
        (None, Some(events)) => events as f64 / args.rate,
        (None, None) => 10.0,
    };
    let duration = Duration::try_from_secs_f64(duration).map_err(|e| format!("--duration: {e}"))?;
    let events = args
        .events
        .unwrap_or_else(|| (args.rate * duration.as_secs_f64()).ceil() as u64)
        .max(1);
    check_open_files(args.sockets)?;

    let (repo, binary) = bench::host::locate(&args.repo, args.host_bin.as_deref())?;
    let epoch = Instant::now();
    println!("starting {} serve ...", binary.display());
    let mut host = Host::start(&HostOptions {
        binary: binary.clone(),
        repo,
        extra_args: args.host_args.clone(),
        db: None,
        db_url: None,
    })?;
    host.wait_ready(Duration::from_secs(180)).await?;
    println!(
        "host pid {} ready on {} after {:.1} s",
        host.pid(),
        host.base,
        epoch.elapsed().as_secs_f64()
    );
    let (token, user_id) = host.signup().await?;

    println!("opening {} sockets as user {user_id} ...", args.sockets);
    let opened = fanout::open(
        &host.base,
        &token,
        args.sockets,
        args.connect_concurrency as usize,
    )
    .await;
    let (connect_s, connect_error) = (opened.connect_s, opened.first_error);
    host.check_alive()?;
    let sockets_joined = opened.joined.len() as u64;
    println!("{sockets_joined} sockets joined in {connect_s:.2} s");
    if opened.joined.is_empty() {
        return Err(format!(
            "no socket could join: {}",
            connect_error.unwrap_or_default()
        ));
    }
    let host_rss_joined_kib = bench::host::rss_kib(host.pid());
    let receiving = fanout::Receiving::start(opened.joined, epoch);

    println!(
        "publishing {events} events at {} events/s (at most {:.1} s) ...",
        args.rate,
        duration.as_secs_f64()
    );
    let plan = publisher::Plan {
        events,
        rate: args.rate,
        duration,
    };
    let published =
        publisher::run(&host.base, &host.realtime_token, &user_id, &plan, epoch).await?;
    let expected = published.accepted * sockets_joined;
    println!(
        "published {} events; waiting for {expected} deliveries ...",
        published.accepted
    );
    receiving.drain(expected, || host.check_alive()).await?;
    let received = receiving.finish().await?;
    let seconds = |ns: u64| ns as f64 / 1e9;
    let report = Report {
        host_bin: binary.display().to_string(),
        sockets: args.sockets,
        sockets_joined,
        connect_s,
        connect_error,
        events_planned: events,
        events_published: published.accepted,
        publish_failures: published.failed,
        publish_error: published.first_error,
        deliveries_expected: expected,
        deliveries_received: received.unique,
        duplicates: received.duplicates,
        sockets_dropped: received.dropped,
        drop_reason: received.drop_reason,
        publish_s: seconds(
            published
                .last_send_ns
                .saturating_sub(published.first_send_ns),
        ),
        total_s: seconds(
            received
                .last_receive_ns
                .max(published.last_send_ns)
                .saturating_sub(published.first_send_ns),
        ),
        latency: received.latency,
        publish_latency: published.http_latency,
        host_peak_rss_kib: bench::host::peak_rss_kib(host.pid()),
        host_rss_joined_kib,
        host_cpu_s: bench::host::cpu_seconds(Some(host.pid())),
        bench_cpu_s: bench::host::cpu_seconds(None),
    };
    let log_lines = host.log_lines();
    if log_lines > 0 {
        println!(
            "host log ({log_lines} lines), last lines:\n{}",
            host.log_tail(5)
        );
    }
    // `host` drops here: the host process is killed by PID.
    Ok(report)
}

/// Each socket is a file descriptor here and one in the host (which inherits our limits).
fn check_open_files(sockets: u64) -> Result<(), String> {
    let needed = sockets + 256;
    match bench::host::open_files_limit() {
        Some(limit) if limit < needed => Err(format!(
            "the open-files limit is {limit}, {sockets} sockets need about {needed}: raise it with `ulimit -n {needed}` (scripts/bench-realtime does)"
        )),
        _ => Ok(()),
    }
}
