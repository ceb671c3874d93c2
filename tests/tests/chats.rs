//! The chat routes of the foundation slice, through the real host and components, with
//! assertions on bodies and on the database afterwards.

use chat_core::error::{E_DEFAULT, E_NOT_FOUND, E_PROHIBITED};
use integration_tests::Server;
use serde_json::{Value, json};

fn sample_chat(title: &str) -> Value {
    json!({"chat": {
        "title": title, "models": ["m"],
        "history": {"messages": {
            "a": {"id": "a", "parentId": null, "childrenIds": ["b"], "role": "user", "content": "hi", "timestamp": 1700000000},
            "b": {"id": "b", "parentId": "a", "childrenIds": [], "role": "assistant", "content": "hello there", "model": "m", "done": true, "timestamp": 1700000001}
        }, "currentId": "b"},
        "messages": [], "tags": [], "timestamp": 1700000000000u64
    }})
}

async fn create(server: &Server, token: &str, title: &str) -> Value {
    let reply = server.post("/api/v1/chats/new", token, sample_chat(title)).await;
    assert_eq!(reply.status, 200, "create failed: {}", reply.body);
    reply.body
}

fn id_of(chat: &Value) -> String {
    chat["id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn create_returns_open_webui_shape_and_dual_writes() {
    let server = Server::start().await;
    let (_admin, user, user_id) = server.admin_and_user().await;
    let chat = create(&server, &user, "Hello").await;
    let keys: Vec<&str> = chat.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(
        keys,
        ["id", "user_id", "title", "chat", "updated_at", "created_at", "share_id", "archived", "pinned", "meta",
         "variables", "folder_id", "tasks", "summary", "current_message_id", "context_usage"]
    );
    assert_eq!(chat["user_id"], user_id.as_str());
    assert_eq!(chat["title"], "Hello");
    assert_eq!(chat["current_message_id"], "b");
    assert_eq!((chat["archived"].clone(), chat["pinned"].clone(), chat["meta"].clone()), (json!(false), json!(false), json!({})));
    let a = &chat["chat"]["history"]["messages"]["a"];
    assert_eq!(a["user_id"], user_id.as_str());
    assert_eq!(a["user"], json!({"id": user_id, "name": "Alice"}));
    assert_eq!(chat["chat"]["history"]["messages"]["b"]["user_id"], user_id.as_str());
    assert!(chat["chat"]["history"]["messages"]["b"].get("user").is_none());

    let id = id_of(&chat);
    let rows = server
        .rows("SELECT id, user_id, role, parent_id, content, model_id, done, created_at FROM chat_message WHERE chat_id = ? ORDER BY id", vec![id.clone().into()])
        .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], vec![json!(format!("{id}-a")), json!(user_id), json!("user"), Value::Null, json!("\"hi\""), Value::Null, json!(1), json!(1700000000)]);
    assert_eq!(rows[1][2], "assistant");
    assert_eq!(rows[1][3], "a");
    assert_eq!(rows[1][5], "m");
    let stored = server.rows("SELECT title, current_message_id, last_read_at = updated_at, meta FROM chat WHERE id = ?", vec![id.into()]).await;
    assert_eq!(stored, vec![vec![json!("Hello"), json!("b"), json!(1), json!("{}")]]);
}

#[tokio::test]
async fn create_rejects_bad_bodies_without_writing() {
    let server = Server::start().await;
    let (_admin, user, _) = server.admin_and_user().await;
    let missing = server.post("/api/v1/chats/new", &user, json!({})).await;
    assert_eq!(missing.status, 422);
    assert_eq!(missing.body, json!({"detail": [{"type": "missing", "loc": ["body", "chat"], "msg": "Field required", "input": {}}]}));
    let wrong_type = server.post("/api/v1/chats/new", &user, json!({"chat": "x"})).await;
    assert_eq!(wrong_type.body["detail"][0]["type"], "dict_type");
    let malformed = server.send_raw("POST", "/api/v1/chats/new", None, "{").await;
    assert_eq!(malformed.status, 422, "malformed JSON is 422 even before auth");
    assert_eq!(malformed.body["detail"][0]["type"], "json_invalid");
    assert_eq!(malformed.body["detail"][0]["loc"], json!(["body", 1]));
    let no_body = server.send("POST", "/api/v1/chats/new", Some(&user), None).await;
    assert_eq!(no_body.body, json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]}));
    let bad_title = server.post("/api/v1/chats/new", &user, json!({"chat": {"title": 5}})).await;
    bad_title.assert_error(400, E_DEFAULT);
    server.send("POST", "/api/v1/chats/new", None, Some(json!({}))).await.assert_error(401, "Not authenticated");
    let in_missing_folder = server.post("/api/v1/chats/new", &user, json!({"chat": {}, "folder_id": "nope"})).await;
    in_missing_folder.assert_error(404, E_NOT_FOUND);
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat", vec![]).await, vec![vec![json!(0)]]);
    // NUL bytes, SQL metacharacters and huge titles are stored as text, not executed.
    let odd = server
        .post("/api/v1/chats/new", &user, json!({"chat": {"title": "x'); DROP TABLE chat;--\u{0}%_", "big": "y".repeat(200_000)}}))
        .await;
    assert_eq!(odd.status, 200);
    assert_eq!(odd.body["title"], "x'); DROP TABLE chat;--%_");
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat", vec![]).await, vec![vec![json!(1)]]);
}

#[tokio::test]
async fn get_chat_owner_admin_and_isolation() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let chat = create(&server, &alice, "Alice's").await;
    let id = id_of(&chat);

    let own = server.get(&format!("/api/v1/chats/{id}"), &alice).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.body["chat"]["share_mode"], "continue");
    let mut expected = chat.clone();
    expected["chat"]["share_mode"] = json!("continue");
    assert_eq!(own.body, expected, "GET returns what POST /new stored, plus share_mode");

    server.get(&format!("/api/v1/chats/{id}"), &bob).await.assert_error(401, E_NOT_FOUND);
    server.get("/api/v1/chats/does-not-exist", &alice).await.assert_error(401, E_NOT_FOUND);
    // Bob cannot change, pin, archive, delete or mark it either; the row stays as it was.
    server.post(&format!("/api/v1/chats/{id}"), &bob, json!({"chat": {"title": "pwned"}})).await.assert_error(401, E_PROHIBITED);
    server.post(&format!("/api/v1/chats/{id}/pin"), &bob, json!({})).await.assert_error(401, E_DEFAULT);
    server.post(&format!("/api/v1/chats/{id}/archive"), &bob, json!({})).await.assert_error(401, E_DEFAULT);
    server.send("DELETE", &format!("/api/v1/chats/{id}"), Some(&bob), None).await.assert_error(404, E_NOT_FOUND);
    server.post(&format!("/api/v1/chats/{id}/unread"), &bob, json!({})).await.assert_error(404, E_NOT_FOUND);
    server.get(&format!("/api/v1/chats/{id}/pinned"), &bob).await.assert_error(401, E_DEFAULT);
    assert_eq!(server.get("/api/v1/chats/", &bob).await.body, json!([]));
    let after = server.get(&format!("/api/v1/chats/{id}"), &alice).await;
    assert_eq!(after.body, own.body, "nothing changed for Alice");

    // Admins read other users' chats (ENABLE_ADMIN_CHAT_ACCESS), without write access.
    let as_admin = server.get(&format!("/api/v1/chats/{id}"), &admin).await;
    assert_eq!(as_admin.status, 200);
    assert_eq!(as_admin.body["chat"]["share_mode"], Value::Null);
    assert_eq!(as_admin.body["chat"]["history"]["messages"]["a"]["user"]["name"], "Alice");
    let locked = Server::start_with(&[("enable_admin_chat_access", "false")]).await;
    let (admin2, alice2, _) = locked.admin_and_user().await;
    let id2 = id_of(&create(&locked, &alice2, "private").await);
    locked.get(&format!("/api/v1/chats/{id2}"), &admin2).await.assert_error(401, E_NOT_FOUND);
}

#[tokio::test]
async fn list_paging_sorting_and_filters() {
    let server = Server::start().await;
    let (_admin, alice, user_id) = server.admin_and_user().await;
    for index in 0..65 {
        create(&server, &alice, &format!("chat {index:02}")).await;
    }
    // Spread updated_at so the order is deterministic.
    server.db().await.execute("UPDATE chat SET updated_at = 1000 + CAST(substr(title, 6) AS INTEGER)", ()).await.expect("update");
    let all = server.get("/api/v1/chats/", &alice).await;
    assert_eq!(all.body.as_array().map(Vec::len), Some(65), "no page means unpaginated");
    assert_eq!(all.body[0]["title"], "chat 64");
    let first = server.get("/api/v1/chats/?page=1", &alice).await;
    assert_eq!(first.body.as_array().map(Vec::len), Some(60));
    let second = server.get("/api/v1/chats/list?page=2", &alice).await;
    assert_eq!(second.body.as_array().map(Vec::len), Some(5));
    assert_eq!(second.body[4]["title"], "chat 00");
    let item_keys: Vec<&str> = second.body[0].as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(item_keys, ["id", "title", "updated_at", "created_at", "last_read_at", "snippet", "active", "archived"]);
    let by_title = server.get("/api/v1/chats/?sort_by=title&sort_dir=asc&page=1", &alice).await;
    assert_eq!(by_title.body[0]["title"], "chat 00");
    let bad_page = server.get("/api/v1/chats/?page=abc", &alice).await;
    assert_eq!(bad_page.status, 422);
    assert_eq!(bad_page.body["detail"][0]["type"], "int_parsing");

    // Pinned chats leave the default list; folder chats too unless asked for.
    let target = all.body[0]["id"].as_str().unwrap_or_default().to_owned();
    server.post(&format!("/api/v1/chats/{target}/pin"), &alice, json!({})).await;
    assert_eq!(server.get("/api/v1/chats/", &alice).await.body.as_array().map(Vec::len), Some(64));
    assert_eq!(server.get("/api/v1/chats/?include_pinned=true", &alice).await.body.as_array().map(Vec::len), Some(65));
    server
        .db()
        .await
        .execute(
            "INSERT INTO folder (id, user_id, name, is_expanded, created_at, updated_at) VALUES ('f1', ?1, 'F', 0, 0, 0)",
            [user_id.as_str()],
        )
        .await
        .expect("folder");
    server.db().await.execute("UPDATE chat SET folder_id = 'f1' WHERE title = 'chat 10'", ()).await.expect("move");
    assert_eq!(server.get("/api/v1/chats/?include_pinned=true", &alice).await.body.as_array().map(Vec::len), Some(64));
    assert_eq!(
        server.get("/api/v1/chats/?include_pinned=true&include_folders=true", &alice).await.body.as_array().map(Vec::len),
        Some(65)
    );
    // Internal chats never show up.
    server.db().await.execute("UPDATE chat SET meta = '{\"internal\": true}' WHERE title = 'chat 11'", ()).await.expect("internal");
    assert_eq!(
        server.get("/api/v1/chats/?include_pinned=true&include_folders=true", &alice).await.body.as_array().map(Vec::len),
        Some(64)
    );
}

#[tokio::test]
async fn update_merges_and_protects() {
    let server = Server::start().await;
    let (_admin, alice, user_id) = server.admin_and_user().await;
    let chat = create(&server, &alice, "Before").await;
    let id = id_of(&chat);
    server.db().await.execute("UPDATE chat SET updated_at = 5 WHERE id = ?1", [id.as_str()]).await.expect("age");

    // A title-only rename keeps every other key and does not bump updated_at.
    let renamed = server.post(&format!("/api/v1/chats/{id}"), &alice, json!({"chat": {"title": "After"}})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["title"], "After");
    assert_eq!(renamed.body["updated_at"], 5);
    assert_eq!(renamed.body["chat"]["models"], json!(["m"]));
    assert_eq!(renamed.body["chat"]["history"], chat["chat"]["history"]);

    // A history update adds message c, replaces b, never deletes a, bumps updated_at.
    let update = json!({"chat": {"history": {"currentId": "c", "messages": {
        "b": {"id": "b", "parentId": "a", "role": "assistant", "content": "edited", "done": true},
        "c": {"id": "c", "parentId": "a", "role": "assistant", "content": "second answer", "done": true}
    }}}, "variables": {"x": 1}});
    let updated = server.post(&format!("/api/v1/chats/{id}"), &alice, update).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let history = &updated.body["chat"]["history"];
    assert_eq!(history["currentId"], "c");
    assert_eq!(history["messages"]["a"]["content"], "hi");
    assert_eq!(history["messages"]["a"]["childrenIds"], json!(["b", "c"]));
    assert_eq!(history["messages"]["b"]["content"], "edited");
    assert_eq!(history["messages"]["c"]["user_id"], user_id.as_str());
    assert_eq!(updated.body["current_message_id"], "c");
    assert_eq!(updated.body["variables"], json!({"x": 1}));
    assert_ne!(updated.body["updated_at"], 5);
    let rows = server
        .rows("SELECT id, content FROM chat_message WHERE chat_id = ? ORDER BY id", vec![id.clone().into()])
        .await;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1], vec![json!(format!("{id}-b")), json!("\"edited\"")]);
    assert_eq!(rows[2], vec![json!(format!("{id}-c")), json!("\"second answer\"")]);

    // A streaming assistant message (done: false) is not overwritten by a stale client.
    server
        .db()
        .await
        .execute(
            "UPDATE chat SET chat = json_set(chat, '$.history.messages.c.done', json('false')) WHERE id = ?1",
            [id.as_str()],
        )
        .await
        .expect("streaming");
    let stale = json!({"chat": {"history": {"messages": {"c": {"id": "c", "parentId": "a", "role": "assistant", "content": "stale"}}}}});
    let kept = server.post(&format!("/api/v1/chats/{id}"), &alice, stale).await;
    assert_eq!(kept.body["chat"]["history"]["messages"]["c"]["content"], "second answer");

    // Unknown chat: 401 prohibited, and malformed bodies change nothing.
    server.post("/api/v1/chats/unknown", &alice, json!({"chat": {}})).await.assert_error(401, E_PROHIBITED);
    let before = server.get(&format!("/api/v1/chats/{id}"), &alice).await.body;
    assert_eq!(server.send_raw("POST", &format!("/api/v1/chats/{id}"), Some(&alice), "{\"chat\":").await.status, 422);
    assert_eq!(server.post(&format!("/api/v1/chats/{id}"), &alice, json!({"chat": []})).await.status, 422);
    assert_eq!(server.get(&format!("/api/v1/chats/{id}"), &alice).await.body, before);
}

#[tokio::test]
async fn pin_archive_and_their_lists() {
    let server = Server::start().await;
    let (_admin, alice, _) = server.admin_and_user().await;
    let id = id_of(&create(&server, &alice, "Keep").await);
    let other = id_of(&create(&server, &alice, "Other").await);
    server.db().await.execute("UPDATE chat SET updated_at = 5, last_read_at = 5", ()).await.expect("age");

    assert_eq!(server.get(&format!("/api/v1/chats/{id}/pinned"), &alice).await.body, json!(false));
    let pinned = server.post(&format!("/api/v1/chats/{id}/pin"), &alice, json!({})).await;
    assert_eq!(pinned.body["pinned"], true);
    assert_ne!(pinned.body["updated_at"], 5, "pinning bumps updated_at");
    assert_eq!(server.get(&format!("/api/v1/chats/{id}/pinned"), &alice).await.body, json!(true));
    let pinned_list = server.get("/api/v1/chats/pinned", &alice).await;
    assert_eq!(pinned_list.body.as_array().map(Vec::len), Some(1));
    assert_eq!(pinned_list.body[0]["id"], id.as_str());

    let archived = server.post(&format!("/api/v1/chats/{id}/archive"), &alice, json!({})).await;
    assert_eq!((archived.body["archived"].clone(), archived.body["pinned"].clone()), (json!(true), json!(true)));
    assert_eq!(server.get("/api/v1/chats/pinned", &alice).await.body, json!([]));
    assert_eq!(server.get("/api/v1/chats/archived/count", &alice).await.body, json!(1));
    let archived_list = server.get("/api/v1/chats/archived", &alice).await;
    assert_eq!(archived_list.body[0]["id"], id.as_str());
    assert_eq!(archived_list.body[0]["last_read_at"], Value::Null, "Open WebUI does not select it here");
    assert_eq!(archived_list.body[0]["archived"], false, "only search reports archived truthfully");
    let full = server.get("/api/v1/chats/all/archived", &alice).await;
    assert_eq!(full.body[0]["chat"]["title"], "Keep");
    let filtered = server.get("/api/v1/chats/archived?query=kee", &alice).await;
    assert_eq!(filtered.body.as_array().map(Vec::len), Some(1));
    let none = server.get("/api/v1/chats/archived?query=zzz", &alice).await;
    assert_eq!(none.body, json!([]));
    let bad_order = server.get("/api/v1/chats/archived?order_by=secret&direction=asc", &alice).await;
    assert_eq!(bad_order.status, 400, "an invalid order_by is a 400 here, not a 500");

    // archive/all and unarchive/all.
    assert_eq!(server.post("/api/v1/chats/archive/all", &alice, json!({})).await.body, json!(true));
    assert_eq!(server.get("/api/v1/chats/archived/count", &alice).await.body, json!(2));
    assert_eq!(server.get("/api/v1/chats/", &alice).await.body, json!([]));
    assert_eq!(server.post("/api/v1/chats/unarchive/all", &alice, json!({})).await.body, json!(true));
    assert_eq!(server.get("/api/v1/chats/archived/count", &alice).await.body, json!(0));
    let listed = server.get("/api/v1/chats/?include_pinned=true", &alice).await;
    let ids: Vec<&str> = listed.body.as_array().into_iter().flatten().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&id.as_str()) && ids.contains(&other.as_str()));
}

#[tokio::test]
async fn read_and_unread() {
    let server = Server::start().await;
    let (_admin, alice, user_id) = server.admin_and_user().await;
    let id = id_of(&create(&server, &alice, "Unread me").await);
    server
        .db()
        .await
        .execute(
            "INSERT INTO folder (id, parent_id, user_id, name, is_expanded, created_at, updated_at) VALUES \
             ('top', NULL, ?1, 'Top', 0, 0, 0), ('sub', 'top', ?1, 'Sub', 0, 0, 0)",
            [user_id.as_str()],
        )
        .await
        .expect("folders");
    server.db().await.execute("UPDATE chat SET folder_id = 'sub' WHERE id = ?1", [id.as_str()]).await.expect("move");
    let unread = server.post(&format!("/api/v1/chats/{id}/unread"), &alice, json!({})).await;
    assert_eq!(
        unread.body,
        json!({"chat_id": id, "last_read_at": 0, "folder_id": "sub", "folder_unread_counts": {"top": 1, "sub": 1}})
    );
    let read = server.post("/api/v1/chats/read", &alice, json!({})).await;
    assert_eq!(read.body, json!({"updated_count": 1, "folder_unread_counts": {"top": 0, "sub": 0}}));
    let stored = server.rows("SELECT last_read_at = updated_at FROM chat WHERE id = ?", vec![id.into()]).await;
    assert_eq!(stored, vec![vec![json!(1)]]);
    server.post("/api/v1/chats/nope/unread", &alice, json!({})).await.assert_error(404, E_NOT_FOUND);
}

#[tokio::test]
async fn delete_one_and_all() {
    let server = Server::start().await;
    let (admin, alice, user_id) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let first = id_of(&create(&server, &alice, "one").await);
    let second = id_of(&create(&server, &alice, "two").await);
    let bobs = id_of(&create(&server, &bob, "bob's").await);
    server
        .db()
        .await
        .execute(
            "INSERT INTO tag (id, name, user_id) VALUES ('work', 'Work', ?1)",
            [user_id.as_str()],
        )
        .await
        .expect("tag");
    server.db().await.execute("UPDATE chat SET meta = '{\"tags\": [\"work\"]}' WHERE id = ?1", [first.as_str()]).await.expect("tag chat");

    // Open WebUI on SQLite runs without foreign keys: deleting a chat leaves its chat_file
    // rows (spec §6.2 item 12). The host must not cascade either (libsql defaults to on).
    // One batch, so that a libSQL server (TEST_DB=sqld) runs both on one stream.
    server
        .db()
        .await
        .execute_batch(&format!(
            "PRAGMA foreign_keys=OFF; INSERT INTO chat_file (id, user_id, chat_id, file_id, created_at, updated_at) VALUES ('cf1', '{user_id}', '{first}', 'file1', 0, 0);"
        ))
        .await
        .expect("chat_file");
    assert_eq!(server.send("DELETE", &format!("/api/v1/chats/{first}"), Some(&alice), None).await.body, json!(true));
    assert_eq!(server.rows("SELECT id FROM chat_file", vec![]).await, vec![vec![json!("cf1")]], "no cascade");
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat WHERE id = ?", vec![first.clone().into()]).await, vec![vec![json!(0)]]);
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat_message WHERE chat_id = ?", vec![first.clone().into()]).await, vec![vec![json!(0)]]);
    assert_eq!(server.rows("SELECT COUNT(*) FROM tag", vec![]).await, vec![vec![json!(0)]], "orphaned tag removed");
    server.send("DELETE", &format!("/api/v1/chats/{first}"), Some(&alice), None).await.assert_error(404, E_NOT_FOUND);

    // A user without chat.delete may not delete.
    let strict = Server::start_with(&[("user_permissions", r#"{"chat":{"delete":false}}"#)]).await;
    let (_a, carol, _) = strict.admin_and_user().await;
    let kept = id_of(&create(&strict, &carol, "kept").await);
    strict.send("DELETE", &format!("/api/v1/chats/{kept}"), Some(&carol), None).await.assert_error(401, E_PROHIBITED);
    strict.send("DELETE", "/api/v1/chats/", Some(&carol), None).await.assert_error(401, E_PROHIBITED);
    assert_eq!(strict.rows("SELECT COUNT(*) FROM chat", vec![]).await, vec![vec![json!(1)]]);

    // DELETE / removes only the caller's chats.
    assert_eq!(server.send("DELETE", "/api/v1/chats/", Some(&alice), None).await.body, json!(true));
    let left = server.rows("SELECT id FROM chat", vec![]).await;
    assert_eq!(left, vec![vec![json!(bobs)]]);
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat_message WHERE chat_id = ?", vec![second.into()]).await, vec![vec![json!(0)]]);
    // Admins may delete another user's chat.
    assert_eq!(server.send("DELETE", &format!("/api/v1/chats/{bobs}"), Some(&admin), None).await.body, json!(true));
}

/// Sends only the head of a `POST /api/v1/chats/new` that declares a `length`-byte body,
/// and returns the raw HTTP answer: a server that judges by the declared length answers
/// without reading a byte of the body.
async fn post_head_only(server: &Server, token: &str, length: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let head = format!(
        "POST /api/v1/chats/new HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn oversized_bodies_get_413_and_write_nothing() {
    let server = Server::start().await;
    let (_admin, alice, _) = server.admin_and_user().await;
    // The host answers from the declared length, before reading (or waiting for) the body.
    let answer = post_head_only(&server, &alice, 17 * 1024 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#"{"detail":"Request body is too large (the limit is 16777216 bytes)."}"#), "{answer}");
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat", vec![]).await, vec![vec![json!(0)]]);
    assert_eq!(server.get("/api/v1/chats/", &alice).await.body, json!([]), "the host keeps serving");
    // Just under the cap is fine.
    let big = format!("{{\"chat\": {{\"title\": \"big\", \"pad\": \"{}\"}}}}", "y".repeat(4 * 1024 * 1024));
    assert_eq!(server.send_raw("POST", "/api/v1/chats/new", Some(&alice), &big).await.status, 200);
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let server = Server::start().await;
    let (_admin, alice, _) = server.admin_and_user().await;
    let method = server.send("PUT", "/api/v1/chats/abc", Some(&alice), None).await;
    method.assert_error(405, "Method Not Allowed");
    let deep = server.get("/api/v1/chats/a/b/c/d", &alice).await;
    deep.assert_error(404, "Not Found");
    // An empty id is a chat that does not exist, never "all chats" (regression: `//`).
    let kept = server.post("/api/v1/chats/new", &alice, sample_chat("kept")).await;
    assert_eq!(kept.status, 200);
    server.send("DELETE", "/api/v1/chats//", Some(&alice), None).await.assert_error(404, E_NOT_FOUND);
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat", vec![]).await, vec![vec![json!(1)]]);
    server.send("DELETE", "/api/v1/chats/", Some(&alice), None).await;
    // Without a trailing slash the collection is served too.
    assert_eq!(server.get("/api/v1/chats", &alice).await.body, json!([]));
    let elsewhere = server.send("GET", "/api/v1/nothing-here", None, None).await;
    assert_eq!(elsewhere.status, 404);
}
