//! The relay's own timing knobs, read from Open WebUI's environment variable names.
//!
//! These are not [`crate::settings::Settings`]: only the relay needs them, and they are
//! process environment (Engine.IO and Socket.IO server options in Open WebUI's
//! `socket/main.py`), not Spin variables.

/// Engine.IO and session-pool timing, with Open WebUI 0.12.4's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayConfig {
    /// `WEBSOCKET_SERVER_PING_INTERVAL` (25 s): the server pings each connection this long
    /// after the open packet or the last pong.
    pub ping_interval_ms: u64,
    /// `WEBSOCKET_SERVER_PING_TIMEOUT` (20 s): a connection that has not answered a ping
    /// within this time is closed.
    pub ping_timeout_ms: u64,
    /// `SESSION_POOL_TIMEOUT` = `max(WEBSOCKET_HEARTBEAT_INTERVAL * 4, 120)` s: sessions
    /// without a heartbeat for longer are left out of presence and reaped.
    pub session_timeout_s: i64,
    /// How often every authenticated connection's token is validated again (30 s, fixed
    /// in `periodic_socket_authentication`).
    pub auth_sweep_ms: u64,
    /// `maxPayload` announced in the open packet (`max_http_buffer_size`, 16 MiB). The host
    /// enforces the actual frame cap.
    pub max_payload: u64,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self::from_lookup(|_| None)
    }
}

impl RelayConfig {
    /// Builds the configuration from an environment lookup by Open WebUI's variable names.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        // Open WebUI parses these with `int()` and falls back to the default on error.
        let seconds = |name: &str, default: u64| {
            lookup(name).and_then(|value| value.trim().parse::<u64>().ok()).unwrap_or(default)
        };
        // An empty WEBSOCKET_HEARTBEAT_INTERVAL means None (timeout 120 s); a bad value 30;
        // a good one is clamped to 5..=90 s.
        let heartbeat = lookup("WEBSOCKET_HEARTBEAT_INTERVAL")
            .filter(|value| !value.is_empty())
            .map(|value| value.trim().parse::<i64>().map_or(30, |secs| secs.clamp(5, 90)));
        Self {
            ping_interval_ms: seconds("WEBSOCKET_SERVER_PING_INTERVAL", 25).saturating_mul(1000),
            ping_timeout_ms: seconds("WEBSOCKET_SERVER_PING_TIMEOUT", 20).saturating_mul(1000),
            session_timeout_s: heartbeat.map_or(120, |secs| (secs * 4).max(120)),
            auth_sweep_ms: 30_000,
            max_payload: 16 * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let defaults = RelayConfig::default();
        assert_eq!((defaults.ping_interval_ms, defaults.ping_timeout_ms, defaults.session_timeout_s), (25_000, 20_000, 120));
        let custom = RelayConfig::from_lookup(|name| match name {
            "WEBSOCKET_SERVER_PING_INTERVAL" => Some("10".into()),
            "WEBSOCKET_SERVER_PING_TIMEOUT" => Some("oops".into()),
            "WEBSOCKET_HEARTBEAT_INTERVAL" => Some("60".into()),
            _ => None,
        });
        assert_eq!((custom.ping_interval_ms, custom.ping_timeout_ms, custom.session_timeout_s), (10_000, 20_000, 240));
        let clamped = RelayConfig::from_lookup(|name| (name == "WEBSOCKET_HEARTBEAT_INTERVAL").then(|| "1000".into()));
        assert_eq!(clamped.session_timeout_s, 360);
    }
}
