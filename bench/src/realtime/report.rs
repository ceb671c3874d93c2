//! The results: a table for people and one JSON line for scripts (the last line of output).

use bench::histogram::Histogram;
use serde_json::{Value, json};

/// Everything the benchmark measured.
pub struct Report {
    /// The host binary used.
    pub host_bin: String,
    /// Sockets asked for.
    pub sockets: u64,
    /// Sockets that finished the handshake and `user-join`.
    pub sockets_joined: u64,
    /// Seconds to open and join all sockets.
    pub connect_s: f64,
    /// The first handshake failure, if any.
    pub connect_error: Option<String>,
    /// Events the plan asked for.
    pub events_planned: u64,
    /// Events the relay accepted.
    pub events_published: u64,
    /// Publish requests refused or failed.
    pub publish_failures: u64,
    /// The first publish failure.
    pub publish_error: Option<String>,
    /// Accepted events × joined sockets.
    pub deliveries_expected: u64,
    /// Distinct (event, socket) deliveries received.
    pub deliveries_received: u64,
    /// Repeated deliveries (not counted as received).
    pub duplicates: u64,
    /// Sockets the server closed (or that failed) during the run.
    pub sockets_dropped: u64,
    /// Why the first of them ended.
    pub drop_reason: Option<String>,
    /// Seconds from the first to the last publish.
    pub publish_s: f64,
    /// Seconds from the first publish to the last delivery.
    pub total_s: f64,
    /// Publish-to-receive latency, µs.
    pub latency: Histogram,
    /// Publish request round trip, µs.
    pub publish_latency: Histogram,
    /// Host peak RSS, KiB.
    pub host_peak_rss_kib: Option<u64>,
    /// Host RSS once every socket had joined, KiB.
    pub host_rss_joined_kib: Option<u64>,
    /// CPU seconds the host used during the whole run (startup included).
    pub host_cpu_s: Option<f64>,
    /// CPU seconds this benchmark process used.
    pub bench_cpu_s: Option<f64>,
}

fn ms(us: u64) -> f64 {
    (us as f64 / 10.0).round() / 100.0
}

fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        (count as f64 / seconds).round()
    } else {
        0.0
    }
}

fn mib(kib: Option<u64>) -> Value {
    kib.map_or(Value::Null, |kib| {
        json!((kib as f64 / 102.4).round() / 10.0)
    })
}

impl Report {
    fn lost(&self) -> u64 {
        self.deliveries_expected
            .saturating_sub(self.deliveries_received)
    }

    /// The JSON object (printed on one line).
    pub fn json(&self) -> Value {
        let l = &self.latency;
        json!({
            "host_bin": self.host_bin,
            "sockets": self.sockets,
            "sockets_joined": self.sockets_joined,
            "connect_s": (self.connect_s * 100.0).round() / 100.0,
            "events_planned": self.events_planned,
            "events_published": self.events_published,
            "publish_failures": self.publish_failures,
            "deliveries_expected": self.deliveries_expected,
            "deliveries_received": self.deliveries_received,
            "deliveries_lost": self.lost(),
            "duplicates": self.duplicates,
            "sockets_dropped": self.sockets_dropped,
            "events_per_s": per_second(self.events_published, self.publish_s),
            "deliveries_per_s": per_second(self.deliveries_received, self.total_s),
            "latency_ms": {"p50": ms(l.quantile(0.5)), "p90": ms(l.quantile(0.9)), "p99": ms(l.quantile(0.99)), "max": ms(l.max())},
            "publish_http_ms": {"p50": ms(self.publish_latency.quantile(0.5)), "p99": ms(self.publish_latency.quantile(0.99))},
            "host_peak_rss_mib": mib(self.host_peak_rss_kib),
            "host_rss_joined_mib": mib(self.host_rss_joined_kib),
            "host_cpu_s": self.host_cpu_s,
            "bench_cpu_s": self.bench_cpu_s,
            "publish_s": (self.publish_s * 100.0).round() / 100.0,
            "duration_s": (self.total_s * 100.0).round() / 100.0,
        })
    }

    /// Prints the table, then the JSON line.
    pub fn print(&self) {
        let l = &self.latency;
        let opt = |v: Value| {
            if v.is_null() {
                "n/a".to_owned()
            } else {
                v.to_string()
            }
        };
        let rows: Vec<(&str, String)> = vec![
            ("host binary", self.host_bin.clone()),
            (
                "sockets joined",
                format!(
                    "{} / {} (in {:.2} s)",
                    self.sockets_joined, self.sockets, self.connect_s
                ),
            ),
            (
                "events published",
                format!(
                    "{} of {} planned, {} failed",
                    self.events_published, self.events_planned, self.publish_failures
                ),
            ),
            (
                "publish rate",
                format!(
                    "{} events/s over {:.2} s",
                    per_second(self.events_published, self.publish_s),
                    self.publish_s
                ),
            ),
            (
                "deliveries",
                format!(
                    "{} received / {} expected, {} lost, {} duplicates",
                    self.deliveries_received,
                    self.deliveries_expected,
                    self.lost(),
                    self.duplicates
                ),
            ),
            (
                "delivery rate",
                format!(
                    "{} deliveries/s over {:.2} s",
                    per_second(self.deliveries_received, self.total_s),
                    self.total_s
                ),
            ),
            (
                "latency p50/p90/p99/max",
                format!(
                    "{} / {} / {} / {} ms",
                    ms(l.quantile(0.5)),
                    ms(l.quantile(0.9)),
                    ms(l.quantile(0.99)),
                    ms(l.max())
                ),
            ),
            (
                "publish HTTP p50/p99",
                format!(
                    "{} / {} ms",
                    ms(self.publish_latency.quantile(0.5)),
                    ms(self.publish_latency.quantile(0.99))
                ),
            ),
            ("sockets dropped", self.sockets_dropped.to_string()),
            (
                "host RSS joined / peak",
                format!(
                    "{} / {} MiB",
                    opt(mib(self.host_rss_joined_kib)),
                    opt(mib(self.host_peak_rss_kib))
                ),
            ),
            (
                "CPU host / bench",
                format!(
                    "{} / {} s",
                    opt(json!(self.host_cpu_s)),
                    opt(json!(self.bench_cpu_s))
                ),
            ),
        ];
        println!();
        for (name, value) in rows {
            println!("  {name:<26} {value}");
        }
        for (what, error) in [
            ("connect", &self.connect_error),
            ("publish", &self.publish_error),
            ("socket drop", &self.drop_reason),
        ] {
            if let Some(error) = error {
                println!("  first {what} error: {error}");
            }
        }
        if self.lost() > 0 {
            println!(
                "  LOSS: {} of {} deliveries did not arrive",
                self.lost(),
                self.deliveries_expected
            );
        }
        println!();
        println!("{}", self.json());
    }
}
