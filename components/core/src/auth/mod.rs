//! Authentication exactly as Open WebUI's `get_current_user` (spec §1.2–1.6): bearer JWT,
//! `token` cookie, `x-api-key`, `sk-` API keys, roles, and the same status/detail pairs.

pub mod jwt;
pub mod password;
pub mod routes;
pub mod session;

use crate::config;
use crate::context::Ctx;
use crate::error::{
    ApiError, ApiResult, E_API_KEY_NOT_ALLOWED, E_INVALID_TOKEN, E_NOT_AUTHENTICATED,
    E_PROHIBITED, E_UNAUTHORIZED,
};
use crate::http::Request;
use crate::permissions;
use crate::users::{self, USER_COLUMNS, User};

/// Where the credential came from decides which checks apply.
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    /// A JWT session token.
    Jwt(String),
    /// An `sk-...` API key.
    ApiKey(String),
}

/// Finds the credential in the order Open WebUI looks (spec §1.2).
pub fn credential(request: &Request) -> Option<Credential> {
    let authorization = request.header("authorization");
    let bearer = authorization.and_then(|value| {
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
    });
    let any_scheme = authorization.and_then(|value| value.split_once(' ').map(|(_, token)| token.to_owned()));
    let token = bearer
        .filter(|token| !token.is_empty())
        .or_else(|| request.cookie("token"))
        .or(any_scheme)
        .or_else(|| request.header("x-api-key").map(str::to_owned))
        .filter(|token| !token.is_empty())?;
    Some(if token.starts_with("sk-") {
        Credential::ApiKey(token)
    } else {
        Credential::Jwt(token)
    })
}

/// `get_current_user`: the authenticated user of any role, or the spec's 401/403.
pub async fn current_user(ctx: &Ctx<'_>, request: &Request) -> ApiResult<User> {
    match credential(request) {
        None => Err(ApiError::unauthorized(E_NOT_AUTHENTICATED)),
        Some(Credential::Jwt(token)) => user_from_jwt(ctx, &token).await,
        Some(Credential::ApiKey(key)) => user_from_api_key(ctx, request, &key).await,
    }
}

/// `get_verified_user`: role `user` or `admin`.
pub async fn verified_user(ctx: &Ctx<'_>, request: &Request) -> ApiResult<User> {
    let user = current_user(ctx, request).await?;
    if user.is_verified() {
        Ok(user)
    } else {
        Err(ApiError::unauthorized(E_PROHIBITED))
    }
}

/// `get_admin_user`: role `admin`.
pub async fn admin_user(ctx: &Ctx<'_>, request: &Request) -> ApiResult<User> {
    let user = current_user(ctx, request).await?;
    if user.is_admin() {
        Ok(user)
    } else {
        Err(ApiError::unauthorized(E_PROHIBITED))
    }
}

/// `get_optional_verified_user`: never an error, `None` when anything is wrong.
pub async fn optional_verified_user(ctx: &Ctx<'_>, request: &Request) -> Option<User> {
    verified_user(ctx, request).await.ok()
}

/// Validates a session JWT (spec §1.3 `is_valid_token`) and loads its user.
pub async fn user_from_jwt(ctx: &Ctx<'_>, token: &str) -> ApiResult<User> {
    let claims = (!ctx.settings.secret_key.is_empty())
        .then(|| jwt::decode(token, &ctx.settings.secret_key, ctx.now))
        .flatten()
        .ok_or_else(|| ApiError::unauthorized(E_UNAUTHORIZED))?;
    let user_id = match claims.get("id") {
        Some(serde_json::Value::String(id)) if !id.is_empty() => id.clone(),
        _ => return Err(ApiError::unauthorized(E_UNAUTHORIZED)),
    };
    let auth_rows = ctx
        .db
        .query("SELECT active, session_stamp FROM auth WHERE id = ?", &[user_id.as_str().into()])
        .await
        .map_err(|_| ApiError::new(503, "Authentication is temporarily unavailable."))?;
    let auth = match auth_rows.first() {
        Some(row) if row.bool(0) => row,
        _ => return Err(ApiError::unauthorized("Invalid authentication request.")),
    };
    let token_stamp = claims.get("session_stamp").and_then(|value| value.as_str());
    if token_stamp != auth.opt_text(1).as_deref() {
        return Err(ApiError::unauthorized("Invalid token"));
    }
    let typ = claims.get("typ").and_then(|value| value.as_str()).unwrap_or("session");
    if !matches!(typ, "session" | "automation" | "subagent") {
        return Err(ApiError::unauthorized("Invalid token"));
    }
    users::find_by_id(ctx.db, &user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized(E_INVALID_TOKEN))
}

/// Resolves an `sk-` API key (spec §1.4).
async fn user_from_api_key(ctx: &Ctx<'_>, request: &Request, key: &str) -> ApiResult<User> {
    let columns = USER_COLUMNS
        .split(", ")
        .map(|column| format!("u.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = ctx
        .db
        .query(
            &format!("SELECT {columns} FROM api_key k JOIN \"user\" u ON u.id = k.user_id WHERE k.key = ?"),
            &[key.into()],
        )
        .await?;
    let user = rows
        .first()
        .map(User::from_row)
        .ok_or_else(|| ApiError::unauthorized(E_INVALID_TOKEN))?;
    let config = config::load(ctx).await?;
    if !config.enable_api_keys {
        return Err(ApiError::forbidden(E_API_KEY_NOT_ALLOWED));
    }
    if !user.is_admin() && !permissions::has_permission(ctx, &config, &user.id, "features.api_keys").await? {
        return Err(ApiError::forbidden(E_API_KEY_NOT_ALLOWED));
    }
    if config.api_key_endpoint_restrictions {
        let allowed = config
            .api_key_allowed_endpoints
            .split(',')
            .map(str::trim)
            .filter(|endpoint| !endpoint.is_empty())
            .any(|endpoint| request.path == endpoint || request.path.starts_with(&format!("{endpoint}/")));
        if !allowed {
            return Err(ApiError::forbidden(E_PROHIBITED));
        }
    }
    Ok(user)
}
