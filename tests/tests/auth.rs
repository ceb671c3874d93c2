//! Authentication through the real host and components: signup/signin/add, Open
//! WebUI-compatible JWTs, and the failure matrix of spec §1.5.

use chat_core::auth::jwt;
use integration_tests::{SECRET, Server};
use serde_json::{Map, Value, json};

fn claims(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn now() -> i64 {
    chat_core::context::now_seconds()
}

#[tokio::test]
async fn first_signup_is_admin_and_closes_signup() {
    let server = Server::start().await;
    let admin = server.signup("Admin", "Admin@Example.com").await;
    assert_eq!(admin["role"], "admin");
    assert_eq!(admin["email"], "admin@example.com", "email is lower-cased");
    assert_eq!(admin["token_type"], "Bearer");
    let keys: Vec<&str> = admin.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(keys, ["id", "name", "role", "email", "profile_image_url", "token", "token_type", "expires_at", "permissions"]);
    assert_eq!(admin["permissions"]["chat"]["delete"], true);
    assert!(admin["expires_at"].as_i64().unwrap_or(0) > now() + 27 * 86400, "default expiry is 4 weeks");

    // The stored password is a bcrypt hash and the session stamp a uuid.
    let rows = server.rows("SELECT password, session_stamp, active FROM auth", vec![]).await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0][0].as_str().unwrap_or_default().starts_with("$2b$12$"));
    assert_eq!(rows[0][1].as_str().unwrap_or_default().len(), 36);
    assert_eq!(rows[0][2], json!(1));

    // Open WebUI turns signup off after the first admin.
    let second = server
        .send("POST", "/api/v1/auths/signup", None, Some(json!({"name": "B", "email": "b@example.com", "password": "x"})))
        .await;
    second.assert_error(403, chat_core::error::E_PROHIBITED);
    let config = server.rows("SELECT value FROM config WHERE key = 'ui.enable_signup'", vec![]).await;
    assert_eq!(config, vec![vec![json!("false")]]);
}

#[tokio::test]
async fn signup_with_signup_enabled_gives_pending_role() {
    let server = Server::start_with(&[("enable_signup", "true")]).await;
    let admin = server.signup("Admin", "admin@example.com").await;
    // Re-open signup the way an admin would (config row).
    server.db().await.execute("UPDATE config SET value = 'true' WHERE key = 'ui.enable_signup'", ()).await.expect("update");
    let pending = server.signup("Pat", "pat@example.com").await;
    assert_eq!(pending["role"], "pending");
    let token = pending["token"].as_str().unwrap_or_default();
    server.get("/api/v1/chats/", token).await.assert_error(401, chat_core::error::E_PROHIBITED);
    // The admin still works.
    assert_eq!(server.get("/api/v1/chats/", admin["token"].as_str().unwrap_or_default()).await.status, 200);
}

#[tokio::test]
async fn signin_session_user_and_bad_input() {
    let server = Server::start().await;
    let (admin, _user, user_id) = server.admin_and_user().await;
    let ok = server
        .send("POST", "/api/v1/auths/signin", None, Some(json!({"email": "ALICE@example.com", "password": "Passw0rd!"})))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["id"], user_id.as_str());
    assert_eq!(ok.body["role"], "user");
    let cookie = ok.headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(cookie.starts_with("token=") && cookie.contains("HttpOnly"), "cookie: {cookie}");

    let me = server.get("/api/v1/auths/", ok.body["token"].as_str().unwrap_or_default()).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "alice@example.com");
    assert_eq!(me.body["name"], "Alice");

    let wrong = server
        .send("POST", "/api/v1/auths/signin", None, Some(json!({"email": "alice@example.com", "password": "nope"})))
        .await;
    wrong.assert_error(400, "The email or password provided is incorrect. Please check for typos and try logging in again.");
    let missing = server.send("POST", "/api/v1/auths/signin", None, Some(json!({"email": "a@b.c"}))).await;
    missing.assert_error(422, "Invalid authentication request.");
    let malformed = server.send_raw("POST", "/api/v1/auths/signin", None, "{").await;
    malformed.assert_error(422, "Invalid authentication request.");

    // Admin-only add: a user gets 401 prohibited, a duplicate email 400.
    let as_user = server
        .post("/api/v1/auths/add", ok.body["token"].as_str().unwrap_or_default(), json!({"name": "x", "email": "x@example.com", "password": "p"}))
        .await;
    as_user.assert_error(401, chat_core::error::E_PROHIBITED);
    let duplicate = server
        .post("/api/v1/auths/add", &admin, json!({"name": "A", "email": "alice@example.com", "password": "p", "role": "user"}))
        .await;
    duplicate.assert_error(400, "Uh-oh! This email is already registered. Sign in with your existing account or choose another email to start anew.");
    let users = server.rows("SELECT COUNT(*) FROM user", vec![]).await;
    assert_eq!(users, vec![vec![json!(2)]], "failed adds create nobody");
}

#[tokio::test]
async fn pyjwt_style_tokens_and_failure_matrix() {
    let server = Server::start().await;
    let (_admin, _user, user_id) = server.admin_and_user().await;
    let stamp = server
        .rows("SELECT session_stamp FROM auth WHERE id = ?", vec![user_id.clone().into()])
        .await[0][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let good = jwt::encode(
        &claims(json!({"id": user_id, "typ": "session", "session_stamp": stamp, "jti": "j1", "iat": now()})),
        SECRET,
    );
    assert_eq!(server.get("/api/v1/chats/", &good).await.status, 200);

    // A token in the `token` cookie works too.
    let via_cookie = reqwest::Client::new()
        .get(format!("{}/api/v1/chats/", server.base))
        .header("cookie", format!("token={good}"))
        .send()
        .await
        .expect("request");
    assert_eq!(via_cookie.status().as_u16(), 200);

    let wrong_stamp = jwt::encode(&claims(json!({"id": user_id, "typ": "session", "session_stamp": "other", "iat": now()})), SECRET);
    server.get("/api/v1/chats/", &wrong_stamp).await.assert_error(401, "Invalid token");
    let wrong_signature = jwt::encode(&claims(json!({"id": user_id, "session_stamp": stamp})), "not-the-secret");
    server.get("/api/v1/chats/", &wrong_signature).await.assert_error(401, "401 Unauthorized");
    let expired = jwt::encode(&claims(json!({"id": user_id, "session_stamp": stamp, "exp": now() - 10})), SECRET);
    server.get("/api/v1/chats/", &expired).await.assert_error(401, "401 Unauthorized");
    let bad_typ = jwt::encode(&claims(json!({"id": user_id, "session_stamp": stamp, "typ": "refresh"})), SECRET);
    server.get("/api/v1/chats/", &bad_typ).await.assert_error(401, "Invalid token");
    let unknown_user = jwt::encode(&claims(json!({"id": "nobody"})), SECRET);
    server.get("/api/v1/chats/", &unknown_user).await.assert_error(401, "Invalid authentication request.");
    server.get("/api/v1/chats/", "garbage").await.assert_error(401, "401 Unauthorized");
    server.send("GET", "/api/v1/chats/", None, None).await.assert_error(401, "Not authenticated");
    // An unknown API key.
    server.get("/api/v1/chats/", "sk-unknown").await.assert_error(401, chat_core::error::E_INVALID_TOKEN);
}

/// Stores the key `sk-test` for a user, as Open WebUI's `POST /auths/api_key` would.
async fn add_api_key(server: &Server, user_id: &str) {
    server
        .db()
        .await
        .execute(
            "INSERT INTO api_key (id, user_id, key, created_at, updated_at) VALUES ('k1', ?1, 'sk-test', 0, 0)",
            [user_id],
        )
        .await
        .expect("insert key");
}

#[tokio::test]
async fn api_keys_follow_the_enable_flag() {
    let server = Server::start().await;
    let (_admin, _user, user_id) = server.admin_and_user().await;
    add_api_key(&server, &user_id).await;
    server.get("/api/v1/chats/", "sk-test").await.assert_error(403, chat_core::error::E_API_KEY_NOT_ALLOWED);

    let enabled = Server::start_with(&[("enable_api_keys", "true"), ("user_permissions", r#"{"features":{"api_keys":true}}"#)]).await;
    let (_admin, _user, user_id) = enabled.admin_and_user().await;
    add_api_key(&enabled, &user_id).await;
    let listed = enabled.get("/api/v1/chats/", "sk-test").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body, json!([]));
}
