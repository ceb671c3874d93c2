//! Per-message writes through the real host: `POST /{id}/messages/{mid}`, `DELETE
//! /{id}/messages/{mid}` and `POST /{id}/messages/{mid}/event`, with the rows, the pending
//! patches and the stored chat JSON checked afterwards.

use chat_core::error::{E_NOT_FOUND, E_PROHIBITED};
use integration_tests::Server;
use serde_json::{Value, json};
use std::time::Instant;

/// The setting that lets message writes leave patches pending (the default, 0, keeps the
/// chat JSON current on every write, for Open WebUI's backend beside us).
const PATCHES: &[(&str, &str)] = &[("message_patch_limit", "64")];

/// a (user) → b (assistant) → c (user) → d (assistant), plus e, a second answer to a.
fn four_turns() -> Value {
    json!({"chat": {
        "title": "Turns", "models": ["m"],
        "history": {"currentId": "d", "messages": {
            "a": {"id": "a", "parentId": null, "childrenIds": ["b", "e"], "role": "user", "content": "hi", "timestamp": 1700000000},
            "b": {"id": "b", "parentId": "a", "childrenIds": ["c"], "role": "assistant", "content": "hello there", "model": "m", "done": true, "timestamp": 1700000001},
            "c": {"id": "c", "parentId": "b", "childrenIds": ["d"], "role": "user", "content": "more", "timestamp": 1700000002},
            "d": {"id": "d", "parentId": "c", "childrenIds": [], "role": "assistant", "content": "sure", "model": "m", "timestamp": 1700000003},
            "e": {"id": "e", "parentId": "a", "childrenIds": [], "role": "assistant", "content": "alt", "model": "m", "timestamp": 1700000004}
        }},
        "messages": []
    }})
}

async fn create(server: &Server, token: &str, body: Value) -> String {
    let reply = server.post("/api/v1/chats/new", token, body).await;
    assert_eq!(reply.status, 200, "create failed: {}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

/// The stored chat JSON text, exactly as in the database.
async fn blob(server: &Server, id: &str) -> String {
    let rows = server.rows("SELECT chat FROM chat WHERE id = ?", vec![id.into()]).await;
    rows[0][0].as_str().unwrap_or_default().to_owned()
}

async fn set_updated_at(server: &Server, id: &str, value: i64) {
    server.rows("UPDATE chat SET updated_at = ? WHERE id = ?", vec![value.into(), id.into()]).await;
}

async fn updated_at(server: &Server, id: &str) -> i64 {
    server.rows("SELECT updated_at FROM chat WHERE id = ?", vec![id.into()]).await[0][0].as_i64().unwrap_or_default()
}

async fn pending(server: &Server, id: &str) -> usize {
    server.rows("SELECT message_id FROM chatsvc_message_patch WHERE chat_id = ?", vec![id.into()]).await.len()
}

async fn row(server: &Server, id: &str, message: &str, column: &str) -> Value {
    let rows = server
        .rows(&format!("SELECT {column} FROM chat_message WHERE id = ?"), vec![format!("{id}-{message}").into()])
        .await;
    rows.first().map_or(Value::Null, |row| row[0].clone())
}

async fn messages_of(server: &Server, token: &str, id: &str) -> Value {
    let reply = server.get(&format!("/api/v1/chats/{id}"), token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["chat"]["history"].clone()
}

#[tokio::test]
async fn upsert_writes_the_row_and_a_patch_never_the_blob() {
    let server = Server::start_with(PATCHES).await;
    let (_admin, user, user_id) = server.admin_and_user().await;
    let id = create(&server, &user, four_turns()).await;
    set_updated_at(&server, &id, 1000).await;
    let before = blob(&server, &id).await;

    let reply = server.post(&format!("/api/v1/chats/{id}/messages/b"), &user, json!({"content": "edited\u{0}!"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["chat"]["history"]["messages"]["b"]["content"], "edited!", "NUL bytes are stripped");
    assert_eq!(reply.body["chat"]["history"]["currentId"], "d");
    assert_eq!(reply.body["current_message_id"], "d");
    assert_eq!(reply.body["user_id"], user_id.as_str());
    assert!(reply.body["updated_at"].as_i64().unwrap_or_default() > 1000, "a content upsert bumps updated_at");
    assert_eq!(reply.body["context_usage"], Value::Null);

    assert_eq!(blob(&server, &id).await, before, "the chat JSON is not rewritten");
    assert_eq!(row(&server, &id, "b", "content").await, json!("\"edited!\""));
    assert_eq!(
        server.rows("SELECT patch, is_new FROM chatsvc_message_patch WHERE chat_id = ?", vec![id.clone().into()]).await,
        vec![vec![json!("{\"content\":\"edited!\"}"), json!(0)]]
    );
    assert_eq!(messages_of(&server, &user, &id).await["messages"]["b"]["content"], "edited!");

    // A second write to the same message accumulates into the same patch.
    server.post(&format!("/api/v1/chats/{id}/messages/b"), &user, json!({"content": "again"})).await;
    assert_eq!(pending(&server, &id).await, 1);

    // A full-chat write folds the patches into the blob it writes anyway.
    let renamed = server.post(&format!("/api/v1/chats/{id}"), &user, json!({"chat": {"title": "Renamed"}})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["chat"]["history"]["messages"]["b"]["content"], "again");
    assert_eq!(pending(&server, &id).await, 0);
    let stored: Value = serde_json::from_str(&blob(&server, &id).await).unwrap_or_default();
    assert_eq!(stored["history"]["messages"]["b"]["content"], "again");
    assert_eq!(stored["title"], "Renamed");
}

/// Open WebUI's backend, sharing the database, reads and rewrites only the chat JSON: by
/// default every message write and event must land in it at once, or a pending patch would
/// hide the edit from Open WebUI and later be folded over what Open WebUI wrote since.
#[tokio::test]
async fn by_default_message_writes_keep_the_stored_chat_json_current() {
    let server = Server::start().await;
    let (_admin, user, _) = server.admin_and_user().await;
    let id = create(&server, &user, four_turns()).await;
    let reply = server.post(&format!("/api/v1/chats/{id}/messages/b"), &user, json!({"content": "edited"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    event(&server, &user, &id, "d", json!({"type": "message", "data": {"content": " more"}})).await;
    let created = server.post(&format!("/api/v1/chats/{id}/messages/f"), &user, json!({"content": "new"})).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(pending(&server, &id).await, 0, "no patch left pending");

    // What Open WebUI reads: the stored column, not our API.
    let stored: Value = serde_json::from_str(&blob(&server, &id).await).unwrap_or_default();
    let messages = &stored["history"]["messages"];
    assert_eq!(messages["b"]["content"], "edited");
    assert_eq!(messages["d"]["content"], "sure more");
    assert_eq!(messages["f"]["content"], "new");
    assert_eq!(stored["history"]["currentId"], "f");
    // Our reads agree.
    let ours = messages_of(&server, &user, &id).await;
    assert_eq!(&ours["messages"], messages);
}

#[tokio::test]
async fn upsert_creates_an_absent_message_and_makes_it_current() {
    let server = Server::start_with(PATCHES).await;
    let (_admin, user, _) = server.admin_and_user().await;
    let id = create(&server, &user, four_turns()).await;
    let before = blob(&server, &id).await;
    let reply = server.post(&format!("/api/v1/chats/{id}/messages/new1"), &user, json!({"content": "fresh"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let new = &reply.body["chat"]["history"]["messages"]["new1"];
    let stamp = new["timestamp"].as_i64().unwrap_or_default();
    assert!(stamp > 1700000004);
    assert_eq!(new, &json!({"content": "fresh", "id": "new1", "parentId": null, "childrenIds": [], "role": "assistant", "timestamp": stamp}));
    assert_eq!(reply.body["chat"]["history"]["currentId"], "new1");
    assert_eq!(reply.body["current_message_id"], "new1");
    assert_eq!(blob(&server, &id).await, before);
    assert_eq!(
        server
            .rows("SELECT role, parent_id, content, created_at FROM chat_message WHERE id = ?", vec![format!("{id}-new1").into()])
            .await,
        vec![vec![json!("assistant"), Value::Null, json!("\"fresh\""), json!(stamp)]]
    );
    assert_eq!(server.rows("SELECT current_message_id FROM chat WHERE id = ?", vec![id.clone().into()]).await[0][0], "new1");
}

#[tokio::test]
async fn voice_metadata_rules() {
    let server = Server::start().await;
    let (_admin, user, _) = server.admin_and_user().await;
    let id = create(&server, &user, four_turns()).await;
    let path = format!("/api/v1/chats/{id}/messages/b");
    set_updated_at(&server, &id, 1000).await;

    server.post(&format!("/api/v1/chats/{id}/messages/zz"), &user, json!({"voice": {"url": "x"}})).await.assert_error(404, E_NOT_FOUND);
    assert_eq!(row(&server, &id, "zz", "id").await, Value::Null, "nothing is created for a voice update");
    let reply = server.post(&path, &user, json!({"voice": {"url": "v1"}})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["chat"]["history"]["messages"]["b"]["meta"], json!({"voice": {"url": "v1"}}));
    assert_eq!(reply.body["chat"]["history"]["messages"]["b"]["content"], "hello there");
    assert_eq!(row(&server, &id, "b", "meta").await, json!("{\"voice\":{\"url\":\"v1\"}}"));
    // Voice and content together: content wins the event type, both are stored.
    let both = server.post(&path, &user, json!({"content": "c", "voice": {"url": "v2"}})).await;
    assert_eq!(both.body["chat"]["history"]["messages"]["b"]["meta"], json!({"voice": {"url": "v2"}}));
    assert_eq!(both.body["chat"]["history"]["messages"]["b"]["content"], "c");

    let huge = "x".repeat(100_000);
    server.post(&path, &user, json!({"voice": {"a": huge}})).await.assert_error(400, "Voice metadata is too large");
    server.post(&path, &user, json!({})).await.assert_error(400, "No message changes supplied");
    server.post(&path, &user, json!({"content": null, "voice": null})).await.assert_error(400, "No message changes supplied");
    let typed = server.post(&path, &user, json!({"content": 5, "voice": "v"})).await;
    assert_eq!(typed.status, 422);
    assert_eq!(
        typed.body,
        json!({"detail": [
            {"type": "string_type", "loc": ["body", "content"], "msg": "Input should be a valid string", "input": 5},
            {"type": "dict_type", "loc": ["body", "voice"], "msg": "Input should be a valid dictionary", "input": "v"}
        ]})
    );
    let malformed = server.send_raw("POST", &path, None, "{\"content\":").await;
    assert_eq!((malformed.status, malformed.body["detail"][0]["type"].clone()), (422, json!("json_invalid")));
    server.send("POST", &path, None, Some(json!({"content": "x"}))).await.assert_error(401, "Not authenticated");
    let no_body = server.send("POST", &path, Some(&user), None).await;
    assert_eq!(no_body.body, json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]}));
    assert_eq!(row(&server, &id, "b", "content").await, json!("\"c\""), "failed requests wrote nothing");
}

#[tokio::test]
async fn message_routes_are_owner_or_admin_only() {
    let server = Server::start().await;
    let (admin, user, _) = server.admin_and_user().await;
    let (other, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let id = create(&server, &user, four_turns()).await;
    let before = blob(&server, &id).await;
    for (method, suffix, body) in [
        ("POST", "messages/b", json!({"content": "x"})),
        ("DELETE", "messages/b", Value::Null),
        ("POST", "messages/b/event", json!({"type": "replace", "data": {"content": "x"}})),
    ] {
        let body = (!body.is_null()).then_some(body);
        let path = format!("/api/v1/chats/{id}/{suffix}");
        server.send(method, &path, Some(&other), body.clone()).await.assert_error(401, E_PROHIBITED);
        let unknown = format!("/api/v1/chats/unknown/{suffix}");
        server.send(method, &unknown, Some(&user), body).await.assert_error(401, E_PROHIBITED);
    }
    assert_eq!(blob(&server, &id).await, before);
    assert_eq!(row(&server, &id, "b", "content").await, json!("\"hello there\""));
    assert_eq!(pending(&server, &id).await, 0);

    // Admins may, while admin chat access is on (the default).
    let reply = server.post(&format!("/api/v1/chats/{id}/messages/b"), &admin, json!({"content": "by admin"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let restricted = Server::start_with(&[("enable_admin_chat_access", "false")]).await;
    let (admin, user, _) = restricted.admin_and_user().await;
    let id = create(&restricted, &user, four_turns()).await;
    restricted.post(&format!("/api/v1/chats/{id}/messages/b"), &admin, json!({"content": "x"})).await.assert_error(401, E_PROHIBITED);
    let wrong = restricted.send("PUT", &format!("/api/v1/chats/{id}/messages/b"), Some(&user), None).await;
    assert_eq!(wrong.status, 405);
}

#[tokio::test]
async fn delete_removes_children_and_reparents_grandchildren() {
    let server = Server::start_with(PATCHES).await;
    let (_admin, user, _) = server.admin_and_user().await;
    let id = create(&server, &user, four_turns()).await;
    // A pending patch first: the delete folds it into the blob it rewrites.
    server.post(&format!("/api/v1/chats/{id}/messages/d"), &user, json!({"content": "sure!"})).await;
    set_updated_at(&server, &id, 1000).await;

    let unknown = server.send("DELETE", &format!("/api/v1/chats/{id}/messages/zz"), Some(&user), None).await;
    assert_eq!(unknown.status, 200, "{}", unknown.body);
    assert_eq!(updated_at(&server, &id).await, 1000, "nothing deleted, updated_at unchanged");

    let reply = server.send("DELETE", &format!("/api/v1/chats/{id}/messages/b"), Some(&user), None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let history = &reply.body["chat"]["history"];
    let keys: Vec<&String> = history["messages"].as_object().map(|m| m.keys().collect()).unwrap_or_default();
    assert_eq!(keys, ["a", "d", "e"]);
    assert_eq!(history["messages"]["a"]["childrenIds"], json!(["e", "d"]));
    assert_eq!(history["messages"]["d"]["parentId"], "a");
    assert_eq!(history["messages"]["d"]["content"], "sure!");
    assert_eq!(history["currentId"], "d");
    assert_eq!(reply.body["current_message_id"], "d");
    assert!(updated_at(&server, &id).await > 1000);
    assert_eq!(pending(&server, &id).await, 0);
    let stored: Value = serde_json::from_str(&blob(&server, &id).await).unwrap_or_default();
    assert_eq!(&stored["history"], history);
    let rows = server.rows("SELECT id, parent_id FROM chat_message WHERE chat_id = ? ORDER BY id", vec![id.clone().into()]).await;
    assert_eq!(
        rows,
        vec![vec![json!(format!("{id}-a")), Value::Null], vec![json!(format!("{id}-d")), json!("a")], vec![json!(format!("{id}-e")), json!("a")]]
    );
}

async fn event(server: &Server, token: &str, id: &str, message: &str, body: Value) -> Value {
    let reply = server.post(&format!("/api/v1/chats/{id}/messages/{message}/event"), token, body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

#[tokio::test]
async fn events_persist_each_type_as_open_webui() {
    let server = Server::start_with(PATCHES).await;
    let (_admin, user, _) = server.admin_and_user().await;
    let id = create(&server, &user, four_turns()).await;
    let before = blob(&server, &id).await;
    set_updated_at(&server, &id, 1000).await;

    // status: appended, updated_at untouched; nothing for an unknown message.
    assert_eq!(event(&server, &user, &id, "b", json!({"type": "status", "data": {"description": "x\u{0}y", "done": false}})).await, json!(true));
    event(&server, &user, &id, "b", json!({"type": "status", "data": {"done": true}})).await;
    event(&server, &user, &id, "zz", json!({"type": "status", "data": {"done": true}})).await;
    // files and embeds: new entries first; embeds with replace drops the old ones.
    event(&server, &user, &id, "b", json!({"type": "files", "data": {"files": [{"id": "f1"}]}})).await;
    event(&server, &user, &id, "b", json!({"type": "files", "data": {"files": [{"id": "f2"}]}})).await;
    event(&server, &user, &id, "b", json!({"type": "embeds", "data": {"embeds": ["e1"]}})).await;
    event(&server, &user, &id, "b", json!({"type": "embeds", "data": {"embeds": ["e2"]}})).await;
    // source/citation: appended unless the entry carries a type.
    event(&server, &user, &id, "b", json!({"type": "source", "data": {"source": {"name": "s1"}}})).await;
    event(&server, &user, &id, "b", json!({"type": "citation", "data": {"source": {"name": "s2"}, "type": null}})).await;
    event(&server, &user, &id, "b", json!({"type": "source", "data": {"type": "code_execution", "id": 1}})).await;
    // Not persisted.
    for kind in ["chat:completion", "chat:title", "chat:message", "notification"] {
        assert_eq!(event(&server, &user, &id, "b", json!({"type": kind, "data": {"content": "zzz"}})).await, json!(true));
    }
    assert_eq!(updated_at(&server, &id).await, 1000, "status, files, embeds and sources do not touch updated_at");
    assert_eq!(row(&server, &id, "zz", "id").await, Value::Null);

    let history = messages_of(&server, &user, &id).await;
    let b = &history["messages"]["b"];
    assert_eq!(b["statusHistory"], json!([{"description": "xy", "done": false}, {"done": true}]));
    assert_eq!(b["files"], json!([{"id": "f2"}, {"id": "f1"}]));
    assert_eq!(b["embeds"], json!(["e2", "e1"]));
    assert_eq!(b["sources"], json!([{"source": {"name": "s1"}}, {"source": {"name": "s2"}, "type": null}]));
    assert_eq!(b["content"], "hello there");
    assert_eq!(row(&server, &id, "b", "files").await, json!("[{\"id\":\"f2\"},{\"id\":\"f1\"}]"));
    assert_eq!(row(&server, &id, "b", "status_history").await, json!("[{\"description\":\"xy\",\"done\":false},{\"done\":true}]"));
    event(&server, &user, &id, "b", json!({"type": "embeds", "data": {"embeds": ["e3"], "replace": true}})).await;
    assert_eq!(messages_of(&server, &user, &id).await["messages"]["b"]["embeds"], json!(["e3"]));
    assert_eq!(blob(&server, &id).await, before, "events never rewrite the chat JSON");

    // message: appended to the stored content and touches; ignored for an unknown message.
    assert_eq!(event(&server, &user, &id, "b", json!({"type": "message", "data": {"content": " more"}})).await, json!(true));
    assert!(updated_at(&server, &id).await > 1000);
    assert_eq!(row(&server, &id, "b", "content").await, json!("\"hello there more\""));
    assert_eq!(event(&server, &user, &id, "nope", json!({"type": "message", "data": {"content": "x"}})).await, json!(true));
    assert_eq!(row(&server, &id, "nope", "id").await, Value::Null);
    // replace: sets the content, creating the message, which becomes current.
    set_updated_at(&server, &id, 1000).await;
    event(&server, &user, &id, "r", json!({"type": "replace", "data": {"content": "replaced"}})).await;
    let history = messages_of(&server, &user, &id).await;
    assert_eq!(history["currentId"], "r");
    assert_eq!(history["messages"]["r"]["content"], "replaced");
    assert_eq!(history["messages"]["r"]["role"], "assistant");
    assert!(updated_at(&server, &id).await > 1000);
    // files on an absent message create it too.
    event(&server, &user, &id, "f", json!({"type": "files", "data": {"files": [{"id": "x"}]}})).await;
    assert_eq!(messages_of(&server, &user, &id).await["currentId"], "f");

    // Where Open WebUI's emitter raises, the answer is false and nothing is stored.
    event(&server, &user, &id, "b", json!({"type": "replace", "data": {"content": [{"type": "text", "text": "list"}]}})).await;
    assert_eq!(event(&server, &user, &id, "b", json!({"type": "message", "data": {"content": "x"}})).await, json!(false));
    assert_eq!(event(&server, &user, &id, "b", json!({"type": "message", "data": {"content": [{"type": "text", "text": "!"}]}})).await, json!(true));
    assert_eq!(row(&server, &id, "b", "content").await, json!("[{\"type\":\"text\",\"text\":\"list\"},{\"type\":\"text\",\"text\":\"!\"}]"));
    assert_eq!(event(&server, &user, &id, "c", json!({"type": "message", "data": {"content": 5}})).await, json!(false));
    assert_eq!(event(&server, &user, &id, "b", json!({"type": "files", "data": {"files": "not a list"}})).await, json!(false));
    assert_eq!(event(&server, &user, &id, "b", json!({"type": "embeds", "data": {"embeds": {"a": 1}}})).await, json!(false));
    assert_eq!(messages_of(&server, &user, &id).await["messages"]["b"]["files"], json!([{"id": "f2"}, {"id": "f1"}]));
}

#[tokio::test]
async fn event_body_validation() {
    let server = Server::start().await;
    let (_admin, user, _) = server.admin_and_user().await;
    let id = create(&server, &user, four_turns()).await;
    let path = format!("/api/v1/chats/{id}/messages/b/event");
    let missing = server.post(&path, &user, json!({})).await;
    assert_eq!(
        missing.body,
        json!({"detail": [
            {"type": "missing", "loc": ["body", "type"], "msg": "Field required", "input": {}},
            {"type": "missing", "loc": ["body", "data"], "msg": "Field required", "input": {}}
        ]})
    );
    let typed = server.post(&path, &user, json!({"type": 1, "data": []})).await;
    assert_eq!(typed.status, 422);
    assert_eq!(typed.body["detail"][0]["type"], "string_type");
    assert_eq!(typed.body["detail"][1]["type"], "dict_type");
    let malformed = server.send_raw("POST", &path, None, "[").await;
    assert_eq!((malformed.status, malformed.body["detail"][0]["type"].clone()), (422, json!("json_invalid")));
    assert_eq!(pending(&server, &id).await, 0);
}

/// A chat whose history is one chain of `count` messages.
fn long_chat(count: usize) -> Value {
    let mut messages = serde_json::Map::new();
    for index in 0..count {
        let role = if index % 2 == 0 { "user" } else { "assistant" };
        let parent = if index == 0 { Value::Null } else { json!(format!("m{}", index - 1)) };
        let children = if index + 1 < count { json!([format!("m{}", index + 1)]) } else { json!([]) };
        messages.insert(
            format!("m{index}"),
            json!({"id": format!("m{index}"), "parentId": parent, "childrenIds": children, "role": role,
                   "content": format!("message {index} {}", "lorem ipsum ".repeat(20)), "timestamp": 1700000000 + index}),
        );
    }
    json!({"chat": {"title": "Long", "models": ["m"], "history": {"currentId": format!("m{}", count - 1), "messages": messages}, "messages": []}})
}

/// Times `rounds` writes of one message through `path_of` (POST bodies from `body_of`).
async fn time_writes(server: &Server, token: &str, id: &str, rounds: usize, kind: &str) -> f64 {
    let started = Instant::now();
    for round in 0..rounds {
        let (path, body) = match kind {
            "upsert" => (format!("/api/v1/chats/{id}/messages/m1"), json!({"content": format!("upsert {round}")})),
            _ => (format!("/api/v1/chats/{id}/messages/m1/event"), json!({"type": "replace", "data": {"content": format!("event {round}")}})),
        };
        let reply = server.post(&path, token, body).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    started.elapsed().as_secs_f64() / rounds as f64
}

#[tokio::test]
async fn one_message_write_into_2000_messages_leaves_the_others_alone() {
    let server = Server::start_with(PATCHES).await;
    let (_admin, user, _) = server.admin_and_user().await;
    let big = create(&server, &user, long_chat(2000)).await;
    let small = create(&server, &user, long_chat(10)).await;
    let big_before = blob(&server, &big).await;
    let other_rows = server
        .rows("SELECT id, content, updated_at FROM chat_message WHERE chat_id = ? AND id != ? ORDER BY id", vec![big.clone().into(), format!("{big}-m1").into()])
        .await;

    // Warm both chats up (compiled components, page cache), then measure.
    time_writes(&server, &user, &big, 2, "event").await;
    time_writes(&server, &user, &small, 2, "event").await;
    let rounds = 20;
    let small_upsert = time_writes(&server, &user, &small, rounds, "upsert").await;
    let big_upsert = time_writes(&server, &user, &big, rounds, "upsert").await;
    let small_event = time_writes(&server, &user, &small, rounds, "event").await;
    let big_event = time_writes(&server, &user, &big, rounds, "event").await;
    println!(
        "per write: POST /messages/m1 (answers the whole chat) 2000 msgs {:.2} ms vs 10 msgs {:.2} ms = {:.1}x; \
         /event replace (answers true) {:.2} ms vs {:.2} ms = {:.1}x",
        big_upsert * 1e3,
        small_upsert * 1e3,
        big_upsert / small_upsert,
        big_event * 1e3,
        small_event * 1e3,
        big_event / small_event
    );

    assert_eq!(blob(&server, &big).await, big_before, "the 2,000-message JSON is byte-identical");
    let after = server
        .rows("SELECT id, content, updated_at FROM chat_message WHERE chat_id = ? AND id != ? ORDER BY id", vec![big.clone().into(), format!("{big}-m1").into()])
        .await;
    assert_eq!(after, other_rows, "no other message row was written");
    assert_eq!(pending(&server, &big).await, 1, "42 writes of one message are one patch");
    let history = messages_of(&server, &user, &big).await;
    assert_eq!(history["messages"]["m1"]["content"], format!("event {}", rounds - 1));
    assert_eq!(history["messages"].as_object().map(serde_json::Map::len), Some(2000));
    assert_eq!(history["currentId"], "m1999");

    // More than 64 pending patches: the next message write folds them into the blob.
    for index in 0..65 {
        event(&server, &user, &big, &format!("m{}", 100 + index), json!({"type": "status", "data": {"n": index}})).await;
    }
    assert_eq!(pending(&server, &big).await, 1, "folded at the 65th patch, one written since");
    let stored: Value = serde_json::from_str(&blob(&server, &big).await).unwrap_or_default();
    assert_eq!(stored["history"]["messages"]["m1"]["content"], format!("event {}", rounds - 1));
    assert_eq!(stored["history"]["messages"]["m163"]["statusHistory"], json!([{"n": 63}]));
    assert_eq!(messages_of(&server, &user, &big).await["messages"]["m164"]["statusHistory"], json!([{"n": 64}]));
}
