//! Share links: creating and refreshing snapshots, who may open them (owner, admins, grants,
//! anonymous viewers, live `continue` mode), managing their grants, listing and removing
//! them, with assertions on `shared_chat`, `access_grant` and `chat.share_id`.

use chat_core::error::{E_INVALID_TOKEN, E_NOT_FOUND, E_PROHIBITED};
use integration_tests::Server;
use serde_json::{Value, json};

const AUDIENCE: &str = "You do not have permission to share with the requested audience";

fn sample_chat(title: &str) -> Value {
    json!({"chat": {
        "title": title, "models": ["m"], "params": {"temperature": 0.5}, "tool_ids": ["t"],
        "history": {"messages": {
            "a": {"id": "a", "parentId": null, "childrenIds": ["b"], "role": "user", "content": "hi", "timestamp": 1700000000},
            "b": {"id": "b", "parentId": "a", "childrenIds": [], "role": "assistant", "content": "hello", "model": "m",
                  "done": true, "timestamp": 1700000001, "meta": {"private": true}}
        }, "currentId": "b"},
        "messages": [], "timestamp": 1700000000000u64
    }, "variables": {"secret": "v"}})
}

async fn create(server: &Server, token: &str, title: &str) -> String {
    let reply = server.post("/api/v1/chats/new", token, sample_chat(title)).await;
    assert_eq!(reply.status, 200, "create failed: {}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

async fn share(server: &Server, token: &str, id: &str, body: Value) -> Value {
    let reply = server.post(&format!("/api/v1/chats/{id}/share"), token, body).await;
    assert_eq!(reply.status, 200, "share failed: {}", reply.body);
    reply.body
}

async fn exec(server: &Server, sql: &str, params: Vec<libsql::Value>) {
    server.db().await.execute(sql, params).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Overrides default user permissions through Open WebUI's `config` table.
async fn set_permissions(server: &Server, permissions: Value) {
    exec(
        server,
        "INSERT INTO config (key, value, updated_at) VALUES ('user.permissions', ?, 0) \
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        vec![permissions.to_string().into()],
    )
    .await;
}

async fn set_grants(server: &Server, token: &str, id: &str, body: Value) -> Value {
    let reply = server.post(&format!("/api/v1/chats/shared/{id}/access/update"), token, body).await;
    assert_eq!(reply.status, 200, "access update failed: {}", reply.body);
    reply.body
}

fn grant(principal_type: &str, principal_id: &str) -> Value {
    json!({"principal_type": principal_type, "principal_id": principal_id, "permission": "read"})
}

#[tokio::test]
async fn share_snapshots_refreshes_and_keeps_its_mode() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let id = create(&server, &alice, "Plans").await;
    let before = server.get(&format!("/api/v1/chats/{id}"), &alice).await.body;

    let shared = share(&server, &alice, &id, json!({})).await;
    let token = shared["share_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(token.len(), 36);
    let mut expected = before.clone();
    expected["share_id"] = json!(token);
    expected["chat"].as_object_mut().map(|chat| chat.remove("share_mode"));
    assert_eq!(shared, expected, "the owner's chat with its new share_id; updated_at unchanged");
    let row = server
        .rows("SELECT id, chat_id, user_id, title, json_extract(chat, '$.share_mode'), created_at = updated_at FROM shared_chat", vec![])
        .await;
    assert_eq!(row, vec![vec![json!(token), json!(id), json!(alice_id), json!("Plans"), Value::Null, json!(1)]]);
    let snapshot: Value = serde_json::from_str(server.rows("SELECT chat FROM shared_chat", vec![]).await[0][0].as_str().unwrap_or("{}"))
        .unwrap_or_default();
    let keys: Vec<&str> = snapshot.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(keys.last(), Some(&"share_mode"), "share_mode is appended to the snapshot");
    assert_eq!(snapshot["history"], before["chat"]["history"]);
    assert_eq!(server.rows("SELECT share_id FROM chat WHERE id = ?", vec![id.clone().into()]).await, vec![vec![json!(token)]]);
    assert_eq!(server.rows("SELECT COUNT(*) FROM access_grant", vec![]).await, vec![vec![json!(0)]], "a new share has no grants");

    // Re-sharing re-snapshots under the same token; the mode stays unless the body sets it.
    server.post(&format!("/api/v1/chats/{id}"), &alice, json!({"chat": {"title": "Plans v2"}})).await;
    exec(&server, "UPDATE shared_chat SET updated_at = 5", vec![]).await;
    let again = share(&server, &alice, &id, json!({"share_mode": "continue"})).await;
    assert_eq!(again["share_id"], json!(token));
    assert_eq!(again["title"], "Plans v2");
    let mode = "SELECT title, json_extract(chat, '$.share_mode'), updated_at > 5, (SELECT COUNT(*) FROM shared_chat) FROM shared_chat";
    assert_eq!(server.rows(mode, vec![]).await, vec![vec![json!("Plans v2"), json!("continue"), json!(1), json!(1)]]);
    share(&server, &alice, &id, json!({})).await;
    assert_eq!(server.rows(mode, vec![]).await[0][1], "continue", "an absent share_mode keeps the previous one");
    server.send("POST", &format!("/api/v1/chats/{id}/share"), Some(&alice), None).await;
    assert_eq!(server.rows(mode, vec![]).await[0][1], "continue", "so does no body at all");
    share(&server, &alice, &id, json!({"share_mode": null})).await;
    assert_eq!(server.rows(mode, vec![]).await[0][1], Value::Null);

    // A share_id whose row is gone gets a fresh share.
    exec(&server, "DELETE FROM shared_chat", vec![]).await;
    let fresh = share(&server, &alice, &id, json!({"share_mode": "continue"})).await;
    assert_ne!(fresh["share_id"], json!(token));
    assert_eq!(server.rows("SELECT id, json_extract(chat, '$.share_mode') FROM shared_chat", vec![]).await, vec![vec![fresh["share_id"].clone(), json!("continue")]]);
}

#[tokio::test]
async fn share_rejects_bad_input_and_other_peoples_chats() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let id = create(&server, &alice, "Mine").await;
    let path = format!("/api/v1/chats/{id}/share");

    let bad_mode = server.post(&path, &alice, json!({"share_mode": "public"})).await;
    assert_eq!(bad_mode.status, 422);
    assert_eq!(
        bad_mode.body,
        json!({"detail": [{"type": "literal_error", "loc": ["body", "share_mode"], "msg": "Input should be 'continue'",
                           "input": "public", "ctx": {"expected": "'continue'"}}]})
    );
    assert_eq!(server.post(&path, &alice, json!([1])).await.body["detail"][0]["type"], "model_attributes_type");
    assert_eq!(server.send_raw("POST", &path, None, "{").await.body["detail"][0]["type"], "json_invalid");
    server.send("POST", &path, None, Some(json!({}))).await.assert_error(401, "Not authenticated");
    server.post(&path, &bob, json!({})).await.assert_error(401, E_PROHIBITED);
    server.post("/api/v1/chats/nope/share", &alice, json!({})).await.assert_error(401, E_PROHIBITED);
    server.post("/api/v1/chats/x'%20OR%201=1--/share", &alice, json!({})).await.assert_error(401, E_PROHIBITED);
    server.post(&path, &admin, json!({})).await.assert_error(401, E_PROHIBITED);
    server.send("DELETE", &path, Some(&bob), None).await.assert_error(401, E_PROHIBITED);
    assert_eq!(server.rows("SELECT COUNT(*) FROM shared_chat", vec![]).await, vec![vec![json!(0)]]);

    // Without chat.share a user may not share; admins always may.
    set_permissions(&server, json!({"chat": {"share": false}})).await;
    server.post(&path, &alice, json!({})).await.assert_error(401, E_PROHIBITED);
    let admin_chat = create(&server, &admin, "Admin's").await;
    share(&server, &admin, &admin_chat, json!({})).await;
    assert_eq!(server.rows("SELECT chat_id FROM shared_chat", vec![]).await, vec![vec![json!(admin_chat)]]);
    assert_eq!(server.rows("SELECT share_id FROM chat WHERE id = ?", vec![id.into()]).await, vec![vec![Value::Null]]);
}

#[tokio::test]
async fn who_may_open_a_share_link() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, bob_id) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let (carol, carol_id) = server.add_user(&admin, "Carol", "carol@example.com").await;
    let id = create(&server, &alice, "Shared").await;
    let token = share(&server, &alice, &id, json!({})).await["share_id"].as_str().unwrap_or_default().to_owned();
    let link = format!("/api/v1/chats/share/{token}");

    // Owner: the snapshot model (token as id, no meta/variables/folder, not live).
    let owner_view = server.get(&link, &alice).await;
    assert_eq!(owner_view.status, 200, "{}", owner_view.body);
    let body = &owner_view.body;
    assert_eq!((body["id"].clone(), body["share_id"].clone(), body["user_id"].clone()), (json!(token), json!(token), json!(alice_id)));
    assert_eq!(
        (body["meta"].clone(), body["variables"].clone(), body["pinned"].clone(), body["folder_id"].clone(), body["current_message_id"].clone()),
        (json!({}), json!({}), json!(false), Value::Null, Value::Null)
    );
    assert_eq!(body["chat"]["share_mode"], Value::Null);
    assert_eq!(body["chat"]["params"], json!({"temperature": 0.5}), "the owner keeps owner-only keys");
    assert_eq!(body["chat"]["history"]["messages"]["b"]["meta"], json!({"private": true}));
    assert_eq!(server.get(&link, &admin).await.status, 200, "admins may open any link");

    // No grants yet: nobody else.
    server.get(&link, &bob).await.assert_error(401, E_PROHIBITED);
    server.send("GET", &link, None, None).await.assert_error(401, E_INVALID_TOKEN);
    server.send("GET", &link, Some("garbage"), None).await.assert_error(401, E_INVALID_TOKEN);

    // A user grant: Bob sees the viewer projection.
    set_grants(&server, &alice, &id, json!({"access_grants": [grant("user", &bob_id)]})).await;
    let bob_view = server.get(&link, &bob).await;
    assert_eq!(bob_view.status, 200, "{}", bob_view.body);
    assert!(bob_view.body["chat"].get("params").is_none() && bob_view.body["chat"].get("tool_ids").is_none());
    assert_eq!(bob_view.body["chat"]["history"]["messages"]["a"]["user"], json!({"id": alice_id, "name": "Alice"}));
    assert!(bob_view.body["chat"]["history"]["messages"]["b"].get("meta").is_none(), "message meta only for its author");
    assert_eq!(bob_view.body["chat"]["share_mode"], Value::Null, "a read grant on a plain share is not live");
    server.get(&link, &carol).await.assert_error(401, E_PROHIBITED);

    // user:* and anyone:* need permissions that are off by default.
    let everyone = json!({"access_grants": [grant("user", "*")]});
    server.post(&format!("/api/v1/chats/shared/{id}/access/update"), &alice, everyone.clone()).await.assert_error(403, AUDIENCE);
    let anyone = json!({"access_grants": [grant("anyone", "*")]});
    server.post(&format!("/api/v1/chats/shared/{id}/access/update"), &alice, anyone.clone()).await.assert_error(403, AUDIENCE);
    assert_eq!(server.get(&link, &bob).await.status, 200, "a refused change leaves the grants alone");
    set_permissions(&server, json!({"sharing": {"public_chats": true, "open_chats": true}})).await;
    set_grants(&server, &alice, &id, everyone).await;
    assert_eq!(server.get(&link, &carol).await.status, 200);
    server.send("GET", &link, None, None).await.assert_error(401, E_INVALID_TOKEN);
    set_grants(&server, &alice, &id, anyone).await;
    let anonymous = server.send("GET", &link, None, None).await;
    assert_eq!(anonymous.status, 200);
    assert!(anonymous.body["chat"]["history"]["messages"]["b"].get("meta").is_none());
    assert_eq!(anonymous.body["variables"], json!({}));
    assert_eq!(server.get(&link, &carol).await.status, 200, "anyone:* opens it for signed-in users too");

    // Group grants reach members of child groups (inherited groups).
    exec(&server, "INSERT INTO \"group\" (id, user_id, name, permissions, created_at, updated_at, parent_group_id) VALUES \
         ('team', ?, 'Team', '{}', 0, 0, NULL), ('sub', ?, 'Sub', '{}', 0, 0, 'team')", vec![alice_id.clone().into(), alice_id.clone().into()]).await;
    exec(&server, "INSERT INTO group_member (id, group_id, user_id, created_at, updated_at) VALUES ('m1', 'sub', ?, 0, 0)", vec![carol_id.into()]).await;
    set_grants(&server, &alice, &id, json!({"access_grants": [grant("group", "team")]})).await;
    assert_eq!(server.get(&link, &carol).await.status, 200, "Carol is in a child group of team");
    server.get(&link, &bob).await.assert_error(401, E_PROHIBITED);

    // Unknown tokens; admins may use a chat id instead.
    server.get("/api/v1/chats/share/nope", &alice).await.assert_error(401, E_NOT_FOUND);
    server.send("GET", "/api/v1/chats/share/nope", None, None).await.assert_error(401, E_NOT_FOUND);
    server.get(&format!("/api/v1/chats/share/{id}"), &alice).await.assert_error(401, E_NOT_FOUND);
    let by_id = server.get(&format!("/api/v1/chats/share/{id}"), &admin).await;
    assert_eq!((by_id.status, by_id.body["id"].clone(), by_id.body["chat"]["share_mode"].clone()), (200, json!(id), Value::Null));
    assert_eq!(by_id.body["variables"], json!({}));
}

#[tokio::test]
async fn continue_mode_is_live_for_writers_only() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, bob_id) = server.add_user(&admin, "Bob", "bob@example.com").await;
    set_permissions(&server, json!({"sharing": {"open_chats": true}})).await;
    let id = create(&server, &alice, "Live").await;
    let token = share(&server, &alice, &id, json!({"share_mode": "continue"})).await["share_id"].as_str().unwrap_or_default().to_owned();
    set_grants(&server, &alice, &id, json!({"access_grants": [grant("user", &bob_id), grant("anyone", "*")]})).await;
    server.post(&format!("/api/v1/chats/{id}"), &alice, json!({"chat": {"title": "Live, edited"}})).await;
    let link = format!("/api/v1/chats/share/{token}");

    // Bob has a read grant on a continue share: he may write the chat, so he sees it live.
    let live = server.get(&link, &bob).await;
    assert_eq!(live.status, 200);
    assert_eq!((live.body["id"].clone(), live.body["title"].clone(), live.body["chat"]["share_mode"].clone()), (json!(id), json!("Live, edited"), json!("continue")));
    assert_eq!(live.body["share_id"], json!(token));
    // Anonymous viewers and the admin (read-only access) get the snapshot.
    let anonymous = server.send("GET", &link, None, None).await;
    assert_eq!((anonymous.body["id"].clone(), anonymous.body["title"].clone(), anonymous.body["chat"]["share_mode"].clone()), (json!(token), json!("Live"), Value::Null));
    let admin_view = server.get(&link, &admin).await;
    assert_eq!((admin_view.body["id"].clone(), admin_view.body["chat"]["share_mode"].clone()), (json!(token), Value::Null));
    // The owner sees her chat live too.
    assert_eq!(server.get(&link, &alice).await.body["chat"]["share_mode"], "continue");

    // Turning continue off re-copies the live chat into the snapshot (without a new updated_at).
    exec(&server, "UPDATE shared_chat SET updated_at = 7", vec![]).await;
    set_grants(&server, &alice, &id, json!({"access_grants": [grant("user", &bob_id)], "share_mode": null})).await;
    assert_eq!(
        server.rows("SELECT title, json_extract(chat, '$.share_mode'), json_extract(chat, '$.title'), updated_at FROM shared_chat", vec![]).await,
        vec![vec![json!("Live, edited"), Value::Null, json!("Live, edited"), json!(7)]]
    );
    let snapshot = server.get(&link, &bob).await;
    assert_eq!((snapshot.body["id"].clone(), snapshot.body["title"].clone()), (json!(token), json!("Live, edited")));
}

#[tokio::test]
async fn managing_grants() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, bob_id) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let id = create(&server, &alice, "Grants").await;
    let update = format!("/api/v1/chats/shared/{id}/access/update");
    let access = format!("/api/v1/chats/shared/{id}/access");
    assert_eq!(server.get(&access, &alice).await.body, json!([]));

    // Not shared yet: grants can still be set (they wait for the share); share_mode is ignored.
    let chat_before = server.get(&format!("/api/v1/chats/{id}"), &alice).await.body;
    let answer = set_grants(&server, &alice, &id, json!({"share_mode": "continue", "access_grants": [
        grant("user", &bob_id),
        {"principal_type": "group", "principal_id": "g1", "permission": "write", "id": "mine"},
        grant("user", &bob_id),
        {"principal_type": "anyone", "principal_id": "*", "permission": "write"},
        {"principal_type": "robot", "principal_id": "r", "permission": "read"},
        {"principal_type": "user", "principal_id": "", "permission": "read"},
        {"principal_type": "user", "principal_id": "x'; DROP TABLE access_grant;--", "permission": "read"},
        {"extra": 1}
    ]})).await;
    let mut expected = chat_before.clone();
    expected["chat"].as_object_mut().map(|chat| chat.remove("share_mode"));
    assert_eq!(answer, expected, "the chat as it was");
    let listed = server.get(&access, &alice).await.body;
    let keys: Vec<(Value, Value, Value)> = listed
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| (g["principal_type"].clone(), g["principal_id"].clone(), g["permission"].clone()))
        .collect();
    assert_eq!(
        keys,
        [
            (json!("user"), json!(bob_id), json!("read")),
            (json!("group"), json!("g1"), json!("write")),
            (json!("user"), json!("x'; DROP TABLE access_grant;--"), json!("read"))
        ]
    );
    assert_ne!(listed[1]["id"], "mine", "stored grants get fresh ids");
    assert_eq!(listed[0].as_object().map(|g| g.len()), Some(4));
    assert_eq!(server.rows("SELECT COUNT(*) FROM access_grant WHERE resource_type = 'shared_chat' AND resource_id = ?", vec![id.clone().into()]).await, vec![vec![json!(3)]]);
    assert_eq!(server.rows("SELECT COUNT(*) FROM shared_chat", vec![]).await, vec![vec![json!(0)]]);

    // Replacing is total; the admin may manage anyone's share, others get 404.
    set_grants(&server, &admin, &id, json!({"access_grants": []})).await;
    assert_eq!(server.get(&access, &admin).await.body, json!([]));
    server.post(&update, &bob, json!({"access_grants": []})).await.assert_error(404, E_NOT_FOUND);
    server.get(&access, &bob).await.assert_error(404, E_NOT_FOUND);
    server.get("/api/v1/chats/shared/nope/access", &alice).await.assert_error(404, E_NOT_FOUND);

    // Group and user grants can be switched off; validation errors come first.
    set_permissions(&server, json!({"access_grants": {"allow_users": false, "allow_groups": false}})).await;
    server.post(&update, &alice, json!({"access_grants": [grant("user", &bob_id)]})).await.assert_error(403, AUDIENCE);
    server.post(&update, &alice, json!({"access_grants": [grant("group", "g")]})).await.assert_error(403, AUDIENCE);
    set_grants(&server, &admin, &id, json!({"access_grants": [grant("group", "g"), grant("anyone", "*")]})).await;
    assert_eq!(server.get(&access, &alice).await.body.as_array().map(Vec::len), Some(2), "admins may grant any audience");
    let missing = server.post(&update, &alice, json!({})).await;
    assert_eq!(missing.body, json!({"detail": [{"type": "missing", "loc": ["body", "access_grants"], "msg": "Field required", "input": {}}]}));
    let wrong = server.post(&update, &alice, json!({"access_grants": [1, {}], "share_mode": "x"})).await;
    let kinds: Vec<(Value, Value)> = wrong.body["detail"].as_array().into_iter().flatten().map(|e| (e["type"].clone(), e["loc"].clone())).collect();
    assert_eq!(kinds, [(json!("dict_type"), json!(["body", "access_grants", 0])), (json!("literal_error"), json!(["body", "share_mode"]))]);
    assert_eq!(server.post(&update, &alice, json!({"access_grants": "all"})).await.body["detail"][0]["type"], "list_type");
    server.send("POST", &update, None, Some(json!({"access_grants": []}))).await.assert_error(401, "Not authenticated");
    assert_eq!(server.send("POST", &update, Some(&alice), None).await.body["detail"][0]["loc"], json!(["body"]));
    assert_eq!(server.get(&access, &alice).await.body.as_array().map(Vec::len), Some(2), "nothing changed");
}

#[tokio::test]
async fn admin_without_admin_chat_access() {
    let server = Server::start_with(&[("enable_admin_chat_access", "false")]).await;
    let (admin, alice, _) = server.admin_and_user().await;
    let id = create(&server, &alice, "Private").await;
    let token = share(&server, &alice, &id, json!({})).await["share_id"].as_str().unwrap_or_default().to_owned();
    server.get(&format!("/api/v1/chats/share/{token}"), &admin).await.assert_error(401, E_PROHIBITED);
    server.get(&format!("/api/v1/chats/share/{id}"), &admin).await.assert_error(401, E_NOT_FOUND);
    server.get(&format!("/api/v1/chats/shared/{id}/access"), &admin).await.assert_error(404, E_NOT_FOUND);
    server.post(&format!("/api/v1/chats/shared/{id}/access/update"), &admin, json!({"access_grants": []})).await.assert_error(404, E_NOT_FOUND);
}

#[tokio::test]
async fn unsharing_removes_snapshots_and_grants() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, bob_id) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let first = create(&server, &alice, "One").await;
    let second = create(&server, &alice, "Two").await;
    let bobs = create(&server, &bob, "Bob's").await;
    let first_token = share(&server, &alice, &first, json!({})).await["share_id"].as_str().unwrap_or_default().to_owned();
    share(&server, &alice, &second, json!({})).await;
    share(&server, &bob, &bobs, json!({})).await;
    for (token, chat) in [(&alice, &first), (&alice, &second), (&bob, &bobs)] {
        set_grants(&server, token, chat, json!({"access_grants": [grant("user", &bob_id)]})).await;
    }

    let one = server.send("DELETE", &format!("/api/v1/chats/{first}/share"), Some(&alice), None).await;
    assert_eq!((one.status, one.body.clone()), (200, json!(true)));
    assert_eq!(server.rows("SELECT share_id FROM chat WHERE id = ?", vec![first.clone().into()]).await, vec![vec![Value::Null]]);
    assert_eq!(server.rows("SELECT COUNT(*) FROM shared_chat WHERE chat_id = ?", vec![first.clone().into()]).await, vec![vec![json!(0)]]);
    assert_eq!(server.rows("SELECT COUNT(*) FROM access_grant WHERE resource_id = ?", vec![first.clone().into()]).await, vec![vec![json!(0)]]);
    server.get(&format!("/api/v1/chats/share/{first_token}"), &bob).await.assert_error(401, E_NOT_FOUND);
    let again = server.send("DELETE", &format!("/api/v1/chats/{first}/share"), Some(&alice), None).await;
    assert_eq!(again.body, json!(true), "unsharing an unshared chat is fine");

    let all = server.send("DELETE", "/api/v1/chats/share/all", Some(&alice), None).await;
    assert_eq!((all.status, all.body.clone()), (200, json!(true)));
    assert_eq!(server.rows("SELECT chat_id FROM shared_chat", vec![]).await, vec![vec![json!(bobs)]], "Bob's share is untouched");
    assert_eq!(server.rows("SELECT resource_id FROM access_grant", vec![]).await, vec![vec![json!(bobs)]]);
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat WHERE share_id IS NOT NULL", vec![]).await, vec![vec![json!(1)]]);
    server.send("DELETE", "/api/v1/chats/share/all", None, None).await.assert_error(401, "Not authenticated");
    assert_eq!(server.send("PUT", "/api/v1/chats/share/all", Some(&alice), None).await.status, 405);
}

#[tokio::test]
async fn listing_my_shares() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let mut shared = Vec::new();
    for title in ["Banana", "apple", "Cherry"] {
        let id = create(&server, &alice, title).await;
        let token = share(&server, &alice, &id, json!({})).await["share_id"].as_str().unwrap_or_default().to_owned();
        shared.push((id, token));
    }
    create(&server, &alice, "Not shared").await;
    let bobs = create(&server, &bob, "Bob apple").await;
    share(&server, &bob, &bobs, json!({})).await;
    for (index, (_, token)) in shared.iter().enumerate() {
        exec(&server, "UPDATE shared_chat SET updated_at = ?, created_at = 100 WHERE id = ?", vec![(1000 + index as i64).into(), token.clone().into()]).await;
    }
    let titles = |reply: &Value| -> Vec<String> {
        reply.as_array().into_iter().flatten().filter_map(|item| item["title"].as_str().map(str::to_owned)).collect()
    };

    let list = server.get("/api/v1/chats/shared", &alice).await;
    assert_eq!(list.status, 200);
    assert_eq!(titles(&list.body), ["Cherry", "apple", "Banana"], "newest snapshot first");
    let (cherry_id, cherry_token) = &shared[2];
    assert_eq!(
        list.body[0],
        json!({"id": cherry_id, "chat_id": cherry_id, "title": "Cherry", "share_id": cherry_token, "updated_at": 1002, "created_at": 100})
    );
    assert_eq!(titles(&server.get("/api/v1/chats/shared?query=APP", &alice).await.body), ["apple"], "title filter, case-insensitive, own shares only");
    assert_eq!(titles(&server.get("/api/v1/chats/shared?order_by=title&direction=asc", &alice).await.body), ["Banana", "Cherry", "apple"]);
    assert_eq!(titles(&server.get("/api/v1/chats/shared?order_by=updated_at&direction=ASC", &alice).await.body), ["Banana", "apple", "Cherry"]);
    assert_eq!(titles(&server.get("/api/v1/chats/shared?query=a&order_by=title", &alice).await.body), ["Banana", "apple"], "insertion order without both");
    assert_eq!(server.get("/api/v1/chats/shared?page=2", &alice).await.body, json!([]));
    assert_eq!(titles(&server.get("/api/v1/chats/shared?page=0", &alice).await.body).len(), 3);
    assert_eq!(server.get("/api/v1/chats/shared?query=%25'%20OR%201=1--", &alice).await.body, json!([]));
    server.get("/api/v1/chats/shared?order_by=chat_id;DROP&direction=asc", &alice).await.assert_error(400, "Invalid order_by field");
    server.get("/api/v1/chats/shared?order_by=title&direction=up", &alice).await.assert_error(400, "Invalid direction for ordering");
    assert_eq!(server.get("/api/v1/chats/shared?page=x", &alice).await.body["detail"][0]["type"], "int_parsing");
    assert_eq!(titles(&server.get("/api/v1/chats/shared", &bob).await.body), ["Bob apple"]);

    // Paging by 60.
    for index in 0..60 {
        exec(&server, "INSERT INTO shared_chat (id, chat_id, user_id, title, chat, created_at, updated_at) \
             SELECT ?, chat_id, user_id, 'bulk', '{}', 1, 1 FROM shared_chat WHERE id = ?", vec![format!("bulk-{index}").into(), cherry_token.clone().into()]).await;
    }
    assert_eq!(server.get("/api/v1/chats/shared", &alice).await.body.as_array().map(Vec::len), Some(60));
    assert_eq!(server.get("/api/v1/chats/shared?page=2", &alice).await.body.as_array().map(Vec::len), Some(3));
}
