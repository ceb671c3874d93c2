//! What the benchmark binaries share: the host under test, Socket.IO clients and latency
//! histograms. `bench-realtime` measures the relay; `bench-api` the HTTP API, side by side
//! with another server implementing it (Open WebUI).

pub mod client;
pub mod histogram;
pub mod host;
