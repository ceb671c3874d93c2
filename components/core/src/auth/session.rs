//! The `/api/v1/auths` routes a client needs to obtain Open WebUI-compatible tokens:
//! signup, signin, the session user, and admin "add user".

use super::{jwt, password};
use crate::config::{self, Config};
use crate::context::{Ctx, new_id};
use crate::db::transaction;
use crate::error::{ApiError, ApiResult, E_INVALID_TOKEN, E_PROHIBITED};
use crate::http::Request;
use crate::permissions;
use crate::settings::parse_duration_seconds;
use crate::users::{self, User};
use serde_json::{Map, Value as Json, json};

const EMAIL_TAKEN: &str = "Uh-oh! This email is already registered. Sign in with your existing account or choose another email to start anew.";
const INVALID_EMAIL_FORMAT: &str = "The email format you entered is invalid. Please double-check and make sure you're using a valid email address (e.g., yourname@example.com).";
const INVALID_CRED: &str =
    "The email or password provided is incorrect. Please check for typos and try logging in again.";
const PASSWORD_TOO_LONG: &str = "Uh-oh! The password you entered is too long. Please make sure your password is less than 72 bytes long.";
const CREATE_USER_ERROR: &str = "Oops! Something went wrong while creating your account. Please try again later. If the issue persists, contact support for assistance.";

/// A signed-in session: the token and what the client shows about the user.
#[derive(Debug, Clone)]
pub struct Session {
    /// The JWT.
    pub token: String,
    /// `exp` of the token, or `None` when tokens never expire.
    pub expires_at: Option<i64>,
    /// Seconds until expiry, for the cookie's `Max-Age`.
    pub max_age: Option<i64>,
    /// The response body.
    pub body: Json,
}

/// Required string field of a form, with pydantic's 422 shapes for missing/wrong types.
fn required_str(form: &Map<String, Json>, name: &str) -> ApiResult<String> {
    match form.get(name) {
        Some(Json::String(text)) => Ok(text.clone()),
        None => Err(ApiError::missing(&["body", name], Json::Object(form.clone()))),
        Some(other) => Err(ApiError::validation(vec![json!({
            "type": "string_type",
            "loc": ["body", name],
            "msg": "Input should be a valid string",
            "input": other,
        })])),
    }
}

fn optional_str(form: &Map<String, Json>, name: &str, default: &str) -> ApiResult<String> {
    match form.get(name) {
        None | Some(Json::Null) => Ok(default.to_owned()),
        Some(_) => required_str(form, name),
    }
}

/// `validate_email_format`: `@localhost` or `x@y.z`.
pub fn valid_email(email: &str) -> bool {
    if email.ends_with("@localhost") {
        return true;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.split_once('.').is_some_and(|(host, tld)| !host.is_empty() && !tld.is_empty())
}

/// Mints a session token for `user` with the configured expiry (`create_session_response`).
pub async fn create_session(ctx: &Ctx<'_>, config: &Config, user: &User) -> ApiResult<Session> {
    let stamp = session_stamp(ctx, &user.id).await?;
    let expires_in = parse_duration_seconds(&config.jwt_expiry);
    let expires_at = expires_in.map(|seconds| ctx.now + seconds as i64);
    let mut claims = Map::new();
    claims.insert("id".into(), json!(user.id));
    claims.insert("typ".into(), json!("session"));
    claims.insert("auth_method".into(), json!("password"));
    claims.insert("auth_time".into(), json!(ctx.now));
    claims.insert("session_stamp".into(), json!(stamp));
    claims.insert("mfa_verified".into(), json!(false));
    if let Some(exp) = expires_at {
        claims.insert("exp".into(), json!(exp));
    }
    claims.insert("jti".into(), json!(new_id()));
    claims.insert("iat".into(), json!(ctx.now));
    let token = jwt::encode(&claims, &ctx.settings.secret_key);
    let mut body = token_body(user, &token);
    body.insert("expires_at".into(), json!(expires_at));
    body.insert("permissions".into(), permissions::effective_permissions(ctx, config, &user.id).await?);
    let body = Json::Object(body);
    Ok(Session { token, expires_at, max_age: expires_in.map(|s| s as i64), body })
}

/// The first fields of every token answer (signup, signin, add), in Open WebUI's order.
fn token_body(user: &User, token: &str) -> Map<String, Json> {
    let mut body = Map::new();
    body.insert("id".into(), json!(user.id));
    body.insert("name".into(), json!(user.name));
    body.insert("role".into(), json!(user.role));
    body.insert("email".into(), json!(user.email));
    body.insert("profile_image_url".into(), json!(format!("/api/v1/users/{}/profile/image", user.id)));
    body.insert("token".into(), json!(token));
    body.insert("token_type".into(), json!("Bearer"));
    body
}

/// The token `/add` returns: only `{id, typ, session_stamp}` plus `exp`, `jti`, `iat`.
async fn admin_added_token(ctx: &Ctx<'_>, config: &Config, user: &User) -> ApiResult<String> {
    let stamp = session_stamp(ctx, &user.id).await?;
    let mut claims = Map::new();
    claims.insert("id".into(), json!(user.id));
    claims.insert("typ".into(), json!("session"));
    claims.insert("session_stamp".into(), json!(stamp));
    if let Some(seconds) = parse_duration_seconds(&config.jwt_expiry) {
        claims.insert("exp".into(), json!(ctx.now + seconds as i64));
    }
    claims.insert("jti".into(), json!(new_id()));
    claims.insert("iat".into(), json!(ctx.now));
    Ok(jwt::encode(&claims, &ctx.settings.secret_key))
}

async fn session_stamp(ctx: &Ctx<'_>, user_id: &str) -> ApiResult<Option<String>> {
    Ok(ctx
        .db
        .query("SELECT session_stamp FROM auth WHERE id = ?", &[user_id.into()])
        .await?
        .first()
        .and_then(|row| row.opt_text(0)))
}

/// Inserts the `auth` + `user` pair (Open WebUI's `insert_new_auth`) in one transaction.
async fn insert_user(ctx: &Ctx<'_>, email: &str, hashed: &str, name: &str, image: &str, role: &str) -> ApiResult<User> {
    let id = new_id();
    let stamp = new_id();
    transaction(ctx.db, async || {
        ctx.db
            .execute(
                "INSERT INTO auth (id, email, password, active, session_stamp) VALUES (?, ?, ?, 1, ?)",
                &[id.as_str().into(), email.into(), hashed.into(), stamp.as_str().into()],
            )
            .await?;
        ctx.db
            .execute(
                "INSERT INTO \"user\" (id, name, email, role, profile_image_url, last_active_at, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    id.as_str().into(),
                    name.into(),
                    email.into(),
                    role.into(),
                    image.into(),
                    ctx.now.into(),
                    ctx.now.into(),
                    ctx.now.into(),
                ],
            )
            .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    users::find_by_id(ctx.db, &id)
        .await?
        .ok_or_else(|| ApiError::new(500, CREATE_USER_ERROR))
}

struct NewUserForm {
    name: String,
    email: String,
    password: String,
    profile_image_url: String,
}

fn parse_new_user(form: &Map<String, Json>) -> ApiResult<NewUserForm> {
    let parsed = NewUserForm {
        name: required_str(form, "name")?,
        email: required_str(form, "email")?,
        password: required_str(form, "password")?,
        profile_image_url: optional_str(form, "profile_image_url", "/user.png")?,
    };
    if !valid_email(&parsed.email.to_lowercase()) {
        return Err(ApiError::bad_request(INVALID_EMAIL_FORMAT));
    }
    Ok(parsed)
}

async fn check_new_user(ctx: &Ctx<'_>, form: &NewUserForm) -> ApiResult<String> {
    if users::find_by_email(ctx.db, &form.email.to_lowercase()).await?.is_some() {
        return Err(ApiError::bad_request(EMAIL_TAKEN));
    }
    if form.password.len() > 72 {
        return Err(ApiError::bad_request(PASSWORD_TOO_LONG));
    }
    password::hash(&form.password).ok_or_else(|| ApiError::new(500, CREATE_USER_ERROR))
}

/// `POST /api/v1/auths/signup`: the first user becomes admin and closes signup; later users
/// get `ui.default_user_role` while `ui.enable_signup` is on, else 403.
pub async fn signup(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Session> {
    let form = request.body()?.object()?;
    let config = config::load(ctx).await?;
    let has_users = !ctx.db.query("SELECT 1 FROM \"user\" LIMIT 1", &[]).await?.is_empty();
    if has_users && !config.enable_signup {
        return Err(ApiError::forbidden(E_PROHIBITED));
    }
    let form = parse_new_user(&form)?;
    let hashed = check_new_user(ctx, &form).await?;
    let mut user = insert_user(
        ctx,
        &form.email.to_lowercase(),
        &hashed,
        &form.name,
        &form.profile_image_url,
        &config.default_user_role,
    )
    .await?;
    let count = ctx.db.query("SELECT COUNT(*) FROM \"user\"", &[]).await?;
    if count.first().map(|row| row.int(0)) == Some(1) {
        ctx.db
            .execute("UPDATE \"user\" SET role = 'admin' WHERE id = ?", &[user.id.as_str().into()])
            .await?;
        config::set(ctx.db, "ui.enable_signup", &json!(false), ctx.now).await?;
        user.role = "admin".into();
    }
    create_session(ctx, &config, &user).await
}

/// `POST /api/v1/auths/signin`: email (case-insensitive) and password.
pub async fn signin(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Session> {
    let form = request.body()?.object()?;
    let email = required_str(&form, "email")?.to_lowercase();
    let given = required_str(&form, "password")?;
    let rows = ctx
        .db
        .query("SELECT id, password, active FROM auth WHERE email = ?", &[email.as_str().into()])
        .await?;
    let user_id = match rows.first() {
        Some(row) if row.bool(2) && password::verify(&given, &row.text(1)) => row.text(0),
        _ => return Err(ApiError::bad_request(INVALID_CRED)),
    };
    let user = users::find_by_id(ctx.db, &user_id)
        .await?
        .ok_or_else(|| ApiError::bad_request(INVALID_CRED))?;
    let config = config::load(ctx).await?;
    create_session(ctx, &config, &user).await
}

/// `GET /api/v1/auths/`: the session user with its token and permissions.
pub async fn session_user(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Json> {
    let user = super::current_user(ctx, request).await?;
    let token = match super::credential(request) {
        Some(super::Credential::Jwt(token)) => token,
        _ => return Err(ApiError::forbidden("A human session is required.")),
    };
    let claims = jwt::decode(&token, &ctx.settings.secret_key, ctx.now)
        .ok_or_else(|| ApiError::unauthorized(E_INVALID_TOKEN))?;
    let config = config::load(ctx).await?;
    let profile = ctx
        .db
        .query(
            "SELECT bio, gender, date_of_birth, status_emoji, status_message, status_expires_at FROM \"user\" WHERE id = ?",
            &[user.id.as_str().into()],
        )
        .await?;
    let profile = profile.first();
    let column = |index: usize| profile.map_or(Json::Null, |row| row.opt_text(index).map_or(Json::Null, Json::String));
    Ok(json!({
        "status_emoji": column(3),
        "status_message": column(4),
        "status_expires_at": profile.and_then(|row| row.opt_int(5)),
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "email": user.email,
        "profile_image_url": user.profile_image_url,
        "token": token,
        "token_type": "Bearer",
        "expires_at": claims.get("exp").cloned().unwrap_or(Json::Null),
        "permissions": permissions::effective_permissions(ctx, &config, &user.id).await?,
        "bio": column(0),
        "gender": column(1),
        "date_of_birth": column(2),
    }))
}

/// `POST /api/v1/auths/add` (admin): creates a user with a role and returns its token.
pub async fn add_user(ctx: &Ctx<'_>, request: &Request) -> ApiResult<Json> {
    super::admin_user(ctx, request).await?;
    let raw = request.body()?.object()?;
    let form = parse_new_user(&raw)?;
    let role = optional_str(&raw, "role", "pending")?;
    let hashed = check_new_user(ctx, &form).await?;
    let user = insert_user(ctx, &form.email.to_lowercase(), &hashed, &form.name, &form.profile_image_url, &role).await?;
    let config = config::load(ctx).await?;
    let token = admin_added_token(ctx, &config, &user).await?;
    Ok(Json::Object(token_body(&user, &token)))
}
