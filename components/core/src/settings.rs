//! Process-level configuration: Spin variables (or the host's `SPIN_VARIABLE_*` env vars),
//! with Open WebUI's defaults.
//!
//! Values that Open WebUI keeps in its `config` table (signup, API keys, community sharing,
//! default permissions, JWT expiry) start from these and are overridden by that table; see
//! [`crate::config`].

use serde_json::{Value as Json, json};

/// The variables every component reads, by their Spin names.
pub const VARIABLE_NAMES: &[&str] = &[
    "webui_secret_key",
    "enable_admin_chat_access",
    "enable_admin_export",
    "enable_community_sharing",
    "enable_api_keys",
    "enable_signup",
    "default_user_role",
    "jwt_expires_in",
    "user_permissions",
    "message_patch_limit",
];

/// Configuration resolved for one component instance.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `WEBUI_SECRET_KEY`: signs and verifies session tokens. Empty means no token verifies.
    pub secret_key: String,
    /// `ENABLE_ADMIN_CHAT_ACCESS` (default true).
    pub enable_admin_chat_access: bool,
    /// `ENABLE_ADMIN_EXPORT` (default true).
    pub enable_admin_export: bool,
    /// `ENABLE_COMMUNITY_SHARING` (default true), the initial `ui.enable_community_sharing`.
    pub enable_community_sharing: bool,
    /// `ENABLE_API_KEYS` (default false), the initial `auth.enable_api_keys`.
    pub enable_api_keys: bool,
    /// `ENABLE_SIGNUP` (default true), the initial `ui.enable_signup`.
    pub enable_signup: bool,
    /// `DEFAULT_USER_ROLE` (default `pending`).
    pub default_user_role: String,
    /// `JWT_EXPIRES_IN` (default `4w`; `-1` or `0` for no expiry).
    pub jwt_expires_in: String,
    /// Default user permissions (Open WebUI's `DEFAULT_USER_PERMISSIONS`, chat part),
    /// overridable as a JSON object in the `user_permissions` variable.
    pub user_permissions: Json,
    /// `message_patch_limit` (default 0): how many pending per-message patches
    /// ([`crate::patches`]) a chat may hold before a message write folds them into the chat
    /// JSON. 0 keeps the JSON current on every message write, as Open WebUI does: needed
    /// whenever Open WebUI's own backend reads or writes the same database (it reads the JSON
    /// only, and a patch left pending would later be folded over its newer writes). Raise it
    /// (e.g. 64) only when this service is the only writer of the chats: message writes into
    /// long chats then cost O(message) instead of O(chat).
    pub message_patch_limit: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_lookup(|_| None)
    }
}

impl Settings {
    /// Builds settings from a variable lookup (`None` or empty means "use the default").
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let flag = |name: &str, default: bool| get(name).map_or(default, |value| parse_bool(&value));
        let mut user_permissions = default_user_permissions();
        if let Some(Json::Object(overrides)) = get("user_permissions").and_then(|raw| serde_json::from_str(&raw).ok()) {
            merge_deep(&mut user_permissions, &Json::Object(overrides));
        }
        Self {
            secret_key: get("webui_secret_key").unwrap_or_default(),
            enable_admin_chat_access: flag("enable_admin_chat_access", true),
            enable_admin_export: flag("enable_admin_export", true),
            enable_community_sharing: flag("enable_community_sharing", true),
            enable_api_keys: flag("enable_api_keys", false),
            enable_signup: flag("enable_signup", true),
            default_user_role: get("default_user_role").unwrap_or_else(|| "pending".into()),
            jwt_expires_in: get("jwt_expires_in").unwrap_or_else(|| "4w".into()),
            user_permissions,
            message_patch_limit: get("message_patch_limit")
                .and_then(|value| value.trim().parse::<i64>().ok())
                .filter(|limit| *limit >= 0)
                .unwrap_or(0),
        }
    }
}

/// Open WebUI's truthy strings for boolean env vars (`"true"`, `"1"`, …).
pub fn parse_bool(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on" | "t")
}

/// Recursively merges `overrides` into `base` (objects merge, everything else replaces).
pub fn merge_deep(base: &mut Json, overrides: &Json) {
    match (base, overrides) {
        (Json::Object(base), Json::Object(overrides)) => {
            for (key, value) in overrides {
                match base.get_mut(key) {
                    Some(existing) => merge_deep(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, overrides) => *base = overrides.clone(),
    }
}

/// Open WebUI 0.12.4's `DEFAULT_USER_PERMISSIONS` with its env defaults (spec §1.7), in
/// its key order (as a real signup response shows them).
pub fn default_user_permissions() -> Json {
    json!({
        "workspace": {
            "models": false,
            "knowledge": false,
            "prompts": false,
            "tools": false,
            "skills": false,
            "models_import": false,
            "models_export": false,
            "models_hidden": false,
            "prompts_import": false,
            "prompts_export": false,
            "tools_import": false,
            "tools_export": false,
            "skills_import": false,
            "skills_export": false
        },
        "sharing": {
            "models": false,
            "public_models": false,
            "knowledge": false,
            "public_knowledge": false,
            "prompts": false,
            "public_prompts": false,
            "tools": false,
            "public_tools": false,
            "skills": false,
            "public_skills": false,
            "notes": false,
            "public_notes": false,
            "folders": false,
            "public_chats": false,
            "open_chats": false,
            "public_calendars": false
        },
        "access_grants": {
            "allow_users": true,
            "allow_groups": true
        },
        "chat": {
            "controls": true,
            "valves": true,
            "system_prompt": true,
            "params": true,
            "file_upload": true,
            "web_upload": true,
            "delete": true,
            "delete_message": true,
            "continue_response": true,
            "regenerate_response": true,
            "rate_response": true,
            "edit": true,
            "share": true,
            "export": true,
            "import": true,
            "stt": true,
            "tts": true,
            "call": true,
            "multiple_models": true,
            "temporary": true,
            "temporary_enforced": false
        },
        "features": {
            "api_keys": false,
            "notes": true,
            "folders": true,
            "channels": true,
            "encrypted_channels": false,
            "direct_tool_servers": false,
            "web_search": true,
            "image_generation": true,
            "code_interpreter": true,
            "memories": true,
            "automations": false,
            "calendar": true,
            "webhooks": false
        },
        "settings": {
            "interface": true
        }
    })
}

/// Parses Open WebUI's duration grammar (`4w`, `1d12h`, `30m`, `500ms`) into seconds.
/// `-1`, `0` and unparsable values mean "never expires" (`None`).
pub fn parse_duration_seconds(text: &str) -> Option<f64> {
    let text = text.trim();
    if text == "-1" || text == "0" || text.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, factor) = [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86400.0), ("w", 604800.0)]
            .into_iter()
            .find(|(unit, _)| rest.starts_with(unit))?;
        rest = &rest[unit.len()..];
        total += number * factor;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_seconds("4w"), Some(2_419_200.0));
        assert_eq!(parse_duration_seconds("1d12h"), Some(129_600.0));
        assert_eq!(parse_duration_seconds("500ms"), Some(0.5));
        assert_eq!(parse_duration_seconds("-1"), None);
        assert_eq!(parse_duration_seconds("x"), None);
    }

    #[test]
    fn defaults_and_overrides() {
        let settings = Settings::from_lookup(|name| match name {
            "enable_admin_chat_access" => Some("false".into()),
            "user_permissions" => Some(r#"{"chat":{"delete":false}}"#.into()),
            _ => None,
        });
        assert!(!settings.enable_admin_chat_access);
        assert!(settings.enable_admin_export);
        assert_eq!(settings.user_permissions["chat"]["delete"], false);
        assert_eq!(settings.user_permissions["chat"]["share"], true);
    }
}
