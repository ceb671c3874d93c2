//! `GET /config` and `POST /config` (spec §2.11): the chat feature settings, stored in
//! Open WebUI's `config` table, one row per key. A key without a row reads as its
//! environment default, as Open WebUI's `Config.get_many` does.

use crate::auth;
use crate::config;
use crate::context::Ctx;
use crate::db::{Value, transaction};
use crate::error::{ApiError, ApiResult};
use crate::form::Fields;
use crate::http::Request;
use serde_json::{Map, Value as Json, json};

/// ChatConfigForm fields and their storage keys, in the form's order.
const FIELDS: [(&str, &str); 11] = [
    ("CONTEXT_COMPACTION_MODEL", "chat.context_compaction.model"),
    ("ENABLE_CONTEXT_COMPACTION", "chat.context_compaction.enable"),
    ("CONTEXT_COMPACTION_TOKEN_THRESHOLD", "chat.context_compaction.token_threshold"),
    ("CONTEXT_COMPACTION_TOKEN_CAP", "chat.context_compaction.token_cap"),
    ("CONTEXT_COMPACTION_RETENTION_PERCENTAGE", "chat.context_compaction.retention_percentage"),
    ("CONTEXT_COMPACTION_PROMPT_TEMPLATE", "chat.context_compaction.prompt_template"),
    ("ENABLE_TOOL_PERMISSIONS", "chat.tool_permissions.enable"),
    ("ENABLE_TOOL_SEARCH", "chat.tool_search.enable"),
    ("TOOL_SEARCH_DEFER_THRESHOLD", "chat.tool_search.defer_threshold"),
    ("TOOL_SEARCH_ALWAYS_LOADED", "chat.tool_search.always_loaded"),
    ("TOOL_SEARCH_DEFER_BUILTIN_TOOLS", "chat.tool_search.defer_builtin_tools"),
];

/// Open WebUI's environment defaults for the same fields.
fn defaults() -> [Json; 11] {
    [json!(""), json!(false), json!(80000), Json::Null, json!(40), json!(""), json!(false), json!(false), json!(400), json!([]), json!(true)]
}

/// `get_chat_config_values`: stored values (or defaults), with the model, cap and
/// retention fallbacks.
async fn values(ctx: &Ctx<'_>) -> ApiResult<Json> {
    let keys: Vec<Value> = FIELDS.iter().map(|(_, key)| (*key).into()).collect();
    let placeholders = vec!["?"; keys.len()].join(", ");
    let rows = ctx.db.query(&format!("SELECT key, value FROM config WHERE key IN ({placeholders})"), &keys).await?;
    let mut out = Map::new();
    for ((field, key), default) in FIELDS.iter().zip(defaults()) {
        let stored = rows.iter().find(|row| row.text(0) == *key).map(|row| row.json(1));
        out.insert((*field).into(), stored.unwrap_or(default));
    }
    if out["CONTEXT_COMPACTION_MODEL"].is_null() {
        out.insert("CONTEXT_COMPACTION_MODEL".into(), json!(""));
    }
    if out["CONTEXT_COMPACTION_TOKEN_CAP"].is_null() {
        let threshold = out["CONTEXT_COMPACTION_TOKEN_THRESHOLD"].clone();
        out.insert("CONTEXT_COMPACTION_TOKEN_CAP".into(), threshold);
    }
    if out["CONTEXT_COMPACTION_RETENTION_PERCENTAGE"].is_null() {
        out.insert("CONTEXT_COMPACTION_RETENTION_PERCENTAGE".into(), json!(40));
    }
    Ok(Json::Object(out))
}

/// `GET /api/v1/chats/config` (admin).
pub async fn get_config(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Json> {
    auth::admin_user(ctx, request).await?;
    values(ctx).await
}

/// `POST /api/v1/chats/config` (admin): validates ChatConfigForm, normalises, stores every
/// key, answers the re-read values.
pub async fn set_config(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Json> {
    let body = request.body()?;
    auth::admin_user(ctx, request).await?;
    let raw = body.object()?;
    let mut fields = Fields::new(&raw);
    let model = fields.optional_str("CONTEXT_COMPACTION_MODEL").unwrap_or_default();
    let enable = fields.required_bool("ENABLE_CONTEXT_COMPACTION");
    let threshold = fields.optional_int("CONTEXT_COMPACTION_TOKEN_THRESHOLD");
    let cap = fields.optional_int("CONTEXT_COMPACTION_TOKEN_CAP");
    let retention = fields.optional_int("CONTEXT_COMPACTION_RETENTION_PERCENTAGE");
    let template = fields.required_str("CONTEXT_COMPACTION_PROMPT_TEMPLATE");
    let tool_permissions = fields.bool_or("ENABLE_TOOL_PERMISSIONS", false);
    let tool_search = fields.bool_or("ENABLE_TOOL_SEARCH", false);
    let defer_threshold = fields.int_or("TOOL_SEARCH_DEFER_THRESHOLD", 400);
    let always_loaded = fields.str_list_or("TOOL_SEARCH_ALWAYS_LOADED", Vec::new());
    let defer_builtin = fields.bool_or("TOOL_SEARCH_DEFER_BUILTIN_TOOLS", true);
    fields.finish()?;
    let threshold = threshold.unwrap_or(80000).max(1);
    let cap = cap.filter(|cap| *cap != 0).unwrap_or(threshold).max(1);
    let retention = retention.unwrap_or(40).clamp(10, 50);
    let always_loaded: Vec<String> =
        always_loaded.iter().map(|item| item.trim().to_owned()).filter(|item| !item.is_empty()).collect();
    let stored = [
        json!(model),
        json!(enable),
        json!(threshold),
        json!(cap),
        json!(retention),
        json!(template),
        json!(tool_permissions),
        json!(tool_search),
        json!(defer_threshold.max(0)),
        json!(always_loaded),
        json!(defer_builtin),
    ];
    transaction(ctx.db, async || {
        for ((_, key), value) in FIELDS.iter().zip(&stored) {
            config::set(ctx.db, key, value, ctx.now).await?;
        }
        Ok::<_, ApiError>(())
    })
    .await?;
    values(ctx).await
}
