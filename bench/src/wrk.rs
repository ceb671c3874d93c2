//! The load generator: `wrk` (Debian's package; `scripts/bench` installs it) driven by a Lua
//! script that cycles through a prepared list of requests and prints its summary as JSON.
//!
//! One wrk process can also spread its connections over several servers of the same API
//! ([`run_spread`]): each wrk thread connects to one of them (Lua `setup` sets `thread.addr`),
//! so the latency percentiles cover all of them exactly, as one client population would see
//! them behind a round-robin balancer.

use serde_json::Value;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

/// One request of a scenario: method, path with query, JSON body (may be empty).
#[derive(Clone, Debug)]
pub struct Call {
    /// `GET`, `POST`, ...
    pub method: &'static str,
    /// Path and query.
    pub path: String,
    /// The body, or empty.
    pub body: String,
}

/// What wrk measured for one run.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// Requests completed.
    pub requests: u64,
    /// Requests per second.
    pub rps: f64,
    /// Median latency, µs.
    pub p50_us: u64,
    /// 99th percentile latency, µs.
    pub p99_us: u64,
    /// Socket errors and non-2xx/3xx answers.
    pub errors: u64,
}

const SCRIPT: &str = r#"
local requests = {}
local counter = 0
function init(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%S+)\t([^\t]*)\t(.*)$")
    if body == "" then body = nil end
    table.insert(requests, wrk.format(method, path, nil, body))
  end
  counter = (tonumber(offset) or 0) % #requests
end
function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("offset", thread_count * 7919)
  -- BENCH_TARGETS: "host port,host port,...": thread i connects to target i (mod count).
  local spec = os.getenv("BENCH_TARGETS")
  if spec and spec ~= "" then
    local targets = {}
    for host, port in spec:gmatch("([^ ,]+) (%d+)") do table.insert(targets, {host, port}) end
    local target = targets[(thread_count - 1) % #targets + 1]
    thread.addr = wrk.lookup(target[1], target[2])[1]
  end
end
function request()
  counter = counter % #requests + 1
  return requests[counter]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"#;

/// Runs wrk against `base` for `seconds` at `connections`, cycling through `calls`.
pub fn run(dir: &Path, base: &str, token: &str, calls: &[Call], connections: u32, seconds: u32) -> Result<Measured, String> {
    run_spread(dir, &[base], token, calls, connections, seconds)
}

/// Runs one wrk over every server in `bases` (`http://host:port`, the same API and data):
/// one wrk thread per server, `connections` split evenly between them (so it must be a
/// multiple of their number). With one base this is [`run`] (1 or 2 threads).
pub fn run_spread(dir: &Path, bases: &[&str], token: &str, calls: &[Call], connections: u32, seconds: u32) -> Result<Measured, String> {
    let first = bases.first().ok_or("wrk: no server to drive")?;
    let servers = u32::try_from(bases.len()).map_err(|_| "wrk: too many servers")?;
    if servers > 1 && (connections < servers || !connections.is_multiple_of(servers)) {
        return Err(format!("wrk: {connections} connections do not split evenly over {servers} servers"));
    }
    let targets = if servers > 1 {
        bases.iter().map(|base| host_and_port(base)).collect::<Result<Vec<_>, _>>()?.join(",")
    } else {
        String::new()
    };
    let script = dir.join("bench.lua");
    std::fs::write(&script, SCRIPT).map_err(|e| format!("write {}: {e}", script.display()))?;
    let list = dir.join("requests.tsv");
    let mut file = std::fs::File::create(&list).map_err(|e| format!("write {}: {e}", list.display()))?;
    for call in calls {
        writeln!(file, "{}\t{}\t{}", call.method, call.path, call.body.replace(['\t', '\n'], " ")).map_err(|e| e.to_string())?;
    }
    drop(file);
    let threads = if servers > 1 { servers } else { connections.clamp(1, 2) };
    let output = Command::new("wrk")
        .env("BENCH_TARGETS", targets)
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("--timeout")
        .arg("30s")
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"))
        .arg("-H")
        .arg("Content-Type: application/json")
        .arg("-s")
        .arg(&script)
        .arg(first)
        .arg(&list)
        .output()
        .map_err(|e| format!("run wrk (install it: apt-get install wrk): {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCHJSON "))
        .ok_or_else(|| format!("wrk printed no summary: {stdout} {}", String::from_utf8_lossy(&output.stderr)))?;
    let value: Value = serde_json::from_str(line).map_err(|e| format!("wrk summary {line}: {e}"))?;
    let field = |name: &str| value[name].as_u64().unwrap_or(0);
    let duration_s = field("duration_us") as f64 / 1e6;
    Ok(Measured {
        requests: field("requests"),
        rps: if duration_s > 0.0 { field("requests") as f64 / duration_s } else { 0.0 },
        p50_us: field("p50_us"),
        p99_us: field("p99_us"),
        errors: field("errors"),
    })
}

/// `"host port"` of an `http://host:port[/...]` URL, for the Lua script's `wrk.lookup`.
fn host_and_port(base: &str) -> Result<String, String> {
    let rest = base.strip_prefix("http://").ok_or_else(|| format!("wrk: {base} is not an http:// URL"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let (host, port) = authority.rsplit_once(':').map_or((authority, "80"), |(host, port)| (host, port));
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!("wrk: cannot read host and port from {base}"));
    }
    Ok(format!("{host} {port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_host_and_port() {
        assert_eq!(host_and_port("http://127.0.0.1:8080").as_deref(), Ok("127.0.0.1 8080"));
        assert_eq!(host_and_port("http://localhost/x").as_deref(), Ok("localhost 80"));
        assert!(host_and_port("https://example.com").is_err());
        assert!(host_and_port("http://h:notaport").is_err());
    }
}
