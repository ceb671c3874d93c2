//! The publisher: `POST /_realtime/publish` at a fixed rate, each event stamped with the time it
//! was sent (`data.data.sent_ns`, on the receivers' clock) and its sequence number.
//!
//! Sends follow a schedule (event `i` is due at `start + i / rate`) rather than a sleep after
//! each request, so a slow answer delays neither the following events nor the measured rate.
//! Requests run concurrently up to a bound; when the host answers slower than that bound
//! allows, publishing falls behind the schedule and the report shows the rate achieved.

use crate::client::now_ns;
use crate::histogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Publish requests in flight at most.
const IN_FLIGHT: usize = 64;

/// What to publish.
pub struct Plan {
    /// Events at most.
    pub events: u64,
    /// Target events per second.
    pub rate: f64,
    /// Stop scheduling after this long even if `events` were not all sent.
    pub duration: Duration,
}

/// What happened.
#[derive(Default)]
pub struct Published {
    /// Events the relay accepted (202).
    pub accepted: u64,
    /// Events refused or not answered.
    pub failed: u64,
    /// The first failure, for the report.
    pub first_error: Option<String>,
    /// Time to the 202, µs.
    pub http_latency: Histogram,
    /// First and last send, ns since the epoch.
    pub first_send_ns: u64,
    /// See `first_send_ns`.
    pub last_send_ns: u64,
}

#[derive(Default)]
struct Shared {
    accepted: AtomicU64,
    failed: AtomicU64,
    last_send_ns: AtomicU64,
    first_error: Mutex<Option<String>>,
    http_latency: Mutex<Histogram>,
}

/// Publishes `plan` for `user_id` to `base`'s publish endpoint.
pub async fn run(
    base: &str,
    token: &str,
    user_id: &str,
    plan: &Plan,
    epoch: Instant,
) -> Result<Published, String> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let url = format!("{base}/_realtime/publish");
    let user_id = serde_json::Value::from(user_id).to_string();
    let shared = Arc::new(Shared::default());
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let start = tokio::time::Instant::now();
    let first_send_ns = now_ns(epoch);
    let period = Duration::from_secs_f64(1.0 / plan.rate);
    for seq in 0..plan.events {
        let due = start + period.mul_f64(seq as f64);
        if due.duration_since(start) >= plan.duration {
            break;
        }
        tokio::time::sleep_until(due).await;
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| format!("publisher: {e}"))?;
        let (http, url, token, user_id, shared) = (
            http.clone(),
            url.clone(),
            token.to_owned(),
            user_id.clone(),
            shared.clone(),
        );
        tokio::spawn(async move {
            let sent_ns = now_ns(epoch);
            // A `local:` chat id: the relay sends it to `user:{id}` only, not to a chat room
            // nobody joined, so the benchmark measures the path it reports.
            let body = format!(
                r#"{{"chat_id":"local:bench","message_id":"bench","user_id":{user_id},"data":{{"type":"status","data":{{"sent_ns":{sent_ns},"seq":{seq}}}}}}}"#
            );
            let result = http
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let answered_ns = now_ns(epoch);
            shared.last_send_ns.fetch_max(sent_ns, Ordering::Relaxed);
            let error = match result {
                Ok(response) if response.status().as_u16() == 202 => None,
                Ok(response) => Some(format!("publish answered {}", response.status())),
                Err(e) => Some(format!("publish: {e}")),
            };
            match error {
                None => {
                    shared.accepted.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut histogram) = shared.http_latency.lock() {
                        histogram.record(answered_ns.saturating_sub(sent_ns) / 1000);
                    }
                }
                Some(error) => {
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut first) = shared.first_error.lock() {
                        first.get_or_insert(error);
                    }
                }
            }
            drop(permit);
        });
    }
    // Every request still in flight holds a permit: taking them all waits for the last answer.
    let all = u32::try_from(IN_FLIGHT).map_err(|e| format!("publisher: {e}"))?;
    let _ = tokio::time::timeout(Duration::from_secs(15), permits.acquire_many(all)).await;
    Ok(Published {
        accepted: shared.accepted.load(Ordering::Relaxed),
        failed: shared.failed.load(Ordering::Relaxed),
        first_error: take(&shared.first_error),
        http_latency: take(&shared.http_latency),
        first_send_ns,
        last_send_ns: shared.last_send_ns.load(Ordering::Relaxed),
    })
}

/// Moves a value out of a mutex (a poisoned one yields the default).
fn take<T: Default>(mutex: &Mutex<T>) -> T {
    mutex
        .lock()
        .map(|mut guard| std::mem::take(&mut *guard))
        .unwrap_or_default()
}
