//! What the benchmark binaries share: the host under test, Socket.IO clients, the publisher
//! and the fan-out measurement, latency histograms, the chats workload and the wrk driver.
//! `bench-realtime` measures the relay; `bench-api` the HTTP API, side by side with another
//! server implementing it (Open WebUI); `bench-scaleout` one against two API processes on one
//! libSQL server, and events crossing two relays through Redis.

pub mod chats;
pub mod client;
pub mod fanout;
pub mod histogram;
pub mod host;
pub mod process;
pub mod publisher;
pub mod runtime;
pub mod wrk;
