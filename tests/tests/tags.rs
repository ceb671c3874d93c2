//! The tag routes: `GET/POST/DELETE /{id}/tags`, `DELETE /{id}/tags/all`, `GET /all/tags`
//! and `POST /tags`, with the `tag` rows and `chat.meta.tags` checked in the database.

use chat_core::error::{E_DEFAULT, E_NOT_FOUND};
use integration_tests::Server;
use serde_json::{Value, json};

async fn create(server: &Server, token: &str, title: &str) -> String {
    let reply = server.post("/api/v1/chats/new", token, json!({"chat": {"title": title}})).await;
    assert_eq!(reply.status, 200, "create failed: {}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

async fn exec(server: &Server, sql: &str, params: Vec<libsql::Value>) {
    server.db().await.execute(sql, params).await.expect("execute");
}

async fn add(server: &Server, token: &str, chat: &str, name: &str) -> Value {
    let reply = server.post(&format!("/api/v1/chats/{chat}/tags"), token, json!({"name": name})).await;
    assert_eq!(reply.status, 200, "add tag failed: {}", reply.body);
    reply.body
}

async fn remove(server: &Server, token: &str, chat: &str, name: &str) -> Value {
    let reply = server.send("DELETE", &format!("/api/v1/chats/{chat}/tags"), Some(token), Some(json!({"name": name}))).await;
    assert_eq!(reply.status, 200, "remove tag failed: {}", reply.body);
    reply.body
}

async fn meta_tags(server: &Server, chat: &str) -> Value {
    let rows = server.rows("SELECT json_extract(meta, '$.tags') FROM chat WHERE id = ?", vec![chat.into()]).await;
    serde_json::from_str(rows[0][0].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

async fn tag_rows(server: &Server, user_id: &str) -> Vec<Vec<Value>> {
    server.rows("SELECT id, name FROM tag WHERE user_id = ? ORDER BY id", vec![user_id.into()]).await
}

fn tag(id: &str, name: &str, user_id: &str) -> Value {
    json!({"id": id, "name": name, "user_id": user_id, "meta": null})
}

#[tokio::test]
async fn add_list_and_remove_tags_with_garbage_collection() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let first = create(&server, &alice, "First").await;
    let second = create(&server, &alice, "Second").await;
    exec(&server, "UPDATE chat SET updated_at = 1000 WHERE id = ?", vec![first.clone().into()]).await;

    let added = add(&server, &alice, &first, "My Work").await;
    assert_eq!(added, json!([tag("my_work", "My Work", &alice_id)]));
    assert_eq!(meta_tags(&server, &first).await, json!(["my_work"]));
    let untouched = server.rows("SELECT updated_at FROM chat WHERE id = ?", vec![first.clone().into()]).await;
    assert_eq!(untouched, vec![vec![json!(1000)]], "adding a tag does not bump updated_at");

    // The same id in another spelling: no duplicate, and the first display name wins.
    assert_eq!(add(&server, &alice, &first, "my work").await, json!([tag("my_work", "My Work", &alice_id)]));
    let both = add(&server, &alice, &first, "Beta").await;
    assert_eq!(both, json!([tag("beta", "Beta", &alice_id), tag("my_work", "My Work", &alice_id)]), "by tag id");
    assert_eq!(meta_tags(&server, &first).await, json!(["my_work", "beta"]), "insertion order");
    let listed = server.get(&format!("/api/v1/chats/{first}/tags"), &alice).await;
    assert_eq!(listed.body, both);
    add(&server, &alice, &second, "beta").await;
    let all = server.get("/api/v1/chats/all/tags", &alice).await;
    assert_eq!(all.body, json!([tag("my_work", "My Work", &alice_id), tag("beta", "Beta", &alice_id)]));

    // Removing from one chat keeps the row while another chat still uses it.
    assert_eq!(remove(&server, &alice, &first, "BETA").await, json!([tag("my_work", "My Work", &alice_id)]));
    assert_eq!(meta_tags(&server, &first).await, json!(["my_work"]));
    assert_eq!(tag_rows(&server, &alice_id).await.len(), 2);
    assert_eq!(remove(&server, &alice, &second, "Beta").await, json!([]));
    assert_eq!(tag_rows(&server, &alice_id).await, vec![vec![json!("my_work"), json!("My Work")]]);
    // Removing a tag the chat does not have is harmless.
    assert_eq!(remove(&server, &alice, &second, "never").await, json!([]));
    assert_eq!(meta_tags(&server, &second).await, json!([]));
}

#[tokio::test]
async fn archived_chats_keep_their_tags_alive() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let archived = create(&server, &alice, "Old").await;
    let active = create(&server, &alice, "New").await;
    add(&server, &alice, &archived, "keep").await;
    add(&server, &alice, &active, "keep").await;
    server.post(&format!("/api/v1/chats/{archived}/archive"), &alice, json!({})).await;
    remove(&server, &alice, &active, "keep").await;
    assert_eq!(tag_rows(&server, &alice_id).await, vec![vec![json!("keep"), json!("keep")]]);
    // An internal chat does not count as a use (Open WebUI excludes them everywhere).
    exec(&server, "UPDATE chat SET meta = json_set(meta, '$.internal', json('true')) WHERE id = ?", vec![archived.clone().into()]).await;
    add(&server, &alice, &active, "keep").await;
    remove(&server, &alice, &active, "keep").await;
    assert_eq!(tag_rows(&server, &alice_id).await, Vec::<Vec<Value>>::new());
}

#[tokio::test]
async fn odd_names_normalise_like_python() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let chat = create(&server, &alice, "Odd").await;
    server.post(&format!("/api/v1/chats/{chat}/tags"), &alice, json!({"name": "None"})).await.assert_error(400, "[ERROR: Tag name cannot be 'None']");
    server.post(&format!("/api/v1/chats/{chat}/tags"), &alice, json!({"name": "NONE"})).await.assert_error(400, "[ERROR: Tag name cannot be 'None']");
    assert_eq!(meta_tags(&server, &chat).await, Value::Null, "nothing written for a rejected name");
    assert_eq!(tag_rows(&server, &alice_id).await, Vec::<Vec<Value>>::new());

    add(&server, &alice, &chat, "").await;
    add(&server, &alice, &chat, "Ä B\tC").await;
    add(&server, &alice, &chat, "x'); DROP TABLE tag;--").await;
    add(&server, &alice, &chat, "100%_done\u{0}").await;
    // The longest name accepted (tests/tests/limits.rs has the one over it).
    let big = "T".repeat(chat_core::limits::MAX_TAG_NAME_CHARS);
    add(&server, &alice, &chat, &big).await;
    let ids = meta_tags(&server, &chat).await;
    assert_eq!(ids, json!(["", "ä_b\tc", "x');_drop_table_tag;--", "100%_done", "t".repeat(chat_core::limits::MAX_TAG_NAME_CHARS)]));
    let names: Vec<Value> = tag_rows(&server, &alice_id).await.into_iter().map(|row| row[1].clone()).collect();
    assert_eq!(names.len(), 5);
    assert!(names.contains(&json!("Ä B\tC")) && names.contains(&json!(big)));

    // `%` and `_` are not wildcards when listing chats by tag.
    let other = create(&server, &alice, "Other").await;
    add(&server, &alice, &other, "100x_done").await;
    let by_tag = server.post("/api/v1/chats/tags", &alice, json!({"name": "100%_DONE"})).await;
    assert_eq!(by_tag.body.as_array().map(Vec::len), Some(1));
    assert_eq!(by_tag.body[0]["id"], chat.as_str());
}

#[tokio::test]
async fn bad_bodies_are_rejected_before_anything_changes() {
    let server = Server::start().await;
    let (_admin, alice, _) = server.admin_and_user().await;
    let chat = create(&server, &alice, "Body").await;
    let path = format!("/api/v1/chats/{chat}/tags");
    let malformed = server.send_raw("POST", &path, None, "{\"name\":").await;
    assert_eq!(malformed.status, 422, "malformed JSON is 422 even before auth");
    assert_eq!(malformed.body["detail"][0]["type"], "json_invalid");
    server.send("POST", &path, None, Some(json!({"name": "x"}))).await.assert_error(401, "Not authenticated");
    let missing = server.post(&path, &alice, json!({})).await;
    assert_eq!(missing.body, json!({"detail": [{"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": {}}]}));
    let number = server.post(&path, &alice, json!({"name": 5})).await;
    assert_eq!(number.body, json!({"detail": [{"type": "string_type", "loc": ["body", "name"], "msg": "Input should be a valid string", "input": 5}]}));
    let no_body = server.send("DELETE", &path, Some(&alice), None).await;
    assert_eq!(no_body.body, json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]}));
    let list = server.post(&path, &alice, json!(["x"])).await;
    assert_eq!(list.status, 422);
    assert_eq!(list.body["detail"][0]["type"], "model_attributes_type");
    let paging = server.post("/api/v1/chats/tags", &alice, json!({"name": "x", "skip": "a", "limit": 1.5})).await;
    assert_eq!(paging.status, 422);
    assert_eq!(paging.body["detail"][0]["type"], "int_parsing");
    assert_eq!(paging.body["detail"][1]["type"], "int_from_float");
    assert_eq!(meta_tags(&server, &chat).await, Value::Null);
    assert_eq!(server.rows("SELECT COUNT(*) FROM tag", vec![]).await, vec![vec![json!(0)]]);
    let wrong_method = server.send("PUT", &path, Some(&alice), Some(json!({"name": "x"}))).await;
    wrong_method.assert_error(405, "Method Not Allowed");
}

#[tokio::test]
async fn other_users_cannot_read_or_change_tags() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, bob_id) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let chat = create(&server, &alice, "Private").await;
    add(&server, &alice, &chat, "secret").await;
    let path = format!("/api/v1/chats/{chat}/tags");

    server.get(&path, &bob).await.assert_error(401, E_NOT_FOUND);
    server.post(&path, &bob, json!({"name": "pwned"})).await.assert_error(401, E_DEFAULT);
    server.send("DELETE", &path, Some(&bob), Some(json!({"name": "secret"}))).await.assert_error(401, E_NOT_FOUND);
    server.send("DELETE", &format!("{path}/all"), Some(&bob), None).await.assert_error(401, E_NOT_FOUND);
    server.get("/api/v1/chats/unknown/tags", &alice).await.assert_error(401, E_NOT_FOUND);
    server.post("/api/v1/chats/unknown/tags", &alice, json!({"name": "x"})).await.assert_error(401, E_DEFAULT);
    assert_eq!(server.get("/api/v1/chats/all/tags", &bob).await.body, json!([]));
    assert_eq!(server.post("/api/v1/chats/tags", &bob, json!({"name": "secret"})).await.body, json!([]));
    // Bob's empty result did not garbage-collect Alice's row.
    assert_eq!(tag_rows(&server, &alice_id).await, vec![vec![json!("secret"), json!("secret")]]);
    assert_eq!(meta_tags(&server, &chat).await, json!(["secret"]));

    // The same tag name is a separate row per user; removing Bob's leaves Alice's.
    let bobs = create(&server, &bob, "Bob's").await;
    add(&server, &bob, &bobs, "Secret").await;
    remove(&server, &bob, &bobs, "secret").await;
    assert_eq!(tag_rows(&server, &bob_id).await, Vec::<Vec<Value>>::new());
    assert_eq!(tag_rows(&server, &alice_id).await.len(), 1);

    // An admin (admin chat access on by default) reads the owner's tags.
    let seen = server.get(&path, &admin).await;
    assert_eq!(seen.body, json!([tag("secret", "secret", &alice_id)]));
}

#[tokio::test]
async fn delete_all_tags_of_a_chat() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let first = create(&server, &alice, "First").await;
    let second = create(&server, &alice, "Second").await;
    add(&server, &alice, &first, "only").await;
    add(&server, &alice, &first, "shared").await;
    add(&server, &alice, &second, "shared").await;
    let reply = server.send("DELETE", &format!("/api/v1/chats/{first}/tags/all"), Some(&alice), None).await;
    assert_eq!((reply.status, reply.body), (200, json!(true)));
    assert_eq!(meta_tags(&server, &first).await, json!([]));
    assert_eq!(tag_rows(&server, &alice_id).await, vec![vec![json!("shared"), json!("shared")]]);
    assert_eq!(meta_tags(&server, &second).await, json!(["shared"]));
    // Idempotent, and other methods on the path are 405.
    let again = server.send("DELETE", &format!("/api/v1/chats/{first}/tags/all"), Some(&alice), None).await;
    assert_eq!(again.body, json!(true));
    let wrong = server.send("POST", &format!("/api/v1/chats/{first}/tags/all"), Some(&alice), Some(json!({}))).await;
    wrong.assert_error(405, "Method Not Allowed");
}

#[tokio::test]
async fn chats_by_tag_name_orders_pages_and_collects_garbage_safely() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let mut ids = Vec::new();
    for (index, title) in ["a", "b", "c", "d"].iter().enumerate() {
        let id = create(&server, &alice, title).await;
        add(&server, &alice, &id, "Work").await;
        exec(&server, "UPDATE chat SET updated_at = ?, last_read_at = 5 WHERE id = ?", vec![(100 + index as i64).into(), id.clone().into()]).await;
        ids.push(id);
    }
    // Archived and folder chats are included; internal ones are not; untagged ones neither.
    server.post(&format!("/api/v1/chats/{}/archive", ids[0]), &alice, json!({})).await;
    exec(&server, "UPDATE chat SET updated_at = 100, folder_id = 'f' WHERE id = ?", vec![ids[0].clone().into()]).await;
    exec(&server, "UPDATE chat SET meta = json_set(meta, '$.internal', json('true')) WHERE id = ?", vec![ids[3].clone().into()]).await;
    create(&server, &alice, "untagged").await;

    let all = server.post("/api/v1/chats/tags", &alice, json!({"name": "work"})).await;
    assert_eq!(all.status, 200);
    assert_eq!(
        all.body[0],
        json!({"id": ids[2], "title": "c", "updated_at": 102, "created_at": all.body[0]["created_at"], "last_read_at": 5, "snippet": null, "active": false, "archived": false})
    );
    let order: Vec<&str> = all.body.as_array().into_iter().flatten().filter_map(|chat| chat["id"].as_str()).collect();
    assert_eq!(order, [ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);
    let page = server.post("/api/v1/chats/tags", &alice, json!({"name": "WORK", "skip": 1, "limit": 1})).await;
    assert_eq!(page.body.as_array().map(|chats| chats.len()), Some(1));
    assert_eq!(page.body[0]["id"], ids[1].as_str());
    let unlimited = server.post("/api/v1/chats/tags", &alice, json!({"name": "work", "limit": 0, "skip": null})).await;
    assert_eq!(unlimited.body.as_array().map(Vec::len), Some(3));

    // Paging past the end is empty but must not delete a tag that is still in use.
    let past = server.post("/api/v1/chats/tags", &alice, json!({"name": "work", "skip": 50})).await;
    assert_eq!(past.body, json!([]));
    assert_eq!(tag_rows(&server, &alice_id).await, vec![vec![json!("work"), json!("Work")]]);
    // A stale row nothing uses is removed by an empty lookup, as in Open WebUI.
    exec(&server, "INSERT INTO tag (id, name, user_id, meta) VALUES ('stale', 'Stale', ?, NULL)", vec![alice_id.clone().into()]).await;
    assert_eq!(server.post("/api/v1/chats/tags", &alice, json!({"name": "Stale"})).await.body, json!([]));
    assert_eq!(tag_rows(&server, &alice_id).await, vec![vec![json!("work"), json!("Work")]]);
}

/// Interop regression (scripts/interop-openwebui): Open WebUI 0.12.4 answers `GET /{id}/tags`
/// (and the `POST`/`DELETE` answers) with the tag rows sorted by id, whatever the order of
/// `meta.tags` (its SQLite query walks the tag table's primary key), so on a shared database
/// both servers must list them the same way; `meta.tags` itself keeps its order.
#[tokio::test]
async fn chat_tags_are_listed_by_tag_id_like_open_webui() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let chat = create(&server, &alice, "Tagged").await;
    add(&server, &alice, &chat, "zeta").await;
    add(&server, &alice, &chat, "Mid Tag").await;
    let answer = add(&server, &alice, &chat, "alpha").await;
    let sorted = json!([tag("alpha", "alpha", &alice_id), tag("mid_tag", "Mid Tag", &alice_id), tag("zeta", "zeta", &alice_id)]);
    assert_eq!(answer, sorted);
    assert_eq!(server.get(&format!("/api/v1/chats/{chat}/tags"), &alice).await.body, sorted);
    assert_eq!(meta_tags(&server, &chat).await, json!(["zeta", "mid_tag", "alpha"]));
    // A chat as Open WebUI leaves it: meta.tags in set() order, rows inserted in another order.
    exec(&server, "UPDATE chat SET meta = json_object('tags', json_array('zeta', 'alpha', 'mid_tag')) WHERE id = ?", vec![chat.clone().into()]).await;
    assert_eq!(server.get(&format!("/api/v1/chats/{chat}/tags"), &alice).await.body, sorted);
    let after = remove(&server, &alice, &chat, "Mid Tag").await;
    assert_eq!(after, json!([tag("alpha", "alpha", &alice_id), tag("zeta", "zeta", &alice_id)]));
}
