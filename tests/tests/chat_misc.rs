//! The small chat routes: `PATCH /{id}/params`, `POST /{id}/compact`, `GET|POST /config`
//! and the stats routes, with bodies, stored values and access checks.

use chat_core::error::{E_NOT_FOUND, E_PROHIBITED};
use integration_tests::Server;
use serde_json::{Value, json};

fn chat_body() -> Value {
    json!({"chat": {
        "title": "Stats", "models": ["fallback-model"], "params": {"temperature": 0.5, "seed": 1},
        "history": {"currentId": "b", "messages": {
            "a": {"id": "a", "parentId": null, "childrenIds": ["b"], "role": "user", "content": "hi!", "timestamp": 1700000000},
            "b": {"id": "b", "parentId": "a", "childrenIds": [], "role": "assistant", "content": "hello", "model": "m1", "timestamp": 1700000004, "annotation": {"rating": 1, "tags": ["good"]}}
        }},
        "messages": []
    }})
}

async fn create(server: &Server, token: &str, body: Value) -> String {
    let reply = server.post("/api/v1/chats/new", token, body).await;
    assert_eq!(reply.status, 200, "create failed: {}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

async fn stored_chat(server: &Server, id: &str) -> (Value, i64) {
    let rows = server.rows("SELECT chat, updated_at FROM chat WHERE id = ?", vec![id.into()]).await;
    (serde_json::from_str(rows[0][0].as_str().unwrap_or_default()).unwrap_or_default(), rows[0][1].as_i64().unwrap_or_default())
}

#[tokio::test]
async fn params_merge_without_touching_updated_at() {
    let server = Server::start().await;
    let (admin, user, _) = server.admin_and_user().await;
    let id = create(&server, &user, chat_body()).await;
    server.rows("UPDATE chat SET updated_at = 1000 WHERE id = ?", vec![id.clone().into()]).await;
    let path = format!("/api/v1/chats/{id}/params");
    let reply = server.send("PATCH", &path, Some(&user), Some(json!({"seed": 2, "top_k": "a\u{0}b"}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, json!({"temperature": 0.5, "seed": 2, "top_k": "ab"}));
    let (stored, updated_at) = stored_chat(&server, &id).await;
    assert_eq!(stored["params"], json!({"temperature": 0.5, "seed": 2, "top_k": "ab"}));
    assert_eq!(stored["history"]["messages"]["b"]["content"], "hello", "the rest of the JSON is kept");
    assert_eq!(updated_at, 1000);

    // Pending message patches survive a params write.
    server.post(&format!("/api/v1/chats/{id}/messages/b"), &user, json!({"content": "patched"})).await;
    server.send("PATCH", &path, Some(&user), Some(json!({}))).await;
    let got = server.get(&format!("/api/v1/chats/{id}"), &user).await;
    assert_eq!(got.body["chat"]["history"]["messages"]["b"]["content"], "patched");
    assert_eq!(got.body["chat"]["params"]["seed"], 2);

    server.send("PATCH", &path, Some(&admin), Some(json!({"seed": 3}))).await.assert_error(401, E_PROHIBITED);
    server.send("PATCH", "/api/v1/chats/unknown/params", Some(&user), Some(json!({}))).await.assert_error(401, E_PROHIBITED);
    let list = server.send("PATCH", &path, Some(&user), Some(json!([1]))).await;
    assert_eq!(
        list.body,
        json!({"detail": [{"type": "dict_type", "loc": ["body"], "msg": "Input should be a valid dictionary", "input": [1]}]})
    );
    let none = server.send("PATCH", &path, Some(&user), None).await;
    assert_eq!(none.body["detail"][0]["type"], "missing");
    assert_eq!(stored_chat(&server, &id).await.0["params"]["seed"], 2);
    assert_eq!(server.get(&path, &user).await.status, 405);
}

#[tokio::test]
async fn compact_checks_then_reports_disabled() {
    let server = Server::start().await;
    let (admin, user, _) = server.admin_and_user().await;
    let id = create(&server, &user, chat_body()).await;
    let disabled = json!({"ok": true, "compacted": false, "reason": "disabled", "context_usage": null});
    let path = format!("/api/v1/chats/{id}/compact");
    let reply = server.send("POST", &path, Some(&user), None).await;
    assert_eq!((reply.status, reply.body.clone()), (200, disabled.clone()));
    assert_eq!(server.post(&path, &user, json!({"model": "x"})).await.body, disabled);
    assert_eq!(server.post(&path, &user, json!({"model": 5})).await.body["detail"][0]["type"], "string_type");
    server.post(&path, &admin, json!({})).await.assert_error(401, E_NOT_FOUND);
    server.post("/api/v1/chats/unknown/compact", &user, json!({})).await.assert_error(401, E_NOT_FOUND);

    let bare = create(&server, &user, json!({"chat": {"title": "no model", "history": {"messages": {}, "currentId": null}}})).await;
    let path = format!("/api/v1/chats/{bare}/compact");
    server.post(&path, &user, json!({})).await.assert_error(400, "No model found for context compaction.");
    assert_eq!(server.post(&path, &user, json!({"model": "given"})).await.body, disabled);
}

#[tokio::test]
async fn config_is_admin_only_normalised_and_stored_per_key() {
    let server = Server::start().await;
    let (admin, user, _) = server.admin_and_user().await;
    let defaults = json!({
        "CONTEXT_COMPACTION_MODEL": "", "ENABLE_CONTEXT_COMPACTION": false, "CONTEXT_COMPACTION_TOKEN_THRESHOLD": 80000,
        "CONTEXT_COMPACTION_TOKEN_CAP": 80000, "CONTEXT_COMPACTION_RETENTION_PERCENTAGE": 40, "CONTEXT_COMPACTION_PROMPT_TEMPLATE": "",
        "ENABLE_TOOL_PERMISSIONS": false, "ENABLE_TOOL_SEARCH": false, "TOOL_SEARCH_DEFER_THRESHOLD": 400,
        "TOOL_SEARCH_ALWAYS_LOADED": [], "TOOL_SEARCH_DEFER_BUILTIN_TOOLS": true
    });
    let got = server.get("/api/v1/chats/config", &admin).await;
    assert_eq!((got.status, got.body.clone()), (200, defaults));
    server.get("/api/v1/chats/config", &user).await.assert_error(401, E_PROHIBITED);
    server.post("/api/v1/chats/config", &user, json!({})).await.assert_error(401, E_PROHIBITED);

    let missing = server.post("/api/v1/chats/config", &admin, json!({"TOOL_SEARCH_ALWAYS_LOADED": ["a", 1]})).await;
    assert_eq!(missing.status, 422);
    let kinds: Vec<(Value, Value)> = missing.body["detail"].as_array().into_iter().flatten().map(|e| (e["type"].clone(), e["loc"].clone())).collect();
    assert_eq!(
        kinds,
        [
            (json!("missing"), json!(["body", "ENABLE_CONTEXT_COMPACTION"])),
            (json!("missing"), json!(["body", "CONTEXT_COMPACTION_PROMPT_TEMPLATE"])),
            (json!("string_type"), json!(["body", "TOOL_SEARCH_ALWAYS_LOADED", 1]))
        ]
    );

    let saved = server
        .post(
            "/api/v1/chats/config",
            &admin,
            json!({"ENABLE_CONTEXT_COMPACTION": true, "CONTEXT_COMPACTION_PROMPT_TEMPLATE": "T", "CONTEXT_COMPACTION_MODEL": null,
                   "CONTEXT_COMPACTION_TOKEN_THRESHOLD": -5, "CONTEXT_COMPACTION_TOKEN_CAP": 0, "CONTEXT_COMPACTION_RETENTION_PERCENTAGE": 99,
                   "TOOL_SEARCH_DEFER_THRESHOLD": -1, "TOOL_SEARCH_ALWAYS_LOADED": [" a ", "", "  "], "ENABLE_TOOL_SEARCH": "yes"}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(
        saved.body,
        json!({
            "CONTEXT_COMPACTION_MODEL": "", "ENABLE_CONTEXT_COMPACTION": true, "CONTEXT_COMPACTION_TOKEN_THRESHOLD": 1,
            "CONTEXT_COMPACTION_TOKEN_CAP": 1, "CONTEXT_COMPACTION_RETENTION_PERCENTAGE": 50, "CONTEXT_COMPACTION_PROMPT_TEMPLATE": "T",
            "ENABLE_TOOL_PERMISSIONS": false, "ENABLE_TOOL_SEARCH": true, "TOOL_SEARCH_DEFER_THRESHOLD": 0,
            "TOOL_SEARCH_ALWAYS_LOADED": ["a"], "TOOL_SEARCH_DEFER_BUILTIN_TOOLS": true
        })
    );
    assert_eq!(server.get("/api/v1/chats/config", &admin).await.body, saved.body);
    let rows = server
        .rows("SELECT key, value, typeof(value) FROM config WHERE key LIKE 'chat.%' ORDER BY key", vec![])
        .await;
    assert_eq!(rows.len(), 11);
    assert!(rows.contains(&vec![json!("chat.context_compaction.enable"), json!("true"), json!("text")]));
    assert!(rows.contains(&vec![json!("chat.context_compaction.token_threshold"), json!(1), json!("integer")]));
    assert!(rows.contains(&vec![json!("chat.tool_search.always_loaded"), json!("[\"a\"]"), json!("text")]));
    assert!(rows.contains(&vec![json!("chat.context_compaction.model"), json!("\"\""), json!("text")]));
}

#[tokio::test]
async fn usage_stats_cover_branch_and_history() {
    let server = Server::start().await;
    let (admin, user, _) = server.admin_and_user().await;
    let id = create(&server, &user, chat_body()).await;
    let empty = create(&server, &user, json!({"chat": {"title": "empty"}})).await;
    server.rows("UPDATE chat SET updated_at = 50 WHERE id = ?", vec![empty.into()]).await;
    create(&server, &admin, chat_body()).await;
    // A pending message write is part of the stats.
    server.post(&format!("/api/v1/chats/{id}/messages/b"), &user, json!({"content": "hello there"})).await;
    let reply = server.get("/api/v1/chats/stats/usage", &user).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["total"], 2, "total counts every chat, skipped ones too");
    let updated_at = reply.body["items"][0]["updated_at"].clone();
    let created_at = reply.body["items"][0]["created_at"].clone();
    assert_eq!(
        reply.body["items"],
        json!([{
            "id": id, "models": {"m1": 1}, "message_count": 2, "history_models": {"m1": 1}, "history_message_count": 2,
            "history_user_message_count": 1, "history_assistant_message_count": 1, "average_response_time": 4.0,
            "average_user_message_content_length": 3.0, "average_assistant_message_content_length": 11.0, "tags": [],
            "last_message_at": 1700000004, "updated_at": updated_at, "created_at": created_at
        }])
    );
    let page2 = server.get("/api/v1/chats/stats/usage?items_per_page=1&page=2", &user).await;
    assert_eq!(page2.body["items"], json!([]), "page 2 of 1 holds the skipped empty chat");
    let bad = server.get("/api/v1/chats/stats/usage?page=x", &user).await;
    assert_eq!(bad.body["detail"][0]["type"], "int_parsing");
    assert_eq!(server.send("GET", "/api/v1/chats/stats/usage", None, None).await.status, 401);
}

#[tokio::test]
async fn stats_export_pages_streams_and_checks_access() {
    let server = Server::start().await;
    let (admin, user, user_id) = server.admin_and_user().await;
    let first = create(&server, &user, chat_body()).await;
    server.rows("UPDATE chat SET updated_at = 100 WHERE id = ?", vec![first.clone().into()]).await;
    let second = create(&server, &user, chat_body()).await;
    server.rows("UPDATE chat SET updated_at = 200 WHERE id = ?", vec![second.clone().into()]).await;

    let page = server.get("/api/v1/chats/stats/export", &user).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!((page.body["type"].clone(), page.body["total"].clone(), page.body["page"].clone()), (json!("chats"), json!(2), json!(1)));
    let item = &page.body["items"][0];
    assert_eq!(item["id"], first.as_str(), "oldest first");
    assert_eq!(
        item["chat"]["history"]["messages"]["b"],
        json!({"id": "b", "role": "assistant", "model": "m1", "content_length": 5, "token_count": null, "timestamp": 1700000004, "rating": 1, "tags": ["good"]})
    );
    assert_eq!(item["stats"]["average_response_time"], json!(4.0));
    assert_eq!(item["user_id"], user_id.as_str());
    let after = server.get("/api/v1/chats/stats/export?updated_at=100", &user).await;
    assert_eq!((after.body["total"].clone(), after.body["items"][0]["id"].clone()), (json!(1), json!(second)));

    let stream = server.get("/api/v1/chats/stats/export?stream=true", &user).await;
    assert_eq!(stream.status, 200);
    assert_eq!(stream.headers["content-type"], "application/x-ndjson");
    assert_eq!(stream.headers["content-disposition"], format!("attachment; filename=chat-stats-export-{user_id}.jsonl").as_str());
    let text = stream.body.as_str().unwrap_or_default().to_owned();
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap_or_default()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], page.body["items"][0]);

    let one = server.get(&format!("/api/v1/chats/stats/export/{first}"), &user).await;
    assert_eq!(one.body, page.body["items"][0]);
    server.get("/api/v1/chats/stats/export/unknown", &user).await.assert_error(404, E_NOT_FOUND);
    let (other, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    server.get(&format!("/api/v1/chats/stats/export/{first}"), &other).await.assert_error(401, E_PROHIBITED);
    assert_eq!(server.get(&format!("/api/v1/chats/stats/export/{first}"), &admin).await.status, 200);

    // Without community sharing, only admins may export.
    server
        .rows("INSERT INTO config (key, value, updated_at) VALUES ('ui.enable_community_sharing', 'false', 0)", vec![])
        .await;
    server.get("/api/v1/chats/stats/export", &user).await.assert_error(401, E_PROHIBITED);
    server.get(&format!("/api/v1/chats/stats/export/{first}"), &user).await.assert_error(401, E_PROHIBITED);
    assert_eq!(server.get("/api/v1/chats/stats/export", &admin).await.body["total"], 0);
}
