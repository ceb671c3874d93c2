//! Clone (`POST /{id}/clone`), clone of a share link (`POST /{id}/clone/shared`) and fork
//! (`POST /{id}/fork`): the new chats' JSON, meta, flags, folder and `chat_message` rows,
//! the source left alone, and the access rules.

use chat_core::error::{E_DEFAULT, E_NOT_FOUND, E_PROHIBITED};
use integration_tests::Server;
use serde_json::{Value, json};

const NO_HISTORY: &str = "[ERROR: chat has no history to clone]";

/// a (user) → b (assistant), a → c (assistant, current) → d (user) → e (assistant, unfinished).
fn branching_chat(title: &str) -> Value {
    json!({"chat": {
        "title": title, "models": ["m"], "params": {"temperature": 1},
        "history": {"messages": {
            "a": {"id": "a", "parentId": null, "childrenIds": ["b", "c"], "role": "user", "content": "q", "timestamp": 1},
            "b": {"id": "b", "parentId": "a", "childrenIds": [], "role": "assistant", "content": "first", "timestamp": 2},
            "c": {"id": "c", "parentId": "a", "childrenIds": ["d"], "role": "assistant", "content": "second", "timestamp": 3, "meta": {"m": 1}},
            "d": {"id": "d", "parentId": "c", "childrenIds": ["e"], "role": "user", "content": "more", "timestamp": 4},
            "e": {"id": "e", "parentId": "d", "childrenIds": [], "role": "assistant", "content": "...", "done": false, "timestamp": 5}
        }, "currentId": "e"},
        "messages": []
    }, "variables": {"v": 1}})
}

async fn create(server: &Server, token: &str, body: Value) -> Value {
    let reply = server.post("/api/v1/chats/new", token, body).await;
    assert_eq!(reply.status, 200, "create failed: {}", reply.body);
    reply.body
}

fn id_of(chat: &Value) -> String {
    chat["id"].as_str().unwrap_or_default().to_owned()
}

async fn exec(server: &Server, sql: &str, params: Vec<libsql::Value>) {
    server.db().await.execute(sql, params).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn add_folder(server: &Server, id: &str, owner: &str) {
    exec(
        server,
        "INSERT INTO folder (id, parent_id, user_id, name, items, meta, is_expanded, created_at, updated_at, data) \
         VALUES (?, NULL, ?, 'F', NULL, NULL, 0, 0, 0, NULL)",
        vec![id.into(), owner.into()],
    )
    .await;
}

async fn chat_count(server: &Server) -> Value {
    server.rows("SELECT COUNT(*) FROM chat", vec![]).await[0][0].clone()
}

async fn message_rows(server: &Server, chat_id: &str) -> Vec<Vec<Value>> {
    server
        .rows(
            "SELECT substr(id, length(chat_id) + 2), user_id, role, parent_id, content, done FROM chat_message WHERE chat_id = ? ORDER BY id",
            vec![chat_id.into()],
        )
        .await
}

async fn share(server: &Server, token: &str, id: &str, body: Value) -> String {
    let reply = server.post(&format!("/api/v1/chats/{id}/share"), token, body).await;
    assert_eq!(reply.status, 200, "share failed: {}", reply.body);
    reply.body["share_id"].as_str().unwrap_or_default().to_owned()
}

async fn grant_read(server: &Server, owner: &str, chat_id: &str, user_id: &str) {
    let body = json!({"access_grants": [{"principal_type": "user", "principal_id": user_id, "permission": "read"}]});
    let reply = server.post(&format!("/api/v1/chats/shared/{chat_id}/access/update"), owner, body).await;
    assert_eq!(reply.status, 200, "grant failed: {}", reply.body);
}

#[tokio::test]
async fn clone_copies_my_chat_with_meta_flags_and_folder() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let source = create(&server, &alice, branching_chat("Work")).await;
    let id = id_of(&source);
    add_folder(&server, "f1", &alice_id).await;
    exec(&server, "UPDATE chat SET meta = '{\"tags\":[\"work\"]}', pinned = 1, folder_id = 'f1', archived = 1 WHERE id = ?", vec![id.clone().into()]).await;
    let stored_before = server.rows("SELECT chat, updated_at FROM chat WHERE id = ?", vec![id.clone().into()]).await;

    let clone = server.post(&format!("/api/v1/chats/{id}/clone"), &alice, json!({})).await;
    assert_eq!(clone.status, 200, "{}", clone.body);
    let body = &clone.body;
    let new_id = id_of(body);
    assert_ne!(new_id, id);
    assert_eq!(body["title"], "Clone of Work");
    assert_eq!(body["user_id"], json!(alice_id));
    assert_eq!(
        (body["meta"].clone(), body["variables"].clone(), body["pinned"].clone(), body["archived"].clone(), body["folder_id"].clone(), body["share_id"].clone()),
        (json!({"tags": ["work"]}), json!({"v": 1}), json!(true), json!(false), json!("f1"), Value::Null)
    );
    let mut expected_chat = source["chat"].clone();
    expected_chat["originalChatId"] = json!(id);
    expected_chat["branchPointMessageId"] = json!("e");
    expected_chat["title"] = json!("Clone of Work");
    assert_eq!(body["chat"], expected_chat, "the whole JSON, with the three clone keys");
    assert_eq!(body["current_message_id"], "e");
    assert_eq!(message_rows(&server, &new_id).await.len(), 5, "every message gets a chat_message row");
    assert_eq!(message_rows(&server, &new_id).await[4], vec![json!("e"), json!(alice_id), json!("assistant"), json!("d"), json!("\"...\""), json!(0)]);
    assert_eq!(server.rows("SELECT chat, updated_at FROM chat WHERE id = ?", vec![id.clone().into()]).await, stored_before, "the source is untouched");

    let titled = server.post(&format!("/api/v1/chats/{id}/clone"), &alice, json!({"title": "Mine", "ignored": 1})).await;
    assert_eq!((titled.body["title"].clone(), titled.body["chat"]["title"].clone()), (json!("Mine"), json!("Mine")));
    let empty_title = server.post(&format!("/api/v1/chats/{id}/clone"), &alice, json!({"title": ""})).await;
    assert_eq!(empty_title.body["title"], "Clone of Work");
    // A folder the owner can no longer write to is dropped.
    exec(&server, "DELETE FROM folder", vec![]).await;
    let no_folder = server.post(&format!("/api/v1/chats/{id}/clone"), &alice, json!({"title": null})).await;
    assert_eq!((no_folder.status, no_folder.body["folder_id"].clone()), (200, Value::Null));

    let count = chat_count(&server).await;
    server.post(&format!("/api/v1/chats/{id}/clone"), &bob, json!({})).await.assert_error(401, E_DEFAULT);
    server.post(&format!("/api/v1/chats/{id}/clone"), &admin, json!({})).await.assert_error(401, E_DEFAULT);
    server.post("/api/v1/chats/nope/clone", &alice, json!({})).await.assert_error(401, E_DEFAULT);
    let no_body = server.send("POST", &format!("/api/v1/chats/{id}/clone"), Some(&alice), None).await;
    assert_eq!(no_body.body, json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]}));
    assert_eq!(server.send_raw("POST", &format!("/api/v1/chats/{id}/clone"), Some(&alice), "null").await.body["detail"][0]["type"], "missing");
    let bad_title = server.post(&format!("/api/v1/chats/{id}/clone"), &alice, json!({"title": 5})).await;
    assert_eq!(bad_title.body, json!({"detail": [{"type": "string_type", "loc": ["body", "title"], "msg": "Input should be a valid string", "input": 5}]}));
    assert_eq!(server.send_raw("POST", &format!("/api/v1/chats/{id}/clone"), None, "{").await.body["detail"][0]["type"], "json_invalid");
    server.send("POST", &format!("/api/v1/chats/{id}/clone"), None, Some(json!({}))).await.assert_error(401, "Not authenticated");

    // No history object (Open WebUI: 500) is a 400 here.
    let bare = create(&server, &alice, json!({"chat": {"title": "Bare"}})).await;
    server.post(&format!("/api/v1/chats/{}/clone", id_of(&bare)), &alice, json!({})).await.assert_error(400, NO_HISTORY);
    assert_eq!(chat_count(&server).await.as_i64(), count.as_i64().map(|n| n + 1), "only the bare chat was added");
}

#[tokio::test]
async fn import_permission_and_temporary_chats_gate_copies() {
    let server = Server::start_with(&[("user_permissions", r#"{"chat": {"import": false}}"#)]).await;
    let (admin, alice, _) = server.admin_and_user().await;
    let id = id_of(&create(&server, &alice, branching_chat("Locked")).await);
    server.post(&format!("/api/v1/chats/{id}/clone"), &alice, json!({})).await.assert_error(403, E_PROHIBITED);
    server.post("/api/v1/chats/unknown/clone", &alice, json!({})).await.assert_error(403, E_PROHIBITED);
    server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({})).await.assert_error(403, E_PROHIBITED);
    server.post(&format!("/api/v1/chats/{id}/clone/shared"), &alice, json!({})).await.assert_error(403, E_PROHIBITED);
    assert_eq!(server.post(&format!("/api/v1/chats/{id}/clone"), &admin, json!({})).await.status, 401, "admins pass the permission, not ownership");

    exec(
        &server,
        "INSERT INTO config (key, value, updated_at) VALUES ('user.permissions', '{\"chat\": {\"import\": true, \"temporary_enforced\": true}}', 0)",
        vec![],
    )
    .await;
    server.post(&format!("/api/v1/chats/{id}/clone"), &alice, json!({})).await.assert_error(403, E_PROHIBITED);
    server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({})).await.assert_error(403, E_PROHIBITED);
    assert_eq!(chat_count(&server).await, json!(1));
}

#[tokio::test]
async fn clone_shared_copies_what_the_link_shows() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, bob_id) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let (carol, _) = server.add_user(&admin, "Carol", "carol@example.com").await;
    let id = id_of(&create(&server, &alice, branching_chat("Recipe")).await);
    exec(&server, "UPDATE chat SET meta = '{\"tags\":[\"food\"]}', pinned = 1 WHERE id = ?", vec![id.clone().into()]).await;
    let token = share(&server, &alice, &id, json!({})).await;
    server.post(&format!("/api/v1/chats/{id}"), &alice, json!({"chat": {"title": "Recipe v2"}})).await;
    let path = format!("/api/v1/chats/{token}/clone/shared");

    server.post(&path, &bob, json!({})).await.assert_error(401, E_PROHIBITED);
    server.post("/api/v1/chats/nope/clone/shared", &bob, json!({})).await.assert_error(401, E_NOT_FOUND);
    server.send("POST", &path, None, None).await.assert_error(401, "Not authenticated");
    grant_read(&server, &alice, &id, &bob_id).await;

    // The snapshot, attributed to Bob, with the owner-only keys gone; a body is never read.
    let clone = server.send_raw("POST", &path, Some(&bob), "{not json").await;
    assert_eq!(clone.status, 200, "{}", clone.body);
    let body = &clone.body;
    let new_id = id_of(body);
    assert_eq!((body["title"].clone(), body["user_id"].clone()), (json!("Clone of Recipe"), json!(bob_id)));
    assert_eq!(
        (body["meta"].clone(), body["variables"].clone(), body["pinned"].clone(), body["folder_id"].clone()),
        (json!({}), json!({}), json!(false), Value::Null)
    );
    let chat = &body["chat"];
    assert_eq!((chat["originalChatId"].clone(), chat["branchPointMessageId"].clone()), (json!(token), json!("e")));
    assert!(chat.get("params").is_none(), "owner-only keys are not copied");
    assert_eq!(chat["share_mode"], Value::Null);
    let a = &chat["history"]["messages"]["a"];
    assert_eq!((a["user_id"].clone(), a["user"].clone()), (json!(bob_id), json!({"id": bob_id, "name": "Bob"})));
    assert!(chat["history"]["messages"]["c"].get("meta").is_none());
    assert!(message_rows(&server, &new_id).await.iter().all(|row| row[1] == json!(bob_id)), "rows are Bob's too");
    assert_eq!(message_rows(&server, &new_id).await.len(), 5);

    // A continue share the cloner may read clones the live original, with the owner's meta.
    share(&server, &alice, &id, json!({"share_mode": "continue"})).await;
    let live = server.post(&path, &bob, json!({})).await;
    assert_eq!((live.body["title"].clone(), live.body["chat"]["originalChatId"].clone()), (json!("Clone of Recipe v2"), json!(id)));
    assert_eq!((live.body["meta"].clone(), live.body["pinned"].clone()), (json!({"tags": ["food"]}), json!(true)));

    // Admins may clone any link, or any chat by id; others may not use a chat id.
    let by_id = server.post(&format!("/api/v1/chats/{id}/clone/shared"), &admin, json!({})).await;
    assert_eq!((by_id.status, by_id.body["chat"]["originalChatId"].clone()), (200, json!(id)));
    server.post(&format!("/api/v1/chats/{id}/clone/shared"), &alice, json!({})).await.assert_error(401, E_NOT_FOUND);
    server.post(&path, &carol, json!({})).await.assert_error(401, E_PROHIBITED);
    let own = server.post(&path, &alice, json!({})).await;
    assert_eq!((own.status, own.body["user_id"].clone()), (200, json!(alice_id)));
}

#[tokio::test]
async fn fork_copies_one_branch_from_message_rows() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let source = create(&server, &alice, branching_chat("Talk")).await;
    let id = id_of(&source);
    add_folder(&server, "f1", &alice_id).await;
    exec(&server, "UPDATE chat SET meta = '{\"tags\":[\"t\"]}', pinned = 1, folder_id = 'f1' WHERE id = ?", vec![id.clone().into()]).await;
    // The rows are authoritative: an edit only in chat_message shows up in the fork.
    exec(&server, "UPDATE chat_message SET content = '\"second, edited\"' WHERE id = ?", vec![format!("{id}-c").into()]).await;

    let fork = server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({"message_id": "d"})).await;
    assert_eq!(fork.status, 200, "{}", fork.body);
    let body = &fork.body;
    let fork_id = id_of(body);
    assert_eq!(body["title"], "Talk (fork)");
    assert_eq!(
        (body["meta"].clone(), body["variables"].clone(), body["pinned"].clone(), body["folder_id"].clone(), body["current_message_id"].clone()),
        (json!({"tags": ["t"], "forked_from": id, "forked_from_message_id": "d"}), json!({"v": 1}), json!(true), json!("f1"), json!("d"))
    );
    let chat = &body["chat"];
    assert_eq!((chat["originalChatId"].clone(), chat["branchPointMessageId"].clone(), chat["title"].clone()), (json!(id), json!("d"), json!("Talk (fork)")));
    assert_eq!(chat["params"], json!({"temperature": 1}), "the owner keeps everything");
    let messages = &chat["history"]["messages"];
    let ids: Vec<&str> = messages.as_object().into_iter().flatten().map(|(key, _)| key.as_str()).collect();
    assert_eq!(ids, ["a", "c", "d"], "only the branch up to the source");
    assert_eq!(chat["history"]["currentId"], "d");
    assert_eq!((messages["a"]["childrenIds"].clone(), messages["c"]["childrenIds"].clone(), messages["d"]["childrenIds"].clone()), (json!(["c"]), json!(["d"]), json!([])));
    assert_eq!(messages["c"]["content"], "second, edited");
    assert_eq!(messages["c"]["meta"], json!({"m": 1}));
    assert_eq!(messages["a"]["user"], json!({"id": alice_id, "name": "Alice"}), "user objects come back from the JSON");
    let list: Vec<Value> = ["a", "c", "d"].iter().map(|key| messages[key].clone()).collect();
    assert_eq!(chat["messages"], Value::Array(list));
    assert_eq!(
        message_rows(&server, &fork_id).await,
        vec![
            vec![json!("a"), json!(alice_id), json!("user"), Value::Null, json!("\"q\""), json!(1)],
            vec![json!("c"), json!(alice_id), json!("assistant"), json!("a"), json!("\"second, edited\""), json!(1)],
            vec![json!("d"), json!(alice_id), json!("user"), json!("c"), json!("\"more\""), json!(1)],
        ]
    );

    // Default source: the current message; the unfinished assistant message is marked done.
    let whole = server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({"message_id": null})).await;
    assert_eq!(whole.body["chat"]["branchPointMessageId"], "e");
    assert_eq!(whole.body["chat"]["history"]["messages"]["e"]["done"], true);
    assert_eq!(message_rows(&server, &id_of(&whole.body)).await[3][..1], [json!("e")]);
    assert_eq!(message_rows(&server, &id_of(&whole.body)).await[3][5], json!(1));
    assert_eq!(server.send("POST", &format!("/api/v1/chats/{id}/fork"), Some(&alice), None).await.body["chat"]["branchPointMessageId"], "e");
    // An unfinished message awaiting tool approval stays unfinished.
    exec(&server, "UPDATE chat_message SET output = '[{\"type\":\"function_call\",\"status\":\"requires_approval\"}]' WHERE id = ?", vec![format!("{id}-e").into()]).await;
    let waiting = server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({})).await;
    assert_eq!(waiting.body["chat"]["history"]["messages"]["e"]["done"], false);

    // Errors, and nothing written for them.
    let count = chat_count(&server).await;
    server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({"message_id": "zz"})).await.assert_error(404, "message not found");
    let bad = server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({"message_id": 5})).await;
    assert_eq!(bad.body["detail"][0]["type"], "string_type");
    server.post(&format!("/api/v1/chats/{id}/fork"), &bob, json!({})).await.assert_error(401, E_NOT_FOUND);
    server.post("/api/v1/chats/nope/fork", &alice, json!({})).await.assert_error(401, E_NOT_FOUND);
    exec(&server, "UPDATE chat_message SET parent_id = 'd' WHERE id = ?", vec![format!("{id}-a").into()]).await;
    server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({"message_id": "d"})).await.assert_error(400, "message branch contains a cycle");
    let empty = id_of(&create(&server, &alice, json!({"chat": {"title": "Empty"}})).await);
    server.post(&format!("/api/v1/chats/{empty}/fork"), &alice, json!({})).await.assert_error(400, "chat has no messages to fork");
    assert_eq!(chat_count(&server).await.as_i64(), count.as_i64().map(|n| n + 1));
}

#[tokio::test]
async fn fork_falls_back_to_the_json_history_and_backfills_rows() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let id = id_of(&create(&server, &alice, branching_chat("Legacy")).await);
    exec(&server, "DELETE FROM chat_message WHERE chat_id = ?", vec![id.clone().into()]).await;
    let fork = server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({"message_id": "b"})).await;
    assert_eq!(fork.status, 200, "{}", fork.body);
    let ids: Vec<String> = fork.body["chat"]["history"]["messages"].as_object().into_iter().flatten().map(|(k, _)| k.clone()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(message_rows(&server, &id).await.len(), 5, "the source's rows were backfilled");
    assert!(message_rows(&server, &id).await.iter().all(|row| row[1] == json!(alice_id)));
    // Rows with a gap (a parent only in the JSON) are completed from the JSON.
    exec(&server, "DELETE FROM chat_message WHERE id = ?", vec![format!("{id}-a").into()]).await;
    let gap = server.post(&format!("/api/v1/chats/{id}/fork"), &alice, json!({"message_id": "c"})).await;
    assert_eq!(gap.body["chat"]["messages"].as_array().map(Vec::len), Some(2));
    assert_eq!(message_rows(&server, &id).await.len(), 5);
}

#[tokio::test]
async fn fork_by_others_through_links_and_admin_access() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, bob_id) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let admin_id = server.rows("SELECT id FROM \"user\" WHERE role = 'admin'", vec![]).await[0][0].clone();
    let id = id_of(&create(&server, &alice, branching_chat("Shared")).await);
    let token = share(&server, &alice, &id, json!({})).await;
    // After sharing, the chat grows; the snapshot does not.
    exec(&server, "UPDATE chat_message SET content = '\"changed later\"' WHERE id = ?", vec![format!("{id}-b").into()]).await;

    server.post(&format!("/api/v1/chats/{token}/fork"), &bob, json!({})).await.assert_error(401, E_PROHIBITED);
    grant_read(&server, &alice, &id, &bob_id).await;
    let fork = server.post(&format!("/api/v1/chats/{token}/fork"), &bob, json!({"message_id": "b"})).await;
    assert_eq!(fork.status, 200, "{}", fork.body);
    let body = &fork.body;
    assert_eq!(
        (body["user_id"].clone(), body["meta"].clone(), body["variables"].clone(), body["pinned"].clone(), body["folder_id"].clone()),
        (json!(bob_id), json!({"forked_from": token, "forked_from_message_id": "b"}), json!({}), json!(false), Value::Null)
    );
    let chat = &body["chat"];
    assert_eq!(chat["originalChatId"], json!(token));
    assert!(chat.get("params").is_none() && chat.get("share_mode").is_none());
    assert_eq!(chat["history"]["messages"]["b"]["content"], "first", "a snapshot forks from its own JSON, not later rows");
    let a = &chat["history"]["messages"]["a"];
    assert_eq!((a["user_id"].clone(), a["user"].clone()), (json!(bob_id), json!({"id": bob_id, "name": "Bob"})));
    assert!(message_rows(&server, &id_of(body)).await.iter().all(|row| row[1] == json!(bob_id)));

    // The admin reads Alice's chat directly (admin chat access): rows, re-attributed to the admin.
    let by_admin = server.post(&format!("/api/v1/chats/{id}/fork"), &admin, json!({"message_id": "b"})).await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);
    assert_eq!(by_admin.body["chat"]["history"]["messages"]["b"]["content"], "changed later");
    assert_eq!(by_admin.body["chat"]["history"]["messages"]["b"]["user_id"], admin_id);
    assert_eq!(by_admin.body["meta"], json!({"forked_from": id, "forked_from_message_id": "b"}));
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat WHERE user_id = ?", vec![admin_id.as_str().unwrap_or_default().into()]).await, vec![vec![json!(1)]]);
}
