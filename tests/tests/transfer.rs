//! Import and export: `POST /import` (all or nothing), `GET /all` (streamed NDJSON),
//! `GET /all/db` and `GET /list/user/{id}` (admin), including a 2,000-chat round trip.

use chat_core::error::{E_DEFAULT, E_PROHIBITED};
use integration_tests::Server;
use serde_json::{Value, json};

fn conversation(title: &str, messages: usize, words: &str) -> Value {
    let mut map = serde_json::Map::new();
    let mut parent = Value::Null;
    for index in 0..messages {
        let id = format!("m{index}");
        let role = if index % 2 == 0 { "user" } else { "assistant" };
        map.insert(
            id.clone(),
            json!({"id": id, "parentId": parent, "childrenIds": if index + 1 < messages { json!([format!("m{}", index + 1)]) } else { json!([]) },
                   "role": role, "content": format!("{title} message {index}: {words}"), "timestamp": 1_700_000_000 + index as i64}),
        );
        parent = json!(id);
    }
    json!({"title": title, "models": ["m"], "history": {"messages": map, "currentId": parent}, "messages": []})
}

async fn export_lines(server: &Server, token: &str) -> Vec<Value> {
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/chats/all", server.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("export request");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/x-ndjson"));
    let text = response.text().await.expect("export body");
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines().map(|line| serde_json::from_str(line).expect("each line is JSON")).collect()
}

#[tokio::test]
async fn import_fields_tags_folders_and_rollback() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let body = json!({"chats": [
        {"chat": conversation("First", 2, "alpha"), "meta": {"tags": ["Work Stuff", "misc"]}, "pinned": true,
         "created_at": 1_600_000_000, "updated_at": 1_600_000_100, "folder_id": "not-mine", "id": "ignored"},
        {"chat": conversation("Second", 4, "beta"), "archived": true, "current_message_id": "m1", "variables": {"v": 1}},
        {"chat": {"messages": [{"id": "x", "role": "user", "content": "legacy"}]}}
    ]});
    let reply = server.post("/api/v1/chats/import", &alice, body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let chats = reply.body.as_array().cloned().unwrap_or_default();
    assert_eq!(chats.len(), 3);
    assert_ne!(chats[0]["id"], "ignored");
    assert_eq!((chats[0]["created_at"].clone(), chats[0]["updated_at"].clone()), (json!(1_600_000_000), json!(1_600_000_100)));
    assert_eq!(chats[0]["pinned"], true);
    assert_eq!(chats[0]["folder_id"], Value::Null, "a folder the importer cannot write is dropped");
    assert_eq!(chats[0]["meta"], json!({"tags": ["Work Stuff", "misc"]}), "meta is kept verbatim");
    assert_eq!(chats[0]["chat"]["history"]["messages"]["m0"]["user"], json!({"id": alice_id, "name": "Alice"}));
    assert_eq!(chats[1]["archived"], true);
    assert_eq!(chats[1]["current_message_id"], "m1");
    assert_eq!(chats[1]["variables"], json!({"v": 1}));
    assert_eq!(chats[2]["title"], "New Chat");
    assert_eq!(chats[2]["current_message_id"], "x");
    let tags = server.rows("SELECT id, name, user_id FROM tag ORDER BY id", vec![]).await;
    assert_eq!(tags, vec![vec![json!("misc"), json!("misc"), json!(alice_id)], vec![json!("work_stuff"), json!("Work Stuff"), json!(alice_id)]]);
    let messages = server.rows("SELECT COUNT(*) FROM chat_message", vec![]).await;
    assert_eq!(messages, vec![vec![json!(7)]], "2 + 4 + 1 legacy message rows");

    // All or nothing: a bad item anywhere rejects the whole import and writes nothing.
    let before = server.rows("SELECT COUNT(*) FROM chat", vec![]).await;
    let invalid = server
        .post("/api/v1/chats/import", &alice, json!({"chats": [{"chat": conversation("ok", 2, "x")}, {"chat": "nope", "pinned": "maybe"}]}))
        .await;
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.body["detail"][0]["loc"], json!(["body", "chats", 1, "chat"]));
    assert_eq!(invalid.body["detail"][1]["loc"], json!(["body", "chats", 1, "pinned"]));
    let fails_late = server
        .post("/api/v1/chats/import", &alice, json!({"chats": [{"chat": conversation("ok", 2, "x")}, {"chat": {"title": 7}}]}))
        .await;
    fails_late.assert_error(400, E_DEFAULT);
    let null_meta = server.post("/api/v1/chats/import", &alice, json!({"chats": [{"chat": {}, "meta": null}]})).await;
    null_meta.assert_error(400, E_DEFAULT);
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat", vec![]).await, before);
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat_message", vec![]).await, vec![vec![json!(7)]]);
    assert_eq!(server.post("/api/v1/chats/import", &alice, json!({"chats": {}})).await.status, 422);
    assert_eq!(server.send_raw("POST", "/api/v1/chats/import", Some(&alice), "{\"chats\": [").await.status, 422);

    // chat.import is required for non-admins (403, not 401).
    let strict = Server::start_with(&[("user_permissions", r#"{"chat":{"import":false}}"#)]).await;
    let (admin, carol, _) = strict.admin_and_user().await;
    strict.post("/api/v1/chats/import", &carol, json!({"chats": []})).await.assert_error(403, E_PROHIBITED);
    assert_eq!(strict.post("/api/v1/chats/import", &admin, json!({"chats": []})).await.body, json!([]));
}

#[tokio::test]
async fn export_streams_own_chats_and_admin_routes() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let body = json!({"chats": (0..250).map(|i| json!({"chat": conversation(&format!("c{i}"), 2, "w"), "updated_at": 1_700_000_000 + (i % 7), "archived": i == 3})).collect::<Vec<_>>()});
    let imported = server.post("/api/v1/chats/import", &alice, body).await;
    assert_eq!(imported.status, 200);
    server.post("/api/v1/chats/new", &bob, json!({"chat": conversation("bob", 2, "b")})).await;
    server.db().await.execute("UPDATE chat SET meta = '{\"internal\": true}' WHERE title = 'c5'", ()).await.expect("internal");

    let lines = export_lines(&server, &alice).await;
    assert_eq!(lines.len(), 249, "all of Alice's chats but the internal one, archived included, across 3 batches");
    let mut expected: Vec<(i64, String)> = lines.iter().map(|c| (c["updated_at"].as_i64().unwrap_or(0), c["id"].as_str().unwrap_or("").to_owned())).collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let got: Vec<(i64, String)> = lines.iter().map(|c| (c["updated_at"].as_i64().unwrap_or(0), c["id"].as_str().unwrap_or("").to_owned())).collect();
    assert_eq!(got, expected, "updated_at DESC, id");
    assert!(lines.iter().all(|c| c["user_id"] == alice_id.as_str()));
    let by_id: std::collections::HashMap<String, Value> = imported.body.as_array().into_iter().flatten()
        .map(|c| (c["id"].as_str().unwrap_or("").to_owned(), c.clone())).collect();
    for line in &lines {
        assert_eq!(Some(line), by_id.get(line["id"].as_str().unwrap_or("")), "exported exactly as imported");
    }
    assert!(export_lines(&server, &bob).await.len() == 1);

    // Admin-only routes.
    server.get("/api/v1/chats/all/db", &alice).await.assert_error(401, E_PROHIBITED);
    let everything = server.get("/api/v1/chats/all/db", &admin).await;
    assert_eq!(everything.body.as_array().map(Vec::len), Some(250));
    let listed = server.get(&format!("/api/v1/chats/list/user/{alice_id}?page=5"), &admin).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(9), "249 chats, 60 per page");
    let filtered = server.get(&format!("/api/v1/chats/list/user/{alice_id}?query=c24&order_by=title&direction=asc"), &admin).await;
    let titles: Vec<&str> = filtered.body.as_array().into_iter().flatten().filter_map(|c| c["title"].as_str()).collect();
    assert_eq!(titles, ["c24", "c240", "c241", "c242", "c243", "c244", "c245", "c246", "c247", "c248", "c249"]);
    server.get(&format!("/api/v1/chats/list/user/{alice_id}"), &alice).await.assert_error(401, E_PROHIBITED);
    let bad = server.get(&format!("/api/v1/chats/list/user/{alice_id}?order_by=chat&direction=asc"), &admin).await;
    bad.assert_error(400, "Invalid order_by field");

    let locked = Server::start_with(&[("enable_admin_export", "false"), ("enable_admin_chat_access", "false")]).await;
    let (admin2, _, user2) = locked.admin_and_user().await;
    locked.get("/api/v1/chats/all/db", &admin2).await.assert_error(401, E_PROHIBITED);
    locked.get(&format!("/api/v1/chats/list/user/{user2}"), &admin2).await.assert_error(401, E_PROHIBITED);
    locked.send("GET", "/api/v1/chats/all", None, None).await.assert_error(401, "Not authenticated");
}

/// The issue's round trip: 2,000 chats of 20 messages imported, searched with snippets and
/// combined filters, and exported back identical.
#[tokio::test]
async fn two_thousand_chats_round_trip() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    server
        .db()
        .await
        .execute(
            "INSERT INTO folder (id, parent_id, user_id, name, is_expanded, created_at, updated_at) VALUES ('proj', NULL, ?1, 'Projects', 0, 0, 0)",
            [alice_id.as_str()],
        )
        .await
        .expect("folder");
    let chats: Vec<Value> = (0..2000)
        .map(|i| {
            let topic = if i % 100 == 7 { "zebra migration patterns" } else { "ordinary chatter" };
            let tags = if i % 2 == 0 { json!(["even"]) } else { json!(["odd"]) };
            json!({"chat": conversation(&format!("chat {i:04}"), 20, topic), "meta": {"tags": tags},
                   "folder_id": if i % 10 == 7 { json!("proj") } else { Value::Null }, "updated_at": 1_700_000_000 + i})
        })
        .collect();
    let started = std::time::Instant::now();
    let imported = server.post("/api/v1/chats/import", &alice, json!({"chats": chats})).await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    println!("imported 2,000 chats x 20 messages in {:?}", started.elapsed());
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat_message", vec![]).await, vec![vec![json!(40_000)]]);

    let found = server.get("/api/v1/chats/search?text=zebra%20migration", &alice).await;
    let titles: Vec<&str> = found.body.as_array().into_iter().flatten().filter_map(|c| c["title"].as_str()).collect();
    assert_eq!(titles.len(), 20, "every 100th chat talks about zebras");
    assert_eq!(titles[0], "chat 1907", "newest first");
    assert_eq!(found.body[0]["snippet"], "chat 1907 message 0: zebra migration patterns");
    // Tag and folder filters combine (AND): odd chats (all i%100==7 are odd) in folder Projects.
    let filtered = server.get("/api/v1/chats/search?text=zebra%20tag:odd%20folder:projects", &alice).await;
    assert_eq!(filtered.body.as_array().map(Vec::len), Some(20));
    let none = server.get("/api/v1/chats/search?text=zebra%20tag:even", &alice).await;
    assert_eq!(none.body, json!([]));

    let started = std::time::Instant::now();
    let lines = export_lines(&server, &alice).await;
    println!("exported 2,000 chats in {:?}", started.elapsed());
    assert_eq!(lines.len(), 2000);
    let imported_by_id: std::collections::HashMap<&str, &Value> = imported.body.as_array().into_iter().flatten()
        .map(|c| (c["id"].as_str().unwrap_or(""), c)).collect();
    for line in &lines {
        assert_eq!(Some(&line), imported_by_id.get(line["id"].as_str().unwrap_or("")), "identical");
    }
}
