//! The results: two tables for people (medians over the rounds) and one JSON document.

use crate::crossrelay;
use crate::throughput;
use serde_json::{Value, json};

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

/// Medians of one throughput row.
struct Summary {
    rps: f64,
    rps_min: f64,
    rps_max: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    server_cores: f64,
}

fn summarize(row: &throughput::Row) -> Summary {
    let of = |f: &dyn Fn(&throughput::Sample) -> f64| median(row.samples.iter().map(f).collect());
    let rps: Vec<f64> = row.samples.iter().map(|s| s.measured.rps).collect();
    Summary {
        rps: of(&|s| s.measured.rps),
        rps_min: rps.iter().copied().fold(f64::INFINITY, f64::min),
        rps_max: rps.iter().copied().fold(0.0, f64::max),
        p50_ms: of(&|s| s.measured.p50_us as f64 / 1000.0),
        p99_ms: of(&|s| s.measured.p99_us as f64 / 1000.0),
        errors: row.samples.iter().map(|s| s.measured.errors).sum(),
        server_cores: of(&|s| s.server_cores),
    }
}

/// Median req/s of `scenario` on `backend` with `processes`.
fn rps_of(
    rows: &[throughput::Row],
    scenario: &str,
    backend: &str,
    processes: usize,
) -> Option<f64> {
    rows.iter()
        .find(|row| {
            row.scenario == scenario && row.backend == backend && row.processes == processes
        })
        .map(|row| summarize(row).rps)
}

fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 => Some(n / d),
        _ => None,
    }
}

fn show_ratio(value: Option<f64>) -> String {
    value.map_or_else(String::new, |r| format!("{r:.2}x"))
}

/// Prints the throughput table: medians over the rounds; `2p/1p` is two processes over one
/// on sqld, `vs file` one sqld-backed process over one on a file.
pub fn print_throughput(rows: &[throughput::Row], connections: u32, seconds: u32) {
    let rounds = rows.first().map_or(0, |row| row.samples.len());
    println!(
        "\nThroughput: wrk, {connections} connections, {seconds} s per run, median of {rounds} rounds (range: slowest–fastest round)"
    );
    println!(
        "{:<13} {:<5} {:>5} {:>8} {:>13} {:>7} {:>7} {:>5} {:>8} {:>7} {:>7}",
        "scenario",
        "db",
        "procs",
        "req/s",
        "range",
        "p50 ms",
        "p99 ms",
        "err",
        "srv CPU",
        "2p/1p",
        "vs file"
    );
    for row in rows {
        let s = summarize(row);
        let (two_over_one, versus_file) = match (row.backend, row.processes) {
            ("sqld", 2) => (
                ratio(Some(s.rps), rps_of(rows, row.scenario, "sqld", 1)),
                None,
            ),
            ("sqld", 1) => (
                None,
                ratio(Some(s.rps), rps_of(rows, row.scenario, "file", 1)),
            ),
            _ => (None, None),
        };
        println!(
            "{:<13} {:<5} {:>5} {:>8.0} {:>13} {:>7.2} {:>7.2} {:>5} {:>8.2} {:>7} {:>7}",
            row.scenario,
            row.backend,
            row.processes,
            s.rps,
            format!("{:.0}–{:.0}", s.rps_min, s.rps_max),
            s.p50_ms,
            s.p99_ms,
            s.errors,
            s.server_cores,
            show_ratio(two_over_one),
            show_ratio(versus_file),
        );
    }
}

/// Medians of one latency row (µs), the largest max and the summed counts.
struct LatencySummary {
    p50: f64,
    p90: f64,
    p99: f64,
    max: u64,
    published: u64,
    expected: u64,
    lost: u64,
    duplicates: u64,
    dropped: u64,
    publish_failures: u64,
    sockets: u64,
}

fn summarize_latency(row: &crossrelay::Row) -> LatencySummary {
    let of = |q: f64| {
        median(
            row.samples
                .iter()
                .map(|s| s.latency.quantile(q) as f64)
                .collect(),
        )
    };
    let sum = |f: &dyn Fn(&crossrelay::Sample) -> u64| row.samples.iter().map(f).sum::<u64>();
    LatencySummary {
        p50: of(0.5),
        p90: of(0.9),
        p99: of(0.99),
        max: row
            .samples
            .iter()
            .map(|s| s.latency.max())
            .max()
            .unwrap_or(0),
        published: sum(&|s| s.published),
        expected: sum(&|s| s.expected),
        lost: sum(&|s| s.expected.saturating_sub(s.received)),
        duplicates: sum(&|s| s.duplicates),
        dropped: sum(&|s| s.dropped),
        publish_failures: sum(&|s| s.publish_failures),
        sockets: row.samples.iter().map(|s| s.sockets).min().unwrap_or(0),
    }
}

/// Prints the latency table: per-round percentiles, median over the rounds; max over all.
pub fn print_latency(rows: &[crossrelay::Row], load: &crossrelay::Load) {
    let rounds = rows.first().map_or(0, |row| row.samples.len());
    println!(
        "\nEvent latency, publish to Socket.IO receive: {} sockets of one user, {} events/s for {:.0} s, median of {rounds} rounds (max: over all)",
        load.sockets,
        load.rate,
        load.duration.as_secs_f64()
    );
    println!(
        "{:<12} {:>7} {:>8} {:>11} {:>7} {:>7} {:>7} {:>8} {:>6} {:>5} {:>7}",
        "path",
        "sockets",
        "events",
        "deliveries",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "lost",
        "dup",
        "dropped"
    );
    for row in rows {
        let s = summarize_latency(row);
        println!(
            "{:<12} {:>7} {:>8} {:>11} {:>7.2} {:>7.2} {:>7.2} {:>8.2} {:>6} {:>5} {:>7}",
            row.path,
            s.sockets,
            s.published,
            s.expected,
            s.p50 / 1000.0,
            s.p90 / 1000.0,
            s.p99 / 1000.0,
            s.max as f64 / 1000.0,
            s.lost,
            s.duplicates,
            s.dropped
        );
        if s.publish_failures > 0 {
            println!("  {} publish requests failed", s.publish_failures);
        }
    }
}

/// The throughput rows as JSON (medians, every round's req/s, and the ratios).
pub fn throughput_json(rows: &[throughput::Row]) -> Value {
    let table: Vec<Value> = rows
        .iter()
        .map(|row| {
            let s = summarize(row);
            json!({
                "scenario": row.scenario, "db": row.backend, "processes": row.processes,
                "rps": round(s.rps, 1), "p50_ms": s.p50_ms, "p99_ms": s.p99_ms, "errors": s.errors,
                "server_cores": round(s.server_cores, 2),
                "rps_rounds": row.samples.iter().map(|x| round(x.measured.rps, 1)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let ratios: Vec<Value> = throughput::SCENARIOS
        .iter()
        .map(|scenario| {
            let two = ratio(rps_of(rows, scenario, "sqld", 2), rps_of(rows, scenario, "sqld", 1));
            let file = ratio(rps_of(rows, scenario, "sqld", 1), rps_of(rows, scenario, "file", 1));
            json!({"scenario": scenario, "two_over_one": two.map(|r| round(r, 2)), "sqld_over_file": file.map(|r| round(r, 2))})
        })
        .collect();
    json!({"rows": table, "ratios": ratios})
}

/// The latency rows as JSON (ms; medians over rounds, and every round's p50/p99).
pub fn latency_json(rows: &[crossrelay::Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|row| {
                let s = summarize_latency(row);
                let ms = |us: f64| round(us / 1000.0, 2);
                json!({
                    "path": row.path, "sockets": s.sockets, "events": s.published, "deliveries": s.expected,
                    "p50_ms": ms(s.p50), "p90_ms": ms(s.p90), "p99_ms": ms(s.p99), "max_ms": ms(s.max as f64),
                    "lost": s.lost, "duplicates": s.duplicates, "sockets_dropped": s.dropped,
                    "publish_failures": s.publish_failures,
                    "p50_ms_rounds": row.samples.iter().map(|x| ms(x.latency.quantile(0.5) as f64)).collect::<Vec<_>>(),
                    "p99_ms_rounds": row.samples.iter().map(|x| ms(x.latency.quantile(0.99) as f64)).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), 0.0);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
