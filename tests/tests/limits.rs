//! Input limits (components/core/src/limits.rs, docs/reliability.md): JSON nesting depth,
//! title length, tags per chat and tag name length, client-chosen page sizes. Each answers
//! a 400 in Open WebUI's `{"detail": ...}` shape and leaves nothing half-written.

use chat_core::limits::{MAX_JSON_DEPTH, MAX_PAGE_SIZE, MAX_TAG_NAME_CHARS, MAX_TAGS_PER_CHAT, MAX_TITLE_CHARS};
use integration_tests::Server;
use serde_json::{Value, json};

/// `levels` arrays nested around `1`.
fn nested(levels: usize) -> Value {
    (0..levels).fold(json!(1), |inner, _| json!([inner]))
}

#[tokio::test]
async fn json_nested_deeper_than_the_cap_is_a_400_and_anything_accepted_stays_readable() {
    let server = Server::start().await;
    let (_admin, token, _) = server.admin_and_user().await;
    let too_deep = json!({"detail": format!("JSON nesting is deeper than {MAX_JSON_DEPTH} levels")});
    // Far deeper than serde_json's recursion limit, and just over the cap.
    let huge = format!("{{\"chat\": {}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let reply = server.send_raw("POST", "/api/v1/chats/new", Some(&token), &huge).await;
    assert_eq!((reply.status, reply.body.clone()), (400, too_deep.clone()));
    let over = json!({"chat": {"title": "deep", "x": nested(MAX_JSON_DEPTH - 1)}});
    let reply = server.post("/api/v1/chats/new", &token, over).await;
    assert_eq!((reply.status, reply.body.clone()), (400, too_deep.clone()));
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat", vec![]).await, vec![vec![json!(0)]], "nothing was stored");

    // At the cap: accepted, and the chat reads back whole.
    let at_cap = json!({"chat": {"title": "deep", "x": nested(MAX_JSON_DEPTH - 2), "history": {"currentId": "a1", "messages": {
        "a1": {"id": "a1", "parentId": null, "childrenIds": [], "role": "assistant", "content": "", "timestamp": 1_700_000_000}
    }}}});
    let created = server.post("/api/v1/chats/new", &token, at_cap).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();

    // Regression: an event nested just under serde_json's limit of 128 used to be answered
    // `true` and then lost: stored a few levels deeper (history.messages.a1.statusHistory[..])
    // it could no longer be parsed, so reads skipped it and the next full-chat write dropped
    // it from the chat JSON. Now it is refused, and what is accepted reads back whole.
    let event = json!({"type": "status", "data": {"description": "deep", "x": nested(120)}});
    let reply = server.post(&format!("/api/v1/chats/{id}/messages/a1/event"), &token, event).await;
    assert_eq!((reply.status, reply.body.clone()), (400, too_deep));
    let event = json!({"type": "status", "data": {"description": "ok", "x": nested(MAX_JSON_DEPTH - 3)}});
    let reply = server.post(&format!("/api/v1/chats/{id}/messages/a1/event"), &token, event).await;
    assert_eq!(reply.body, json!(true));
    let read = server.get(&format!("/api/v1/chats/{id}"), &token).await;
    assert_eq!(read.body["chat"]["x"], nested(MAX_JSON_DEPTH - 2));
    assert_eq!(read.body["chat"]["history"]["messages"]["a1"]["statusHistory"][0]["x"], nested(MAX_JSON_DEPTH - 3));
}

#[tokio::test]
async fn titles_longer_than_the_cap_are_refused_where_a_request_sets_them() {
    let server = Server::start().await;
    let (_admin, token, _) = server.admin_and_user().await;
    let long = "t".repeat(MAX_TITLE_CHARS + 1);
    let too_long = json!({"detail": format!("Title is longer than {MAX_TITLE_CHARS} characters")});
    for (path, body) in [
        ("/api/v1/chats/new", json!({"chat": {"title": long}})),
        ("/api/v1/chats/import", json!({"chats": [{"chat": {"title": "fine"}}, {"chat": {"title": long}}]})),
    ] {
        let reply = server.post(path, &token, body).await;
        assert_eq!((reply.status, &reply.body), (400, &too_long), "{path}");
    }
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat", vec![]).await, vec![vec![json!(0)]], "an import is all or nothing");

    // At the cap it is accepted (a whole long first message, as Open WebUI may store).
    let at_cap = "é".repeat(MAX_TITLE_CHARS);
    let created = server.post("/api/v1/chats/new", &token, json!({"chat": {"title": at_cap}})).await;
    assert_eq!(created.body["title"], json!(at_cap));
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let renamed = server.post(&format!("/api/v1/chats/{id}"), &token, json!({"chat": {"title": long}})).await;
    assert_eq!((renamed.status, &renamed.body), (400, &too_long));
    let cloned = server.post(&format!("/api/v1/chats/{id}/clone"), &token, json!({"title": long})).await;
    assert_eq!((cloned.status, &cloned.body), (400, &too_long));
    assert_eq!(server.get(&format!("/api/v1/chats/{id}"), &token).await.body["title"], json!(at_cap), "unchanged");

    // A title stored longer than the cap (by Open WebUI itself) may come back unchanged.
    server
        .db()
        .await
        .execute(
            "UPDATE chat SET title = ?1, chat = json_set(chat, '$.title', ?1) WHERE id = ?2",
            libsql::params![long.clone(), id.clone()],
        )
        .await
        .expect("update");
    let saved = server.post(&format!("/api/v1/chats/{id}"), &token, json!({"chat": {"title": long, "params": {"x": 1}}})).await;
    assert_eq!(saved.status, 200, "{}", saved.body["detail"]);
    assert_eq!(saved.body["chat"]["params"], json!({"x": 1}));
}

#[tokio::test]
async fn tags_per_chat_and_tag_names_are_capped() {
    let server = Server::start().await;
    let (_admin, token, _) = server.admin_and_user().await;
    let created = server.post("/api/v1/chats/new", &token, json!({"chat": {"title": "Tags"}})).await;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let tags = format!("/api/v1/chats/{id}/tags");

    let reply = server.post(&tags, &token, json!({"name": "n".repeat(MAX_TAG_NAME_CHARS + 1)})).await;
    assert_eq!((reply.status, reply.body), (400, json!({"detail": format!("Tag name is longer than {MAX_TAG_NAME_CHARS} characters")})));
    let reply = server.post(&tags, &token, json!({"name": "n".repeat(MAX_TAG_NAME_CHARS)})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Fill the chat to the cap directly, then one more through the API is refused.
    let full: Vec<String> = (0..MAX_TAGS_PER_CHAT).map(|index| format!("t{index}")).collect();
    server
        .db()
        .await
        .execute(
            "UPDATE chat SET meta = json_set(meta, '$.tags', json(?1)) WHERE id = ?2",
            libsql::params![json!(full).to_string(), id.clone()],
        )
        .await
        .expect("update");
    let reply = server.post(&tags, &token, json!({"name": "one too many"})).await;
    assert_eq!((reply.status, reply.body), (400, json!({"detail": format!("A chat can have at most {MAX_TAGS_PER_CHAT} tags")})));
    let rows = server.rows("SELECT COUNT(*) FROM tag WHERE id = 'one_too_many'", vec![]).await;
    assert_eq!(rows, vec![vec![json!(0)]], "the refused add left no tag row");
    let reply = server.post(&tags, &token, json!({"name": "t5"})).await;
    assert_eq!(reply.status, 200, "re-adding a tag the chat has is fine: {}", reply.body);

    // Imports are held to the same cap.
    let many: Vec<String> = (0..=MAX_TAGS_PER_CHAT).map(|index| format!("i{index}")).collect();
    let reply = server.post("/api/v1/chats/import", &token, json!({"chats": [{"chat": {"title": "x"}, "meta": {"tags": many}}]})).await;
    assert_eq!((reply.status, reply.body), (400, json!({"detail": format!("A chat can have at most {MAX_TAGS_PER_CHAT} tags")})));
}

#[tokio::test]
async fn client_chosen_page_sizes_are_bounded() {
    let server = Server::start().await;
    let (_admin, token, _) = server.admin_and_user().await;
    let count = MAX_PAGE_SIZE as usize + 5;
    let chats: Vec<Value> = (0..count).map(|index| json!({"chat": {"title": format!("c{index}")}, "meta": {"tags": ["bulk"]}})).collect();
    let imported = server.post("/api/v1/chats/import", &token, json!({"chats": chats})).await;
    assert_eq!(imported.body.as_array().map(Vec::len), Some(count), "{}", imported.status);
    for (limit, expected) in
        [(json!(null), 50), (json!(7), 7), (json!(0), MAX_PAGE_SIZE as usize), (json!(1_000_000), MAX_PAGE_SIZE as usize)]
    {
        let reply = server.post("/api/v1/chats/tags", &token, json!({"name": "bulk", "limit": limit})).await;
        assert_eq!(reply.body.as_array().map(Vec::len), Some(expected), "limit {limit}");
    }
    let rest = server.post("/api/v1/chats/tags", &token, json!({"name": "bulk", "skip": MAX_PAGE_SIZE, "limit": 0})).await;
    assert_eq!(rest.body.as_array().map(Vec::len), Some(5), "the rest is one page further");
}
