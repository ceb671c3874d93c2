//! The relay's configuration: its own variables and the component's environment.
//!
//! The realtime component reads configuration as WASI environment variables with Open
//! WebUI's names (`WEBUI_SECRET_KEY`, `ENABLE_ADMIN_CHAT_ACCESS`, …): each is the upper-cased
//! name of an application variable. A variable's value is looked up as for the HTTP
//! components, so both sides of the application agree:
//! - when the manifest declares it (`host serve`): its resolved value (`--var`,
//!   `SPIN_VARIABLE_<NAME>`, the host's defaults, the manifest default; for
//!   `webui_secret_key` also `WEBUI_SECRET_KEY`);
//! - otherwise (`host realtime`, or a name the manifest does not declare): `--var`, then
//!   `SPIN_VARIABLE_<NAME>`, then Open WebUI's own `<NAME>`.
//!
//! The transport variables (`realtime_token`, `realtime_url`, `realtime_origin`, `redis_url`)
//! are the host's business and are never passed to the component.

use crate::variables::ResolvedVariables;
use std::collections::{BTreeSet, HashMap};

/// Variables the relay alone reads, besides the core settings every component reads
/// ([`chat_core::settings::VARIABLE_NAMES`]).
const RELAY_VARIABLES: [&str; 5] = [
    "cors_allow_origin",
    "websocket_server_ping_interval",
    "websocket_server_ping_timeout",
    "websocket_event_caller_timeout",
    "websocket_heartbeat_interval",
];

/// Variables the component gets even when the manifest does not declare them.
pub fn component_variables() -> impl Iterator<Item = &'static str> {
    chat_core::settings::VARIABLE_NAMES.iter().copied().chain(RELAY_VARIABLES)
}

/// Variables only the host uses.
pub const HOST_ONLY: [&str; 4] = [
    "realtime_token",
    "realtime_url",
    "realtime_origin",
    "redis_url",
];

/// Where variable values come from.
pub struct Lookup<'a> {
    /// The manifest's resolved application variables (`host serve`), if any.
    pub manifest: Option<&'a ResolvedVariables>,
    /// `--var name=value`.
    pub cli: &'a HashMap<String, String>,
    /// The process environment.
    pub env: &'a HashMap<String, String>,
}

impl Lookup<'_> {
    /// The value of variable `name` (see the module docs for the order).
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(declared) = self.manifest.and_then(|m| m.app(name)) {
            return declared.map(str::to_string);
        }
        let upper = name.to_ascii_uppercase();
        self.cli
            .get(name)
            .or_else(|| self.env.get(&format!("SPIN_VARIABLE_{upper}")))
            .or_else(|| self.env.get(&upper))
            .cloned()
    }

    /// The non-empty value of `name`.
    pub fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }
}

/// The component's environment: every known or declared variable that has a value.
pub fn component_env(lookup: &Lookup<'_>) -> Vec<(String, String)> {
    let mut names: BTreeSet<&str> = component_variables().collect();
    if let Some(m) = lookup.manifest {
        names.extend(m.app_names());
    }
    names
        .into_iter()
        .filter(|n| !HOST_ONLY.contains(n))
        .filter_map(|n| lookup.get(n).map(|v| (n.to_ascii_uppercase(), v)))
        .collect()
}

/// A fresh random token (256 bits from the OS generator, as hex).
pub fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_order_and_host_only() {
        let mut cli = HashMap::new();
        let mut env = HashMap::new();
        env.insert("WEBUI_SECRET_KEY".to_string(), "owui".to_string());
        env.insert("ENABLE_ADMIN_CHAT_ACCESS".to_string(), "false".to_string());
        env.insert(
            "SPIN_VARIABLE_ENABLE_ADMIN_CHAT_ACCESS".to_string(),
            "spin".to_string(),
        );
        env.insert("REALTIME_TOKEN".to_string(), "secret".to_string());
        cli.insert("realtime_token".to_string(), "secret".to_string());
        let lookup = Lookup {
            manifest: None,
            cli: &cli,
            env: &env,
        };
        let got = component_env(&lookup);
        assert!(got.contains(&("WEBUI_SECRET_KEY".to_string(), "owui".to_string())));
        assert!(got.contains(&("ENABLE_ADMIN_CHAT_ACCESS".to_string(), "spin".to_string())));
        assert!(got.iter().all(|(k, _)| k != "REALTIME_TOKEN"));
        assert_eq!(lookup.get("realtime_token").as_deref(), Some("secret"));
        // 2 × 32 hex digits, and not the same twice.
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }
}
