//! The results: a table for people and one JSON document for scripts.

use bench::wrk::Measured;
use serde_json::{Value, json};

/// One row: a scenario at one concurrency, ours and (optionally) theirs.
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Connections.
    pub concurrency: u32,
    /// Our server.
    pub ours: Measured,
    /// The other server, with `--against`.
    pub theirs: Option<Measured>,
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// Prints the table.
pub fn print_table(rows: &[Row]) {
    let against = rows.iter().any(|row| row.theirs.is_some());
    print!("{:<26} {:>3} {:>9} {:>8} {:>8} {:>5}", "scenario", "c", "req/s", "p50 ms", "p99 ms", "err");
    if against {
        print!(" | {:>8} {:>8} {:>8} {:>5} | {:>8}", "theirs/s", "p50 ms", "p99 ms", "err", "ratio");
    }
    println!();
    for row in rows {
        let o = &row.ours;
        print!("{:<26} {:>3} {:>9.0} {:>8} {:>8} {:>5}", row.scenario, row.concurrency, o.rps, ms(o.p50_us), ms(o.p99_us), o.errors);
        if let Some(t) = &row.theirs {
            let ratio = if t.rps > 0.0 { format!("{:.1}x", o.rps / t.rps) } else { "-".into() };
            print!(" | {:>8.1} {:>8} {:>8} {:>5} | {:>8}", t.rps, ms(t.p50_us), ms(t.p99_us), t.errors, ratio);
        }
        println!();
    }
}

fn measured_json(m: &Measured) -> Value {
    json!({"requests": m.requests, "rps": (m.rps * 10.0).round() / 10.0, "p50_ms": m.p50_us as f64 / 1000.0, "p99_ms": m.p99_us as f64 / 1000.0, "errors": m.errors})
}

/// The rows as JSON (`ratio` is ours/theirs requests per second).
pub fn rows_json(rows: &[Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|row| {
                let mut value = json!({"scenario": row.scenario, "concurrency": row.concurrency, "ours": measured_json(&row.ours)});
                if let Some(t) = &row.theirs {
                    value["theirs"] = measured_json(t);
                    value["ratio"] = json!(if t.rps > 0.0 { ((row.ours.rps / t.rps) * 10.0).round() / 10.0 } else { 0.0 });
                }
                value
            })
            .collect(),
    )
}
