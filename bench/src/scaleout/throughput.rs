//! Throughput with one and with two API processes on the same libSQL server, next to one
//! process on a local file: each scenario is run with wrk against every setup in turn, and the
//! whole round is repeated, so slow drift on a shared machine spreads over all setups alike.

use bench::chats::scenarios::{self, Scenario};
use bench::chats::seed::Seeded;
use bench::wrk::{self, Call, Measured};
use std::path::{Path, PathBuf};

/// The scenarios measured (names from [`scenarios::all`]).
pub const SCENARIOS: [&str; 3] = ["GET /{id}", "POST /new", "GET / page 1"];

/// One way of serving the API: which servers wrk spreads its connections over.
pub struct Setup {
    /// `file` or `sqld`.
    pub backend: &'static str,
    /// The API processes' base URLs.
    pub bases: Vec<String>,
    /// Processes whose CPU time counts as the server's (hosts, sqld).
    pub pids: Vec<u32>,
    /// The benchmark user's token and ids on this backend.
    pub seeded: Seeded,
}

/// How long and how hard.
pub struct Load {
    /// wrk connections (split evenly over the processes of a setup).
    pub connections: u32,
    /// Seconds per measurement.
    pub seconds: u32,
    /// Rounds over every scenario and setup.
    pub repeat: u32,
    /// Bytes per generated message.
    pub message_bytes: usize,
}

/// One wrk measurement and the CPU the servers used meanwhile.
#[derive(Clone)]
pub struct Sample {
    /// What wrk reported.
    pub measured: Measured,
    /// CPU seconds of the setup's processes per wall second (2.0 = both cores).
    pub server_cores: f64,
}

/// Every sample of one scenario on one setup.
pub struct Row {
    /// Scenario name.
    pub scenario: &'static str,
    /// `file` or `sqld`.
    pub backend: &'static str,
    /// API processes.
    pub processes: usize,
    /// One per round.
    pub samples: Vec<Sample>,
}

/// Warms every setup up (1 s per scenario, not recorded), then measures `load.repeat`
/// rounds; `alive` is checked after each run.
pub async fn measure(
    setups: &[Setup],
    load: &Load,
    dir: &Path,
    mut alive: impl FnMut() -> Result<(), String>,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut calls = Vec::new();
    for setup in setups {
        let lists = pick(&scenarios::all(&setup.seeded, load.message_bytes))?;
        for (scenario, list) in SCENARIOS.iter().zip(&lists) {
            rows.push(Row {
                scenario,
                backend: setup.backend,
                processes: setup.bases.len(),
                samples: Vec::new(),
            });
            calls.push(list.clone());
        }
    }
    let per_setup = SCENARIOS.len();
    println!("warming up every setup (1 s per scenario) ...");
    for (index, setup) in setups.iter().enumerate() {
        for scenario in 0..per_setup {
            run_one(
                setup,
                &calls[index * per_setup + scenario],
                load.connections,
                1,
                dir,
            )
            .await?;
        }
    }
    for round in 1..=load.repeat {
        println!("round {round} of {}", load.repeat);
        for scenario in 0..per_setup {
            for (index, setup) in setups.iter().enumerate() {
                let slot = index * per_setup + scenario;
                let sample =
                    run_one(setup, &calls[slot], load.connections, load.seconds, dir).await?;
                alive()?;
                let row = &mut rows[slot];
                println!(
                    "  {:<13} {} x{}: {:>6.0} req/s  p50 {:.2} ms  p99 {:.2} ms  errors {}  server CPU {:.2} cores",
                    row.scenario,
                    row.backend,
                    row.processes,
                    sample.measured.rps,
                    sample.measured.p50_us as f64 / 1000.0,
                    sample.measured.p99_us as f64 / 1000.0,
                    sample.measured.errors,
                    sample.server_cores
                );
                row.samples.push(sample);
            }
        }
    }
    Ok(rows)
}

/// The request lists of [`SCENARIOS`], in that order.
fn pick(all: &[Scenario]) -> Result<Vec<Vec<Call>>, String> {
    SCENARIOS
        .iter()
        .map(|name| {
            all.iter()
                .find(|scenario| scenario.name == *name)
                .map(|scenario| scenario.calls.clone())
                .ok_or_else(|| format!("no scenario named {name}"))
        })
        .collect()
}

/// One wrk run over the setup's processes (in a blocking task: wrk is a child process).
async fn run_one(
    setup: &Setup,
    calls: &[Call],
    connections: u32,
    seconds: u32,
    dir: &Path,
) -> Result<Sample, String> {
    let cpu_before = cpu(&setup.pids);
    let (bases, token, calls, dir): (Vec<String>, String, Vec<Call>, PathBuf) = (
        setup.bases.clone(),
        setup.seeded.token.clone(),
        calls.to_vec(),
        dir.to_path_buf(),
    );
    let measured = tokio::task::spawn_blocking(move || {
        let bases: Vec<&str> = bases.iter().map(String::as_str).collect();
        wrk::run_spread(&dir, &bases, &token, &calls, connections, seconds)
    })
    .await
    .map_err(|e| format!("wrk task: {e}"))??;
    let cpu_used = cpu(&setup.pids) - cpu_before;
    Ok(Sample {
        measured,
        server_cores: cpu_used / f64::from(seconds.max(1)),
    })
}

/// CPU seconds used so far by these processes together.
fn cpu(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|pid| bench::host::cpu_seconds(Some(*pid)))
        .sum()
}
