//! Open WebUI's database-backed configuration: table `config`, one row per dotted key
//! (`key TEXT PRIMARY KEY, value JSON`). A key without a row falls back to the process
//! setting ([`Settings`]), as Open WebUI's `Config.get(key, default)` does.

use crate::context::Ctx;
use crate::db::{Database, DbError, Value};
use crate::permissions::truthy;
use crate::settings::{Settings, merge_deep};
use serde_json::Value as Json;

/// The configuration values the chats API consults, resolved for one request.
#[derive(Debug, Clone)]
pub struct Config {
    /// `auth.enable_api_keys`.
    pub enable_api_keys: bool,
    /// `auth.api_key.endpoint_restrictions`.
    pub api_key_endpoint_restrictions: bool,
    /// `auth.api_key.allowed_endpoints` (comma-separated).
    pub api_key_allowed_endpoints: String,
    /// `ui.enable_community_sharing`.
    pub enable_community_sharing: bool,
    /// `ui.enable_signup`.
    pub enable_signup: bool,
    /// `ui.default_user_role`.
    pub default_user_role: String,
    /// `auth.jwt_expiry`.
    pub jwt_expiry: String,
    /// `user.permissions`, with missing keys filled from the defaults.
    pub user_permissions: Json,
}

const KEYS: &[&str] = &[
    "auth.enable_api_keys",
    "auth.api_key.endpoint_restrictions",
    "auth.api_key.allowed_endpoints",
    "ui.enable_community_sharing",
    "ui.enable_signup",
    "ui.default_user_role",
    "auth.jwt_expiry",
    "user.permissions",
];

/// Reads the keys above in one query.
pub async fn load(ctx: &Ctx<'_>) -> Result<Config, DbError> {
    let placeholders = vec!["?"; KEYS.len()].join(",");
    let params: Vec<Value> = KEYS.iter().map(|key| (*key).into()).collect();
    let rows = ctx
        .db
        .query(&format!("SELECT key, value FROM config WHERE key IN ({placeholders})"), &params)
        .await?;
    let stored = |key: &str| rows.iter().find(|row| row.text(0) == key).map(|row| row.json(1));
    Ok(resolve(ctx.settings, stored))
}

fn resolve(settings: &Settings, stored: impl Fn(&str) -> Option<Json>) -> Config {
    let flag = |key: &str, default: bool| stored(key).map_or(default, |value| truthy(&value));
    let text = |key: &str, default: &str| match stored(key) {
        Some(Json::String(value)) => value,
        _ => default.to_owned(),
    };
    let mut user_permissions = settings.user_permissions.clone();
    if let Some(overrides @ Json::Object(_)) = stored("user.permissions") {
        merge_deep(&mut user_permissions, &overrides);
    }
    Config {
        enable_api_keys: flag("auth.enable_api_keys", settings.enable_api_keys),
        api_key_endpoint_restrictions: flag("auth.api_key.endpoint_restrictions", false),
        api_key_allowed_endpoints: text("auth.api_key.allowed_endpoints", ""),
        enable_community_sharing: flag("ui.enable_community_sharing", settings.enable_community_sharing),
        enable_signup: flag("ui.enable_signup", settings.enable_signup),
        default_user_role: text("ui.default_user_role", &settings.default_user_role),
        jwt_expiry: text("auth.jwt_expiry", &settings.jwt_expires_in),
        user_permissions,
    }
}

/// Reads one key's stored JSON value, `None` when absent.
pub async fn get(db: &dyn Database, key: &str) -> Result<Option<Json>, DbError> {
    let rows = db.query("SELECT value FROM config WHERE key = ?", &[key.into()]).await?;
    Ok(rows.first().map(|row| row.json(0)))
}

/// Writes one key (insert or replace), stamping `updated_at`.
pub async fn set(db: &dyn Database, key: &str, value: &Json, now: i64) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO config (key, value, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        &[key.into(), value.into(), now.into()],
    )
    .await?;
    Ok(())
}
