//! `bench-api`: the chats API under load, side by side with another server.
//!
//! 1. Seeds a fresh libSQL file in-process through the core's own routes (users, folders,
//!    chats with messages and tags, a 10- and a 2,000-message chat).
//! 2. Measures the floor: one core call in-process, and the same core behind a plain hyper
//!    server (no Wasm), against the host at concurrency 1 — what the Wasm layer costs.
//! 3. Starts the release host on that file and runs every scenario with wrk at each
//!    concurrency; with `--against URL --token T` it seeds that server over HTTP with the
//!    same generated data and runs each scenario there right after ours (alternating).
//! 4. Prints a table (req/s, p50, p99, errors, ratio ours/theirs), the host's peak RSS, and
//!    one JSON line (also written to `--json FILE`).
//!
//! Run it through `scripts/bench`, which builds and installs what it needs.

mod floor_server;
mod report;
mod sockets;

use bench::chats::{native, scenarios, seed};
use bench::host::{Host, HostOptions, SECRET};
use bench::wrk;
use clap::Parser;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use bench::chats::target::Api;

/// Chats API benchmark, optionally side by side with another server (Open WebUI).
#[derive(Parser)]
#[command(name = "bench-api")]
struct Args {
    /// Users (the first is the benchmark's admin, whose chats the scenarios use).
    #[arg(long, default_value_t = 2)]
    users: usize,
    /// Chats per user.
    #[arg(long, default_value_t = 5000)]
    chats_per_user: usize,
    /// Messages per chat.
    #[arg(long, default_value_t = 20)]
    messages: usize,
    /// Bytes of text per message, about (20 × 100 B ≈ 2 KB of text per chat).
    #[arg(long, default_value_t = 100)]
    message_bytes: usize,
    /// Folders per user.
    #[arg(long, default_value_t = 10)]
    folders: usize,
    /// Fraction of chats in a folder.
    #[arg(long, default_value_t = 0.3)]
    folder_fraction: f64,
    /// Fraction of chats pinned.
    #[arg(long, default_value_t = 0.02)]
    pinned: f64,
    /// Fraction of chats archived.
    #[arg(long, default_value_t = 0.05)]
    archived: f64,
    /// Seconds per scenario and concurrency.
    #[arg(long, default_value_t = 5)]
    seconds: u32,
    /// Concurrency levels (connections).
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    concurrency: Vec<u32>,
    /// Sockets listening during the event scenario.
    #[arg(long, default_value_t = 1000)]
    sockets: usize,
    /// Only scenarios whose name contains this text.
    #[arg(long)]
    only: Option<String>,
    /// Another server implementing the same API (e.g. Open WebUI at http://127.0.0.1:8080).
    #[arg(long)]
    against: Option<String>,
    /// An admin token of the `--against` server.
    #[arg(long, requires = "against")]
    token: Option<String>,
    /// The `--against` server's process id, for its peak RSS.
    #[arg(long, requires = "against")]
    against_pid: Option<u32>,
    /// The host binary [default: <repo>/target/release/host].
    #[arg(long)]
    host_bin: Option<PathBuf>,
    /// The repository root (spin.toml, built components).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/.."))]
    repo: PathBuf,
    /// Keep the seeded database: copy it here at the end (for profiling and query plans).
    #[arg(long)]
    keep_db: Option<PathBuf>,
    /// Seed, keep (`--keep-db`) and stop: no server, no load.
    #[arg(long, requires = "keep_db")]
    seed_only: bool,
    /// In-process calls timed for the floor.
    #[arg(long, default_value_t = 2000)]
    floor_iterations: usize,
    /// Measure the floor only (seed, time the core in-process and behind hyper, stop).
    #[arg(long)]
    floor_only: bool,
    /// Also write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    if let Err(error) = run(Args::parse()).await {
        eprintln!("bench-api: {error}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let params = seed::SeedParams {
        users: args.users.max(1),
        chats_per_user: args.chats_per_user,
        messages_per_chat: args.messages.max(1),
        message_bytes: args.message_bytes,
        folders_per_user: args.folders,
        folder_fraction: args.folder_fraction,
        pinned_fraction: args.pinned,
        archived_fraction: args.archived,
    };
    let dir = std::env::temp_dir().join(format!("bench-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let result = measure(&args, &params, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(args: &Args, params: &seed::SeedParams, dir: &std::path::Path) -> Result<(), String> {
    let db_path = dir.join("chats.db");
    let db = db_path.to_string_lossy().into_owned();
    println!("seeding {} users × {} chats × {} messages into {db} (in-process) ...", params.users, params.chats_per_user, params.messages_per_chat);
    let started = Instant::now();
    let api = Api::Native(native::NativeApi::open(&db, SECRET).await?);
    let signup = json!({"name": "Bench", "email": "bench@example.com", "password": "Passw0rd!"});
    let (status, value) = api.call("POST", "/api/v1/auths/signup", None, Some(&signup)).await?;
    let token = value["token"].as_str().filter(|_| status == 200).ok_or_else(|| format!("signup answered {status}: {value}"))?.to_owned();
    let ours = seed::seed(&api, &token, params, 7).await?;
    let seed_s = started.elapsed().as_secs_f64();
    println!("seeded {} chats in {seed_s:.1} s", ours.chats);
    if let Api::Native(native) = &api {
        // Start the host on a checkpointed file, as a long-running server would be.
        native.sql("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    if args.seed_only {
        return keep(args, &db_path);
    }
    let floor = floor(&api, &ours, args, dir, &db).await?;
    drop(api);
    if args.floor_only {
        return Ok(());
    }

    let binary = args.host_bin.clone().unwrap_or_else(|| bench::host::default_binary(&args.repo));
    let mut host = Host::start(&HostOptions { binary, repo: args.repo.clone(), extra_args: Vec::new(), db: Some(db_path.clone()), db_url: None })?;
    host.wait_ready(Duration::from_secs(180)).await?;
    println!("host pid {} ready on {}", host.pid(), host.base);

    let theirs = match (&args.against, &args.token) {
        (Some(url), Some(token)) => {
            println!("seeding {url} over HTTP with the same data ...");
            let started = Instant::now();
            let seeded = seed::seed(&Api::http(url), token, params, 7).await?;
            println!("seeded {} chats there in {:.1} s", seeded.chats, started.elapsed().as_secs_f64());
            Some((url.clone(), seeded))
        }
        _ => None,
    };

    let our_scenarios = scenarios::all(&ours, params.message_bytes);
    let their_scenarios = theirs.as_ref().map(|(_, seeded)| scenarios::all(seeded, params.message_bytes));
    let mut rows = Vec::new();
    for (index, scenario) in our_scenarios.iter().enumerate() {
        if args.only.as_ref().is_some_and(|only| !scenario.name.contains(only.as_str())) {
            continue;
        }
        let our_listeners = match scenario.sockets {
            true => Some(sockets::Listeners::open(&host.base, &ours.token, args.sockets).await?),
            false => None,
        };
        let their_listeners = match (scenario.sockets, &theirs) {
            (true, Some((url, seeded))) => Some(sockets::Listeners::open(url, &seeded.token, args.sockets).await?),
            _ => None,
        };
        for &concurrency in &args.concurrency {
            // The other server shares the cores: its leftover work from the previous pair must
            // run neither during ours nor during its own next measurement (only its own runs
            // leave any, so once before the pair is enough).
            if let Some((url, seeded)) = &theirs {
                settle_theirs(url, &seeded.token).await;
            }
            let measured = wrk::run(dir, &host.base, &ours.token, &scenario.calls, concurrency, args.seconds)?;
            host.check_alive()?;
            let their_measured = match (&theirs, &their_scenarios) {
                (Some((url, seeded)), Some(list)) => Some(wrk::run(dir, url, &seeded.token, &list[index].calls, concurrency, args.seconds)?),
                _ => None,
            };
            let row = report::Row { scenario: scenario.name.to_owned(), concurrency, ours: measured, theirs: their_measured };
            report::print_table(std::slice::from_ref(&row));
            rows.push(row);
        }
        for (who, listeners) in [("ours", our_listeners), ("theirs", their_listeners)] {
            if let Some(listeners) = listeners {
                let (frames, closed) = listeners.close().await;
                println!("  {who}: {} sockets received {frames} frames; {closed} closed by the server", args.sockets);
            }
        }
    }
    let our_rss_mib = bench::host::peak_rss_kib(host.pid()).map(|kib| kib / 1024);
    let their_rss_mib = args.against_pid.and_then(bench::host::peak_rss_kib).map(|kib| kib / 1024);
    println!();
    report::print_table(&rows);
    println!("\nseeding: {seed_s:.1} s for {} chats (in-process)", ours.chats);
    println!("peak RSS: ours {} MiB{}", our_rss_mib.map_or("?".into(), |m| m.to_string()), their_rss_mib.map_or(String::new(), |m| format!(", theirs {m} MiB")));
    println!(
        "GET /{{id}} median: core in-process {:.1} µs, core behind plain hyper (c=1) {:.1} µs, host (c=1) {} → Wasm layer {}",
        floor.in_process_p50_us,
        floor.native_http_p50_us,
        rows.iter().find(|row| row.scenario == "GET /{id}" && row.concurrency == 1).map_or("-".into(), |row| format!("{} µs", row.ours.p50_us)),
        rows.iter()
            .find(|row| row.scenario == "GET /{id}" && row.concurrency == 1)
            .map_or("-".into(), |row| format!("{:.0} µs", row.ours.p50_us as f64 - floor.native_http_p50_us)),
    );
    let report = json!({
        "params": {"users": params.users, "chats_per_user": params.chats_per_user, "messages": params.messages_per_chat, "message_bytes": params.message_bytes, "seconds": args.seconds},
        "seed_s": seed_s,
        "rows": report::rows_json(&rows),
        "peak_rss_mib": {"ours": our_rss_mib, "theirs": their_rss_mib},
        "floor": {"in_process_p50_us": floor.in_process_p50_us, "in_process_p99_us": floor.in_process_p99_us, "native_http_p50_us": floor.native_http_p50_us},
        "against": args.against,
    });
    println!("{report}");
    drop(host);
    keep(args, &db_path)?;
    if let Some(path) = &args.json {
        std::fs::write(path, format!("{report:#}\n")).map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Copies the database to `--keep-db`, if given.
fn keep(args: &Args, db_path: &std::path::Path) -> Result<(), String> {
    if let Some(target) = &args.keep_db {
        std::fs::copy(db_path, target).map_err(|e| format!("copy the database to {}: {e}", target.display()))?;
        println!("database kept at {}", target.display());
    }
    Ok(())
}

/// The no-Wasm floor for `GET /{id}`.
struct Floor {
    in_process_p50_us: f64,
    in_process_p99_us: f64,
    native_http_p50_us: f64,
}

async fn floor(api: &Api, seeded: &seed::Seeded, args: &Args, dir: &std::path::Path, db: &str) -> Result<Floor, String> {
    let Api::Native(native) = api else { return Err("the floor needs the in-process core".into()) };
    let id = seeded.chat_ids.first().ok_or("no chat was seeded")?;
    let path = format!("/api/v1/chats/{id}");
    let token = seeded.token.as_str();
    let (p50, p99) = native.time_calls("GET", &path, token, None, args.floor_iterations).await?;
    let (tags_p50, _) = native.time_calls("GET", "/api/v1/chats/all/tags", token, None, 2000).await?;
    let (list_p50, _) = native.time_calls("GET", "/api/v1/chats/?page=1", token, None, 500).await?;
    println!("in-process medians: GET /{{id}} {:.0} µs, GET /all/tags {:.0} µs, GET /?page=1 {:.0} µs", p50.as_secs_f64() * 1e6, tags_p50.as_secs_f64() * 1e6, list_p50.as_secs_f64() * 1e6);
    // The message writes, native: what the Wasm layer adds to them shows against the host.
    let content = serde_json::json!({"content": "an in-process edit of the last message"});
    let mut writes = Vec::new();
    for (label, (chat, message)) in [("10-msg", &seeded.small), ("2000-msg", &seeded.big)] {
        let path = format!("/api/v1/chats/{chat}/messages/{message}");
        let (write_p50, _) = native.time_calls("POST", &path, token, Some(&content), 50).await?;
        writes.push(format!("POST msg ({label} chat) {:.2} ms", write_p50.as_secs_f64() * 1e3));
    }
    println!("in-process medians: {}", writes.join(", "));
    let base = floor_server::spawn(db.to_owned(), SECRET.to_owned())?;
    // The very requests the host's `GET /{id}` row cycles through, so the two compare.
    let calls = scenarios::all(seeded, args.message_bytes)
        .into_iter()
        .find(|scenario| scenario.name == "GET /{id}")
        .ok_or("no GET /{id} scenario")?
        .calls;
    let http = wrk::run(dir, &base, &seeded.token, &calls, 1, args.seconds)?;
    println!("floor: core behind plain hyper (c=1) p50 {} µs", http.p50_us);
    Ok(Floor { in_process_p50_us: p50.as_secs_f64() * 1e6, in_process_p99_us: p99.as_secs_f64() * 1e6, native_http_p50_us: http.p50_us as f64 })
}

/// Waits for the `--against` server to finish what an earlier scenario left it (see
/// [`Api::settle`]), and says so when that took a while.
async fn settle_theirs(url: &str, token: &str) {
    let waited = Api::http(url).settle(token).await;
    if waited >= Duration::from_secs(1) {
        println!("  theirs: waited {:.0} s for its backlog to clear", waited.as_secs_f64());
    }
}
