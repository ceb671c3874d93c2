//! Authorization matrix: every served route × every kind of caller (no credential, malformed,
//! wrongly signed, expired and wrong-session-stamp tokens, a pending user, another user, the
//! owner, an admin with and without admin chat access, the owner's API key with API keys
//! disabled and enabled) gets the spec's status and detail (spec §1.2–1.9, §2), and no
//! answer to anyone but the owner (or an admin the spec lets read the chat) carries the
//! owner's data: every owner chat, message and folder holds a unique marker string.

use chat_core::auth::jwt;
use chat_core::error::{E_API_KEY_NOT_ALLOWED, E_DEFAULT, E_INVALID_TOKEN, E_NOT_FOUND, E_PROHIBITED, E_UNAUTHORIZED};
use integration_tests::{SECRET, Server};
use serde_json::{Value, json};

const MARKER: &str = "zq-owner-secret-7c1e";

/// What a caller gets.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Want {
    /// 200 and the answer may show the owner's data.
    Sees,
    /// 200 with the caller's own data only: no marker.
    Mine,
    /// This error status and detail.
    Err(u16, &'static str),
}
use Want::{Err, Mine, Sees};

/// Who may call a route (spec §1.6), which decides the answers to failed authentication.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// `get_verified_user`.
    Verified,
    /// `get_admin_user`.
    Admin,
    /// `get_current_user` (any role, JWT only): `GET /auths/`.
    Current,
    /// `get_optional_verified_user`: `GET /share/{id}`.
    Optional,
    /// No authentication: the same answer for everyone.
    Public(Want),
}
use Kind::{Admin, Current, Optional, Public, Verified};

/// The callers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    Malformed,
    BadSignature,
    Expired,
    WrongStamp,
    Pending,
    Other,
    Owner,
    AdminOn,
    AdminOff,
    KeyDisabled,
    KeyEnabled,
}

/// method, path (`{chat}`, `{msg}`, `{share}`, `{folder}`, `{owner}` filled per case), body,
/// kind, and the answers for another user, an admin with admin chat access, an admin without.
type Row = (&'static str, &'static str, Option<fn() -> Value>, Kind, Want, Want, Want);

const NF: Want = Err(401, E_NOT_FOUND);
const PROHIBITED: Want = Err(401, E_PROHIBITED);
const DEFAULT: Want = Err(401, E_DEFAULT);
const NOT_SERVED: Want = Err(501, "This route is not implemented by this server yet.");

fn table() -> Vec<Row> {
    let none: Option<fn() -> Value> = None;
    let empty = Some((|| json!({})) as fn() -> Value);
    let tag = Some((|| json!({"name": "t"})) as fn() -> Value);
    vec![
        ("GET", "/api/v1/chats/openapi.json", none, Public(Sees), Sees, Sees, Sees),
        ("GET", "/api/v1/chats/", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/list", none, Verified, Mine, Mine, Mine),
        ("POST", "/api/v1/chats/read", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/stats/usage", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/stats/export", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/stats/export/{chat}", none, Verified, PROHIBITED, Sees, PROHIBITED),
        ("DELETE", "/api/v1/chats/", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/list/user/{owner}", none, Admin, PROHIBITED, Sees, PROHIBITED),
        ("POST", "/api/v1/chats/new", Some(|| json!({"chat": {"title": "mine"}})), Verified, Mine, Mine, Mine),
        ("POST", "/api/v1/chats/import", Some(|| json!({"chats": []})), Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/config", none, Admin, PROHIBITED, Mine, Mine),
        (
            "POST",
            "/api/v1/chats/config",
            Some(|| json!({"ENABLE_CONTEXT_COMPACTION": false, "CONTEXT_COMPACTION_PROMPT_TEMPLATE": ""})),
            Admin,
            PROHIBITED,
            Mine,
            Mine,
        ),
        ("GET", "/api/v1/chats/search?text=zq-owner", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/folder/{folder}", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/folder/{folder}/list", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/pinned", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/all", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/all/archived", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/all/tags", none, Verified, Mine, Mine, Mine),
        // Governed by enable_admin_export, not by admin chat access (spec §2.19).
        ("GET", "/api/v1/chats/all/db", none, Admin, PROHIBITED, Sees, Sees),
        ("GET", "/api/v1/chats/archived", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/archived/count", none, Verified, Mine, Mine, Mine),
        ("POST", "/api/v1/chats/archive/all", none, Verified, Mine, Mine, Mine),
        ("POST", "/api/v1/chats/unarchive/all", none, Verified, Mine, Mine, Mine),
        ("DELETE", "/api/v1/chats/share/all", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/shared", none, Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/chats/share/{share}", none, Optional, PROHIBITED, Sees, PROHIBITED),
        ("POST", "/api/v1/chats/tags", tag, Verified, Mine, Mine, Mine),
        ("POST", "/api/v1/chats/{chat}/compact", empty, Verified, NF, NF, NF),
        ("GET", "/api/v1/chats/{chat}", none, Verified, NF, Sees, NF),
        ("POST", "/api/v1/chats/{chat}", Some(|| json!({"chat": {"title": "x"}})), Verified, PROHIBITED, PROHIBITED, PROHIBITED),
        ("PATCH", "/api/v1/chats/{chat}/params", empty, Verified, PROHIBITED, PROHIBITED, PROHIBITED),
        ("POST", "/api/v1/chats/{chat}/messages/{msg}", Some(|| json!({"content": "x"})), Verified, PROHIBITED, Sees, PROHIBITED),
        ("DELETE", "/api/v1/chats/{chat}/messages/{msg}", none, Verified, PROHIBITED, Sees, PROHIBITED),
        (
            "POST",
            "/api/v1/chats/{chat}/messages/{msg}/event",
            Some(|| json!({"type": "status", "data": {"description": "x"}})),
            Verified,
            PROHIBITED,
            Sees,
            PROHIBITED,
        ),
        ("POST", "/api/v1/chats/{chat}/messages/{msg}/resolve", empty, Public(NOT_SERVED), NOT_SERVED, NOT_SERVED, NOT_SERVED),
        ("DELETE", "/api/v1/chats/{chat}", none, Verified, Err(404, E_NOT_FOUND), Sees, Err(404, E_NOT_FOUND)),
        ("GET", "/api/v1/chats/{chat}/pinned", none, Verified, DEFAULT, DEFAULT, DEFAULT),
        ("POST", "/api/v1/chats/{chat}/pin", none, Verified, DEFAULT, DEFAULT, DEFAULT),
        ("POST", "/api/v1/chats/{chat}/fork", Some(|| json!({"message_id": null})), Verified, NF, Sees, NF),
        ("POST", "/api/v1/chats/{chat}/clone", empty, Verified, DEFAULT, DEFAULT, DEFAULT),
        ("POST", "/api/v1/chats/{share}/clone/shared", none, Verified, PROHIBITED, Sees, PROHIBITED),
        ("POST", "/api/v1/chats/{chat}/archive", none, Verified, DEFAULT, DEFAULT, DEFAULT),
        ("POST", "/api/v1/chats/{chat}/share", empty, Verified, PROHIBITED, PROHIBITED, PROHIBITED),
        ("DELETE", "/api/v1/chats/{chat}/share", none, Verified, PROHIBITED, PROHIBITED, PROHIBITED),
        (
            "POST",
            "/api/v1/chats/shared/{chat}/access/update",
            Some(|| json!({"access_grants": []})),
            Verified,
            Err(404, E_NOT_FOUND),
            Sees,
            Err(404, E_NOT_FOUND),
        ),
        ("GET", "/api/v1/chats/shared/{chat}/access", none, Verified, Err(404, E_NOT_FOUND), Sees, Err(404, E_NOT_FOUND)),
        ("POST", "/api/v1/chats/{chat}/unread", none, Verified, Err(404, E_NOT_FOUND), Err(404, E_NOT_FOUND), Err(404, E_NOT_FOUND)),
        ("POST", "/api/v1/chats/{chat}/folder", Some(|| json!({"folder_id": null})), Verified, DEFAULT, DEFAULT, DEFAULT),
        ("GET", "/api/v1/chats/{chat}/tags", none, Verified, NF, Sees, NF),
        ("POST", "/api/v1/chats/{chat}/tags", tag, Verified, DEFAULT, DEFAULT, DEFAULT),
        ("DELETE", "/api/v1/chats/{chat}/tags", tag, Verified, NF, NF, NF),
        ("DELETE", "/api/v1/chats/{chat}/tags/all", none, Verified, NF, NF, NF),
        // Folders: admins manage any folder, whatever admin chat access says.
        ("GET", "/api/v1/folders/", none, Verified, Mine, Mine, Mine),
        ("POST", "/api/v1/folders/", Some(|| json!({"name": format!("mine {}", unique())})), Verified, Mine, Mine, Mine),
        ("GET", "/api/v1/folders/shared", none, Public(NOT_SERVED), NOT_SERVED, NOT_SERVED, NOT_SERVED),
        ("GET", "/api/v1/folders/{folder}", none, Verified, Err(404, E_NOT_FOUND), Sees, Sees),
        (
            "POST",
            "/api/v1/folders/{folder}/update",
            Some(|| json!({"name": format!("renamed {}", unique())})),
            Verified,
            Err(404, E_NOT_FOUND),
            Sees,
            Sees,
        ),
        (
            "POST",
            "/api/v1/folders/{folder}/update/parent",
            Some(|| json!({"parent_id": null})),
            Verified,
            Err(404, E_NOT_FOUND),
            Err(404, E_NOT_FOUND),
            Err(404, E_NOT_FOUND),
        ),
        (
            "POST",
            "/api/v1/folders/{folder}/update/expanded",
            Some(|| json!({"is_expanded": true})),
            Verified,
            Err(404, E_NOT_FOUND),
            Sees,
            Sees,
        ),
        ("POST", "/api/v1/folders/{folder}/read", none, Verified, Err(403, E_PROHIBITED), Mine, Mine),
        ("DELETE", "/api/v1/folders/{folder}", none, Verified, Err(403, E_PROHIBITED), Mine, Mine),
        ("POST", "/api/v1/folders/{folder}/access/update", empty, Public(NOT_SERVED), NOT_SERVED, NOT_SERVED, NOT_SERVED),
        ("GET", "/api/v1/folders/{folder}/shared/chats", none, Public(NOT_SERVED), NOT_SERVED, NOT_SERVED, NOT_SERVED),
        // Auths.
        ("GET", "/api/v1/auths/", none, Current, Mine, Mine, Mine),
        (
            "POST",
            "/api/v1/auths/signup",
            Some(|| json!({"name": "n", "email": "late@example.com", "password": "p"})),
            Public(Err(403, E_PROHIBITED)),
            Err(403, E_PROHIBITED),
            Err(403, E_PROHIBITED),
            Err(403, E_PROHIBITED),
        ),
        ("POST", "/api/v1/auths/add", Some(new_account), Admin, PROHIBITED, Mine, Mine),
    ]
}

fn new_account() -> Value {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({"name": "n", "email": format!("added{n}@example.com"), "password": "p", "role": "user"})
}

/// The answer `who` must get on a route of `kind`.
fn expected(row: &Row, who: Who) -> Want {
    let (_, _, _, kind, other, admin_on, admin_off) = *row;
    if let Public(want) = kind {
        return want;
    }
    let unauthenticated = match who {
        Who::Nobody => Some("Not authenticated"),
        Who::Malformed | Who::BadSignature | Who::Expired => Some(E_UNAUTHORIZED),
        Who::WrongStamp => Some("Invalid token"),
        _ => None,
    };
    match (kind, who) {
        (Optional, Who::Owner | Who::KeyEnabled) => Sees,
        // The optional user is `None` for every failure: the share is then unreadable.
        (Optional, Who::Other | Who::AdminOn | Who::AdminOff) => pick(who, other, admin_on, admin_off),
        (Optional, _) => Err(401, E_INVALID_TOKEN),
        (_, Who::KeyDisabled) => Err(403, E_API_KEY_NOT_ALLOWED),
        (Current, Who::KeyEnabled) => Err(403, "A human session is required."),
        (Current, Who::Pending | Who::Owner) => Mine,
        (_, Who::Pending) if unauthenticated.is_none() => Err(401, E_PROHIBITED),
        (Admin, Who::Owner | Who::KeyEnabled | Who::Other) => PROHIBITED,
        (_, Who::Owner | Who::KeyEnabled) => Sees,
        _ => match unauthenticated {
            Some(detail) => Err(401, detail),
            None => pick(who, other, admin_on, admin_off),
        },
    }
}

fn pick(who: Who, other: Want, admin_on: Want, admin_off: Want) -> Want {
    match who {
        Who::AdminOn => admin_on,
        Who::AdminOff => admin_off,
        _ => other,
    }
}

/// The owner's things one case may use up (delete, archive, move).
struct Seed {
    chat: String,
    share: String,
    folder: String,
}

const CHAT_MESSAGE: &str = "m1";

async fn seed(server: &Server, owner: &str) -> Seed {
    let folder = server.post("/api/v1/folders/", owner, json!({"name": format!("{MARKER} folder {}", unique())})).await;
    assert_eq!(folder.status, 200, "folder: {}", folder.body);
    let chat = server
        .post(
            "/api/v1/chats/new",
            owner,
            json!({"chat": {"title": format!("{MARKER} title"), "models": ["m"], "history": {"messages": {CHAT_MESSAGE: {
                "id": CHAT_MESSAGE, "parentId": null, "childrenIds": [], "role": "user",
                "content": format!("{MARKER} content"), "timestamp": 1700000000}}, "currentId": CHAT_MESSAGE}}}),
        )
        .await;
    assert_eq!(chat.status, 200, "chat: {}", chat.body);
    let chat = chat.body["id"].as_str().unwrap_or_default().to_owned();
    let shared = server.post(&format!("/api/v1/chats/{chat}/share"), owner, json!({})).await;
    assert_eq!(shared.status, 200, "share: {}", shared.body);
    Seed {
        chat,
        share: shared.body["share_id"].as_str().unwrap_or_default().to_owned(),
        folder: folder.body["id"].as_str().unwrap_or_default().to_owned(),
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// A server with an owner (and their data), the callers' credentials, and the owner's API
/// key in `api_key`.
struct World {
    server: Server,
    owner: String,
    owner_id: String,
    admin: String,
    other: String,
    pending: String,
    stamp: String,
}

impl World {
    async fn new(vars: &[(&str, &str)]) -> Self {
        let server = Server::start_with(vars).await;
        let (admin, owner, owner_id) = server.admin_and_user().await;
        let (other, _) = server.add_user(&admin, "Other", "other@example.com").await;
        let pending = server
            .post("/api/v1/auths/add", &admin, json!({"name": "Pend", "email": "pending@example.com", "password": "p", "role": "pending"}))
            .await;
        assert_eq!(pending.status, 200, "{}", pending.body);
        let pending = pending.body["token"].as_str().unwrap_or_default().to_owned();
        let stamp = server.rows("SELECT session_stamp FROM auth WHERE id = ?", vec![owner_id.clone().into()]).await;
        let stamp = stamp[0][0].as_str().unwrap_or_default().to_owned();
        server
            .db()
            .await
            .execute(
                "INSERT INTO api_key (id, user_id, key, created_at, updated_at) VALUES ('k1', ?1, 'sk-owner-key', 0, 0)",
                vec![libsql::Value::from(owner_id.clone())],
            )
            .await
            .unwrap_or_else(|error| panic!("insert api key: {error}"));
        Self { server, owner, owner_id, admin, other, pending, stamp }
    }

    /// The `Authorization` value `who` sends (none for `Nobody`).
    fn credential(&self, who: Who) -> Option<String> {
        let now = unique() as i64 / 1_000_000_000;
        let claims = |exp: i64, stamp: &str| {
            let value = json!({"id": self.owner_id, "typ": "session", "session_stamp": stamp, "iat": now, "exp": exp});
            value.as_object().cloned().unwrap_or_default()
        };
        Some(match who {
            Who::Nobody => return None,
            Who::Malformed => "not-a-jwt".to_owned(),
            Who::BadSignature => jwt::encode(&claims(now + 3600, &self.stamp), "not-the-secret"),
            Who::Expired => jwt::encode(&claims(now - 10, &self.stamp), SECRET),
            Who::WrongStamp => jwt::encode(&claims(now + 3600, "stale-stamp"), SECRET),
            Who::Pending => self.pending.clone(),
            Who::Other => self.other.clone(),
            Who::Owner => self.owner.clone(),
            Who::AdminOn | Who::AdminOff => self.admin.clone(),
            Who::KeyDisabled | Who::KeyEnabled => "sk-owner-key".to_owned(),
        })
    }

    /// Runs every row for `who`; returns the failures.
    async fn run(&self, who: Who) -> Vec<String> {
        let mut failures = Vec::new();
        for row in table() {
            let (method, template, body, ..) = row;
            let seed = seed(&self.server, &self.owner).await;
            let path = template
                .replace("{chat}", &seed.chat)
                .replace("{msg}", CHAT_MESSAGE)
                .replace("{share}", &seed.share)
                .replace("{folder}", &seed.folder)
                .replace("{owner}", &self.owner_id);
            let reply = self.server.send(method, &path, self.credential(who).as_deref(), body.map(|make| make())).await;
            let want = expected(&row, who);
            let text = reply.body.to_string();
            let case = format!("{who:?} {method} {template}");
            match want {
                Err(status, detail) if reply.status != status || reply.body != json!({"detail": detail}) => {
                    failures.push(format!("{case}: want {status} {detail:?}, got {} {text:.200}", reply.status));
                }
                Sees | Mine if reply.status != 200 => failures.push(format!("{case}: want 200, got {} {text:.200}", reply.status)),
                _ => {}
            }
            if !matches!(want, Sees) && text.contains(MARKER) {
                failures.push(format!("{case}: the owner's data leaked: {text:.300}"));
            }
        }
        failures
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_spec_says() {
    let world = World::new(&[]).await;
    let mut failures = Vec::new();
    for who in [
        Who::Nobody,
        Who::Malformed,
        Who::BadSignature,
        Who::Expired,
        Who::WrongStamp,
        Who::Pending,
        Who::Other,
        Who::AdminOn,
        Who::Owner,
        Who::KeyDisabled,
    ] {
        failures.extend(world.run(who).await);
    }
    // API keys on (config overrides the variable) with the permission for non-admins.
    for (key, value) in [("auth.enable_api_keys", "true"), ("user.permissions", r#"{"features":{"api_keys":true}}"#)] {
        world
            .server
            .db()
            .await
            .execute(
                "INSERT INTO config (key, value, updated_at) VALUES (?1, ?2, 0) \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                vec![libsql::Value::from(key.to_owned()), value.to_owned().into()],
            )
            .await
            .unwrap_or_else(|error| panic!("config: {error}"));
    }
    failures.extend(world.run(Who::KeyEnabled).await);
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn admins_without_admin_chat_access_see_no_other_users_chats() {
    let world = World::new(&[("enable_admin_chat_access", "false")]).await;
    let failures = world.run(Who::AdminOff).await;
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
