//! `bench-scaleout`: what a second API process on the same libSQL server buys, and what an
//! event costs when it crosses two relays through Redis (issue 7's scale-out figures).
//!
//! 1. Throughput: starts `sqld`, two `host serve --db-url` on it and one `host serve --db FILE`,
//!    seeds both databases over HTTP with the same generated chats, then runs `GET /{id}`,
//!    `POST /new` and `GET / page 1` with wrk: on the file host, on one sqld-backed host, and
//!    on both sqld-backed hosts at once (one wrk, its two threads on one host each, half the
//!    connections each). Rounds over every scenario and setup are repeated; medians reported.
//! 2. Cross-relay latency: `redis-server` and two `host realtime` relays on that sqld and
//!    Redis; N sockets of one user on relay 2, events published to relay 1 at a fixed rate;
//!    and the same-relay baseline (sockets on relay 1), alternating, repeated.
//!
//! Every process it starts is killed by PID when it ends, also on error or Ctrl-C. The load
//! generator runs on the same machine as the servers. Run it through `scripts/bench-scaleout`.

mod crossrelay;
mod report;
mod services;
mod throughput;

use bench::chats::seed::{self, SeedParams};
use bench::chats::target::Api;
use bench::host::{Host, HostOptions};
use clap::Parser;
use serde_json::json;
use services::RelayOptions;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Scale-out benchmark: 1 vs 2 API processes on one sqld, and cross-relay event latency.
#[derive(Parser)]
#[command(name = "bench-scaleout")]
struct Args {
    /// Chats seeded into each database (one user).
    #[arg(long, default_value_t = 3000)]
    chats: usize,
    /// Messages per chat.
    #[arg(long, default_value_t = 20)]
    messages: usize,
    /// wrk connections (split over the processes of a setup; must be even).
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Seconds per wrk run.
    #[arg(long, default_value_t = 5)]
    seconds: u32,
    /// Rounds of every measurement (medians are reported).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    repeat: u32,
    /// Sockets receiving events in the latency runs.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    sockets: u64,
    /// Events published per second in the latency runs.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Seconds of publishing per latency run.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Skip the throughput part.
    #[arg(long)]
    skip_throughput: bool,
    /// Skip the cross-relay latency part.
    #[arg(long)]
    skip_realtime: bool,
    /// The host binary [default: <repo>/target/release/host].
    #[arg(long)]
    host_bin: Option<PathBuf>,
    /// The sqld binary [default: what `scripts/sqld` prints; it downloads sqld once].
    #[arg(long, env = "SQLD_BIN")]
    sqld_bin: Option<PathBuf>,
    /// The repository root (spin.toml, built components).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/.."))]
    repo: PathBuf,
    /// Also write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The publish token the relays share.
const PUBLISH_TOKEN: &str = "bench-scaleout-publish-token";

fn main() {
    bench::runtime::run_or_exit("bench-scaleout", run(Args::parse()));
}

async fn run(args: Args) -> Result<(), String> {
    if args.connections < 2 || !args.connections.is_multiple_of(2) {
        return Err("--connections must be even (half go to each API process)".into());
    }
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        return Err("--rate must be a positive number".into());
    }
    let duration =
        Duration::try_from_secs_f64(args.duration).map_err(|e| format!("--duration: {e}"))?;
    let (repo, binary) = bench::host::locate(&args.repo, args.host_bin.as_deref())?;
    let sqld_bin = match &args.sqld_bin {
        Some(path) => path.clone(),
        None => sqld_from_script(&repo)?,
    };
    let machine = machine();
    println!(
        "machine: {machine}; the load generator (wrk / this process) shares these CPUs with every server"
    );

    println!("starting sqld ({}) ...", sqld_bin.display());
    let mut sqld = services::sqld(&sqld_bin).await?;
    let start = |db_url: Option<String>| {
        Host::start(&HostOptions {
            binary: binary.clone(),
            repo: repo.clone(),
            extra_args: Vec::new(),
            db: None,
            db_url,
        })
    };
    let mut api1 = start(Some(sqld.url.clone()))?;
    api1.wait_ready(Duration::from_secs(180)).await?;
    let (token, user_id) = api1.signup().await?;
    println!(
        "sqld pid {} on {}; API process 1 pid {} on {}",
        sqld.pid(),
        sqld.url,
        api1.pid(),
        api1.base
    );

    let mut report = json!({
        "machine": machine,
        "params": {"chats": args.chats, "messages": args.messages, "connections": args.connections, "seconds": args.seconds,
                   "repeat": args.repeat, "sockets": args.sockets, "rate": args.rate, "duration_s": args.duration},
    });

    if !args.skip_throughput {
        let mut api2 = start(Some(sqld.url.clone()))?;
        let mut file = start(None)?;
        api2.wait_ready(Duration::from_secs(180)).await?;
        file.wait_ready(Duration::from_secs(180)).await?;
        println!(
            "API process 2 pid {} on {}; file-backed host pid {} on {}",
            api2.pid(),
            api2.base,
            file.pid(),
            file.base
        );
        let (file_token, _) = file.signup().await?;
        let params = SeedParams {
            users: 1,
            chats_per_user: args.chats,
            messages_per_chat: args.messages.max(1),
            message_bytes: 100,
            folders_per_user: 10,
            folder_fraction: 0.3,
            pinned_fraction: 0.02,
            archived_fraction: 0.05,
        };
        let seeded_sqld = seed_over_http(&api1.base, &token, &params, "sqld").await?;
        let seeded_file = seed_over_http(&file.base, &file_token, &params, "the file").await?;
        let setups = [
            throughput::Setup {
                backend: "file",
                bases: vec![file.base.clone()],
                pids: vec![file.pid()],
                seeded: seeded_file,
            },
            throughput::Setup {
                backend: "sqld",
                bases: vec![api1.base.clone()],
                pids: vec![api1.pid(), sqld.pid()],
                seeded: seeded_sqld.clone(),
            },
            throughput::Setup {
                backend: "sqld",
                bases: vec![api1.base.clone(), api2.base.clone()],
                pids: vec![api1.pid(), api2.pid(), sqld.pid()],
                seeded: seeded_sqld,
            },
        ];
        let load = throughput::Load {
            connections: args.connections,
            seconds: args.seconds,
            repeat: args.repeat,
            message_bytes: 100,
        };
        let dir = bench::host::temp_dir("bench-scaleout")?;
        let measured = throughput::measure(&setups, &load, &dir, || {
            sqld.check_alive()?;
            api1.check_alive()?;
            api2.check_alive()?;
            file.check_alive()
        })
        .await;
        let _ = std::fs::remove_dir_all(&dir);
        let rows = measured?;
        for (label, host) in [
            ("API process 1", &api1),
            ("API process 2", &api2),
            ("file-backed host", &file),
        ] {
            let lines = host.log_lines();
            if lines > 0 {
                println!(
                    "{label} logged {lines} lines; the last ones:\n{}",
                    host.log_tail(5)
                );
            }
        }
        report::print_throughput(&rows, args.connections, args.seconds);
        report["throughput"] = report::throughput_json(&rows);
        // `api2` and `file` drop here: both processes are killed before the latency runs.
    }

    if !args.skip_realtime {
        // The relays read the user from sqld; API process 1 is no longer needed.
        drop(api1);
        println!("\nstarting redis-server and two relays ...");
        let redis = services::redis().await?;
        let options = RelayOptions {
            binary: &binary,
            repo: &repo,
            db_url: &sqld.url,
            redis_url: &redis.url,
            publish_token: PUBLISH_TOKEN,
        };
        let mut first = services::relay(&options).await?;
        let mut second = services::relay(&options).await?;
        println!(
            "redis pid {} on {}; relay 1 pid {} on {}; relay 2 pid {} on {}",
            redis.pid(),
            redis.url,
            first.pid(),
            first.url,
            second.pid(),
            second.url
        );
        let load = crossrelay::Load {
            sockets: args.sockets,
            rate: args.rate,
            duration,
            repeat: args.repeat,
        };
        let mut relays = crossrelay::Relays {
            first: &mut first,
            second: &mut second,
            publish_token: PUBLISH_TOKEN,
            token: &token,
            user_id: &user_id,
        };
        let rows = crossrelay::measure(&mut relays, &load).await?;
        report::print_latency(&rows, &load);
        report["realtime"] = report::latency_json(&rows);
    }

    println!("\n{report}");
    if let Some(path) = &args.json {
        std::fs::write(path, format!("{report:#}\n"))
            .map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Seeds one user's chats through the API at `base`.
async fn seed_over_http(
    base: &str,
    token: &str,
    params: &SeedParams,
    label: &str,
) -> Result<seed::Seeded, String> {
    println!(
        "seeding {} chats x {} messages into {label} over HTTP ({base}) ...",
        params.chats_per_user, params.messages_per_chat
    );
    let started = Instant::now();
    let seeded = seed::seed(&Api::http(base), token, params, 7).await?;
    println!(
        "seeded {} chats in {:.1} s",
        seeded.chats,
        started.elapsed().as_secs_f64()
    );
    Ok(seeded)
}

/// The sqld path `scripts/sqld` prints (downloading sqld on first use).
fn sqld_from_script(repo: &Path) -> Result<PathBuf, String> {
    let script = repo.join("scripts").join("sqld");
    let output = Command::new(&script).output().map_err(|e| {
        format!(
            "run {}: {e} (or pass --sqld-bin / SQLD_BIN)",
            script.display()
        )
    })?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if path.as_os_str().is_empty() {
        return Err(format!("{} printed no path", script.display()));
    }
    Ok(path)
}

/// CPUs, model and memory, from `/proc` (best effort).
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    format!("{cpus} CPUs ({model}), {mem_gib:.0} GiB RAM")
}
