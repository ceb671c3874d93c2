//! The folders API (`/api/v1/folders/...`) and the chats API's folder routes
//! (`GET /folder/{id}`, `GET /folder/{id}/list`, `POST /{id}/folder`), with the `folder`
//! and `chat` rows checked afterwards.

use chat_core::error::{E_DEFAULT, E_NOT_FOUND, E_PROHIBITED};
use integration_tests::Server;
use serde_json::{Value, json};

const EXISTS: &str = "[ERROR: Folder already exists]";

async fn exec(server: &Server, sql: &str, params: Vec<libsql::Value>) {
    server.db().await.execute(sql, params).await.expect("execute");
}

async fn folder(server: &Server, token: &str, body: Value) -> Value {
    let reply = server.post("/api/v1/folders/", token, body).await;
    assert_eq!(reply.status, 200, "create folder failed: {}", reply.body);
    reply.body
}

async fn chat(server: &Server, token: &str, title: &str, folder_id: Option<&str>) -> String {
    let reply = server.post("/api/v1/chats/new", token, json!({"chat": {"title": title}, "folder_id": folder_id})).await;
    assert_eq!(reply.status, 200, "create chat failed: {}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().into_iter().flatten().map(id).collect()
}

#[tokio::test]
async fn create_list_and_get_folders() {
    let server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let work = folder(&server, &alice, json!({"name": "Work"})).await;
    let keys: Vec<&str> = work.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(keys, ["id", "parent_id", "user_id", "name", "items", "meta", "data", "is_expanded", "created_at", "updated_at"]);
    assert_eq!(
        (&work["parent_id"], &work["user_id"], &work["name"], &work["items"], &work["meta"], &work["data"], &work["is_expanded"]),
        (&Value::Null, &json!(alice_id), &json!("Work"), &Value::Null, &Value::Null, &Value::Null, &json!(false))
    );
    assert_eq!(work["created_at"], work["updated_at"]);
    let child = folder(
        &server,
        &alice,
        json!({"name": "Reports", "parent_id": id(&work), "meta": {"icon": "📁", "color": "red"}, "data": {"share_mode": "continue"}}),
    )
    .await;
    assert_eq!(child["parent_id"], id(&work).as_str());
    assert_eq!(child["data"], json!({"share_mode": "continue"}));

    // Names clash case-insensitively among siblings only.
    server.post("/api/v1/folders/", &alice, json!({"name": "WORK"})).await.assert_error(400, EXISTS);
    server.post("/api/v1/folders/", &alice, json!({"name": "reports", "parent_id": id(&work)})).await.assert_error(400, EXISTS);
    folder(&server, &alice, json!({"name": "Work", "parent_id": id(&work)})).await;
    assert_eq!(server.rows("SELECT COUNT(*) FROM folder", vec![]).await, vec![vec![json!(3)]]);

    chat(&server, &alice, "unread", Some(&id(&child))).await;
    let listed = server.get("/api/v1/folders/", &alice).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body.as_array().map(Vec::len), Some(3));
    assert_eq!(
        listed.body[0],
        json!({"id": id(&work), "name": "Work", "meta": null, "parent_id": null, "is_expanded": false,
               "unread_count": 0, "created_at": work["created_at"], "updated_at": work["updated_at"]})
    );
    assert_eq!(listed.body[1]["meta"], json!({"icon": "📁"}), "meta narrowed to the icon");
    assert_eq!(listed.body[1]["parent_id"], id(&work).as_str());
    // A freshly created chat counts as read, so the counts stay 0 until it is marked unread.
    let chats = server.get(&format!("/api/v1/chats/folder/{}", id(&child)), &alice).await;
    server.post(&format!("/api/v1/chats/{}/unread", id(&chats.body[0])), &alice, json!({})).await;
    let counted = server.get("/api/v1/folders", &alice).await;
    assert_eq!((counted.body[0]["unread_count"].clone(), counted.body[1]["unread_count"].clone()), (json!(1), json!(1)), "rolled up to the parent");

    let got = server.get(&format!("/api/v1/folders/{}", id(&child)), &alice).await;
    let mut expected = child.clone();
    expected["access_grants"] = json!([]);
    expected["write_access"] = json!(true);
    assert_eq!(got.body, expected);
}

#[tokio::test]
async fn folder_bodies_are_validated_like_pydantic() {
    let server = Server::start().await;
    let (_admin, alice, _) = server.admin_and_user().await;
    let extra = server.post("/api/v1/folders/", &alice, json!({"name": "x", "items": {}})).await;
    assert_eq!(extra.body, json!({"detail": [{"type": "extra_forbidden", "loc": ["body", "items"], "msg": "Extra inputs are not permitted", "input": {}}]}));
    let wrong = server.post("/api/v1/folders/", &alice, json!({"data": [1], "parent_id": 3})).await;
    let kinds: Vec<&str> = wrong.body["detail"].as_array().into_iter().flatten().filter_map(|error| error["type"].as_str()).collect();
    assert_eq!(kinds, ["missing", "dict_type", "string_type"]);
    let malformed = server.send_raw("POST", "/api/v1/folders/", None, "{\"name\"").await;
    assert_eq!(malformed.status, 422);
    assert_eq!(malformed.body["detail"][0]["type"], "json_invalid");
    server.send("POST", "/api/v1/folders/", None, Some(json!({"name": "x"}))).await.assert_error(401, "Not authenticated");
    server.send("GET", "/api/v1/folders/", None, None).await.assert_error(401, "Not authenticated");
    assert_eq!(server.rows("SELECT COUNT(*) FROM folder", vec![]).await, vec![vec![json!(0)]]);
    // SQL metacharacters, NUL bytes and huge names are data.
    let odd = folder(&server, &alice, json!({"name": "a'); DROP TABLE folder;--\u{0}%_"})).await;
    assert_eq!(odd["name"], "a'); DROP TABLE folder;--%_", "NUL bytes are dropped, the rest is kept");
    let big = folder(&server, &alice, json!({"name": "n".repeat(100_000)})).await;
    assert_eq!(big["name"].as_str().map(str::len), Some(100_000));
    server.send("PUT", "/api/v1/folders/", Some(&alice), None).await.assert_error(405, "Method Not Allowed");
    server.send("PATCH", &format!("/api/v1/folders/{}", id(&odd)), Some(&alice), None).await.assert_error(405, "Method Not Allowed");
}

#[tokio::test]
async fn rename_and_merge_folder_settings() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let work = folder(&server, &alice, json!({"name": "Work", "data": {"a": 1}, "meta": {"icon": "x"}})).await;
    folder(&server, &alice, json!({"name": "Home"})).await;
    let path = format!("/api/v1/folders/{}/update", id(&work));

    let renamed = server.post(&path, &alice, json!({"name": "Job", "data": {"b": 2}, "meta": {"icon": "y"}})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!((&renamed.body["name"], &renamed.body["data"], &renamed.body["meta"]), (&json!("Job"), &json!({"a": 1, "b": 2}), &json!({"icon": "y"})));
    // Renaming to its own name in other case is allowed; to a sibling's is not.
    assert_eq!(server.post(&path, &alice, json!({"name": "JOB"})).await.body["name"], "JOB");
    server.post(&path, &alice, json!({"name": "home"})).await.assert_error(400, EXISTS);
    server.post(&path, &alice, json!({"name": null})).await.assert_error(400, "[ERROR: Error updating folder]");
    server.post(&path, &alice, json!({"data": null})).await.assert_error(400, "[ERROR: Error updating folder]");
    let extra = server.post(&path, &alice, json!({"parent_id": "x"})).await;
    assert_eq!(extra.body["detail"][0]["type"], "extra_forbidden");
    let stored = server.rows("SELECT name, data, meta FROM folder WHERE id = ?", vec![id(&work).into()]).await;
    assert_eq!(stored, vec![vec![json!("JOB"), json!("{\"a\":1,\"b\":2}"), json!("{\"icon\":\"y\"}")]]);

    // Another user sees nothing, changes nothing.
    server.post(&path, &bob, json!({"name": "pwned"})).await.assert_error(404, E_NOT_FOUND);
    server.get(&format!("/api/v1/folders/{}", id(&work)), &bob).await.assert_error(404, E_NOT_FOUND);
    server.post("/api/v1/folders/unknown/update", &alice, json!({"name": "x"})).await.assert_error(404, E_NOT_FOUND);
    assert_eq!(server.get("/api/v1/folders/", &bob).await.body, json!([]));
    // An admin may rename anyone's folder (and reads it with write access).
    let by_admin = server.post(&path, &admin, json!({"name": "Renamed"})).await;
    assert_eq!(by_admin.body["user_id"], work["user_id"]);
    assert_eq!(server.get(&format!("/api/v1/folders/{}", id(&work)), &admin).await.body["write_access"], json!(true));
}

#[tokio::test]
async fn move_folders_without_cycles() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let top = folder(&server, &alice, json!({"name": "Top"})).await;
    let middle = folder(&server, &alice, json!({"name": "Middle", "parent_id": id(&top)})).await;
    let bottom = folder(&server, &alice, json!({"name": "Bottom", "parent_id": id(&middle)})).await;
    folder(&server, &alice, json!({"name": "bottom"})).await;
    let move_to = |folder: &Value| format!("/api/v1/folders/{}/update/parent", id(folder));

    let cycle = "[ERROR: Cannot move a folder into itself or one of its subfolders]";
    server.post(&move_to(&top), &alice, json!({"parent_id": id(&bottom)})).await.assert_error(400, cycle);
    server.post(&move_to(&top), &alice, json!({"parent_id": id(&top)})).await.assert_error(400, cycle);
    server.post(&move_to(&bottom), &alice, json!({"parent_id": null})).await.assert_error(400, EXISTS);
    let moved = server.post(&move_to(&bottom), &alice, json!({"parent_id": id(&top)})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["parent_id"], id(&top).as_str());
    let to_root = server.post(&move_to(&middle), &alice, json!({})).await;
    assert_eq!(to_root.body["parent_id"], Value::Null);
    server.post(&move_to(&middle), &bob, json!({"parent_id": null})).await.assert_error(404, E_NOT_FOUND);
    let wrong = server.post(&move_to(&middle), &alice, json!({"parent_id": ["x"]})).await;
    assert_eq!(wrong.body["detail"][0]["type"], "string_type");
    let parents = server.rows("SELECT name, parent_id IS NULL FROM folder ORDER BY rowid", vec![]).await;
    assert_eq!(parents, vec![vec![json!("Top"), json!(1)], vec![json!("Middle"), json!(1)], vec![json!("Bottom"), json!(0)], vec![json!("bottom"), json!(1)]]);

    // A parent loop or a missing parent written by someone else is repaired by the list.
    exec(&server, "UPDATE folder SET parent_id = ? WHERE id = ?", vec![id(&bottom).into(), id(&top).into()]).await;
    exec(&server, "UPDATE folder SET parent_id = 'gone' WHERE id = ?", vec![id(&middle).into()]).await;
    let listed = server.get("/api/v1/folders/", &alice).await;
    let roots: Vec<&Value> = listed.body.as_array().into_iter().flatten().filter(|folder| folder["parent_id"].is_null()).collect();
    assert_eq!(roots.len(), 3, "top (loop broken), middle (orphan) and the other root: {}", listed.body);
    let stored = server.rows("SELECT COUNT(*) FROM folder WHERE parent_id IS NULL", vec![]).await;
    assert_eq!(stored, vec![vec![json!(3)]]);
}

#[tokio::test]
async fn toggle_expanded() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let work = folder(&server, &alice, json!({"name": "Work"})).await;
    let path = format!("/api/v1/folders/{}/update/expanded", id(&work));
    let open = server.post(&path, &alice, json!({"is_expanded": true})).await;
    assert_eq!(open.body["is_expanded"], json!(true));
    assert_eq!(server.post(&path, &alice, json!({"is_expanded": "off"})).await.body["is_expanded"], json!(false));
    let bad = server.post(&path, &alice, json!({"is_expanded": "maybe"})).await;
    assert_eq!(bad.body, json!({"detail": [{"type": "bool_parsing", "loc": ["body", "is_expanded"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"}]}));
    let missing = server.post(&path, &alice, json!({})).await;
    assert_eq!(missing.body["detail"][0]["type"], "missing");
    server.post(&path, &bob, json!({"is_expanded": true})).await.assert_error(404, E_NOT_FOUND);
    server.post("/api/v1/folders/nope/update/expanded", &alice, json!({"is_expanded": true})).await.assert_error(404, E_NOT_FOUND);
    // An admin gets the folder back unchanged.
    let by_admin = server.post(&path, &admin, json!({"is_expanded": true})).await;
    assert_eq!(by_admin.body["is_expanded"], json!(false));
    assert_eq!(server.rows("SELECT is_expanded FROM folder", vec![]).await, vec![vec![json!(0)]]);
}

#[tokio::test]
async fn delete_folder_with_its_chats_and_unused_tags() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, bob_id) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let top = folder(&server, &alice, json!({"name": "Top"})).await;
    let child = folder(&server, &alice, json!({"name": "Child", "parent_id": id(&top)})).await;
    let other = folder(&server, &alice, json!({"name": "Other"})).await;
    let in_top = chat(&server, &alice, "in top", Some(&id(&top))).await;
    let in_child = chat(&server, &alice, "in child", Some(&id(&child))).await;
    let in_other = chat(&server, &alice, "in other", Some(&id(&other))).await;
    let at_root = chat(&server, &alice, "root", None).await;
    for (chat_id, tag) in [(&in_top, "doomed"), (&in_child, "kept"), (&at_root, "kept")] {
        server.post(&format!("/api/v1/chats/{chat_id}/tags"), &alice, json!({"name": tag})).await;
    }
    // Bob's chat inside Alice's (shared) folder, and a grant on the child folder.
    let bobs = chat(&server, &bob, "bob's", None).await;
    exec(&server, "UPDATE chat SET folder_id = ? WHERE id = ?", vec![id(&child).into(), bobs.clone().into()]).await;
    exec(
        &server,
        "INSERT INTO access_grant (id, resource_type, resource_id, principal_type, principal_id, permission, created_at) VALUES ('g1', 'folder', ?, 'user', ?, 'read', 0)",
        vec![id(&child).into(), bob_id.clone().into()],
    )
    .await;

    server.send("DELETE", &format!("/api/v1/folders/{}", id(&top)), Some(&bob), None).await.assert_error(403, E_PROHIBITED);
    server.send("DELETE", "/api/v1/folders/unknown", Some(&alice), None).await.assert_error(404, E_NOT_FOUND);
    let bad_flag = server.send("DELETE", &format!("/api/v1/folders/{}?delete_contents=perhaps", id(&top)), Some(&alice), None).await;
    assert_eq!(bad_flag.status, 422);

    let deleted = server.send("DELETE", &format!("/api/v1/folders/{}", id(&top)), Some(&alice), None).await;
    assert_eq!((deleted.status, deleted.body), (200, json!(true)));
    let folders = server.rows("SELECT name FROM folder", vec![]).await;
    assert_eq!(folders, vec![vec![json!("Other")]]);
    let chats = server.rows("SELECT title, folder_id FROM chat ORDER BY title", vec![]).await;
    assert_eq!(
        chats,
        vec![vec![json!("bob's"), Value::Null], vec![json!("in other"), json!(id(&other))], vec![json!("root"), Value::Null]]
    );
    let messages = server.rows("SELECT COUNT(*) FROM chat_message WHERE chat_id IN (?, ?)", vec![in_top.into(), in_child.into()]).await;
    assert_eq!(messages, vec![vec![json!(0)]]);
    let tags = server.rows("SELECT id FROM tag WHERE user_id = ?", vec![alice_id.into()]).await;
    assert_eq!(tags, vec![vec![json!("kept")]], "the tag only the deleted chat used is gone");
    assert_eq!(server.rows("SELECT COUNT(*) FROM access_grant", vec![]).await, vec![vec![json!(0)]]);
    let bobs_chat = server.get(&format!("/api/v1/chats/{bobs}"), &bob).await;
    assert_eq!(bobs_chat.body["folder_id"], Value::Null);
    assert_eq!(server.get(&format!("/api/v1/chats/{in_other}"), &alice).await.status, 200);
}

#[tokio::test]
async fn delete_folder_keeping_chats_and_permissions() {
    let server = Server::start_with(&[("user_permissions", r#"{"chat":{"delete":false}}"#)]).await;
    let (admin, alice, _) = server.admin_and_user().await;
    let work = folder(&server, &alice, json!({"name": "Work"})).await;
    let kept = chat(&server, &alice, "kept", Some(&id(&work))).await;
    // Deleting the contents needs chat.delete; moving them out does not.
    server.send("DELETE", &format!("/api/v1/folders/{}", id(&work)), Some(&alice), None).await.assert_error(403, E_PROHIBITED);
    let reply = server.send("DELETE", &format!("/api/v1/folders/{}?delete_contents=false", id(&work)), Some(&alice), None).await;
    assert_eq!(reply.body, json!(true));
    assert_eq!(server.rows("SELECT folder_id FROM chat WHERE id = ?", vec![kept.into()]).await, vec![vec![Value::Null]]);
    assert_eq!(server.rows("SELECT COUNT(*) FROM folder", vec![]).await, vec![vec![json!(0)]]);
    // An empty folder may be deleted without chat.delete; an admin may delete anyone's.
    let empty = folder(&server, &alice, json!({"name": "Empty"})).await;
    let other = folder(&server, &alice, json!({"name": "Other"})).await;
    assert_eq!(server.send("DELETE", &format!("/api/v1/folders/{}", id(&empty)), Some(&alice), None).await.body, json!(true));
    assert_eq!(server.send("DELETE", &format!("/api/v1/folders/{}", id(&other)), Some(&admin), None).await.body, json!(true));
    assert_eq!(server.rows("SELECT COUNT(*) FROM folder", vec![]).await, vec![vec![json!(0)]]);
}

#[tokio::test]
async fn folders_feature_switches() {
    let server = Server::start_with(&[("user_permissions", r#"{"features":{"folders":false}}"#)]).await;
    let (admin, alice, _) = server.admin_and_user().await;
    server.get("/api/v1/folders/", &alice).await.assert_error(403, E_PROHIBITED);
    server.post("/api/v1/folders/", &alice, json!({"name": "x"})).await.assert_error(403, E_PROHIBITED);
    assert_eq!(server.get("/api/v1/folders/", &admin).await.status, 200, "admins are not limited by permissions");
    exec(&server, "INSERT INTO config (key, value, updated_at) VALUES ('folders.enable', 'false', 0)", vec![]).await;
    server.get("/api/v1/folders/", &admin).await.assert_error(403, E_PROHIBITED);
}

#[tokio::test]
async fn move_chats_between_folders() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let work = folder(&server, &alice, json!({"name": "Work"})).await;
    let bobs_folder = folder(&server, &bob, json!({"name": "Bob's"})).await;
    let chat_id = chat(&server, &alice, "Move me", None).await;
    server.post(&format!("/api/v1/chats/{chat_id}/pin"), &alice, json!({})).await;
    server.post(&format!("/api/v1/chats/{chat_id}/archive"), &alice, json!({})).await;
    exec(&server, "UPDATE chat SET updated_at = 5, last_read_at = 5 WHERE id = ?", vec![chat_id.clone().into()]).await;
    let path = format!("/api/v1/chats/{chat_id}/folder");

    let moved = server.post(&path, &alice, json!({"folder_id": id(&work)})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!((&moved.body["folder_id"], &moved.body["pinned"], &moved.body["archived"]), (&json!(id(&work)), &json!(false), &json!(false)));
    assert_eq!(moved.body["user_id"], alice_id.as_str());
    let stored = server.rows("SELECT updated_at > 5, last_read_at = updated_at FROM chat WHERE id = ?", vec![chat_id.clone().into()]).await;
    assert_eq!(stored, vec![vec![json!(1), json!(1)]]);

    // Out of any folder: archived state is left alone (archive it first to see).
    exec(&server, "UPDATE chat SET archived = 1 WHERE id = ?", vec![chat_id.clone().into()]).await;
    let out = server.post(&path, &alice, json!({"folder_id": null})).await;
    assert_eq!((&out.body["folder_id"], &out.body["archived"]), (&Value::Null, &json!(true)));
    let out_again = server.post(&path, &alice, json!({})).await;
    assert_eq!(out_again.status, 200);

    server.post(&path, &alice, json!({"folder_id": id(&bobs_folder)})).await.assert_error(404, E_NOT_FOUND);
    server.post(&path, &alice, json!({"folder_id": "missing"})).await.assert_error(404, E_NOT_FOUND);
    server.post(&path, &bob, json!({"folder_id": id(&bobs_folder)})).await.assert_error(401, E_DEFAULT);
    server.post("/api/v1/chats/unknown/folder", &alice, json!({"folder_id": null})).await.assert_error(401, E_DEFAULT);
    let wrong = server.post(&path, &alice, json!({"folder_id": 7})).await;
    assert_eq!(wrong.body["detail"][0]["type"], "string_type");
    server.send("GET", &path, Some(&alice), None).await.assert_error(405, "Method Not Allowed");
    let stored = server.rows("SELECT folder_id FROM chat WHERE id = ?", vec![chat_id.into()]).await;
    assert_eq!(stored, vec![vec![Value::Null]], "failed moves changed nothing");
}

#[tokio::test]
async fn folder_owner_moves_a_guests_chat_within_the_shared_tree() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let root = folder(&server, &alice, json!({"name": "Root"})).await;
    let left = folder(&server, &alice, json!({"name": "Left", "parent_id": id(&root)})).await;
    let right = folder(&server, &alice, json!({"name": "Right", "parent_id": id(&root)})).await;
    let elsewhere = folder(&server, &alice, json!({"name": "Elsewhere"})).await;
    let bobs = server.post("/api/v1/chats/new", &bob, json!({"chat": {"title": "guest", "params": {"x": 1}}, "variables": {"v": 1}})).await;
    let bobs = id(&bobs.body);
    exec(&server, "UPDATE chat SET folder_id = ?, updated_at = 1, last_read_at = 1 WHERE id = ?", vec![id(&left).into(), bobs.clone().into()]).await;
    let path = format!("/api/v1/chats/{bobs}/folder");

    let moved = server.post(&path, &alice, json!({"folder_id": id(&right)})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["folder_id"], id(&right).as_str());
    assert_eq!(moved.body["variables"], json!({}), "the folder owner sees the viewer projection");
    assert!(moved.body["chat"].get("params").is_none());
    let read = server.rows("SELECT last_read_at = updated_at FROM chat WHERE id = ?", vec![bobs.clone().into()]).await;
    assert_eq!(read, vec![vec![json!(0)]], "last_read_at is only set for the owner");
    // Not out of the tree, and not out of folders altogether.
    server.post(&path, &alice, json!({"folder_id": id(&elsewhere)})).await.assert_error(401, E_DEFAULT);
    server.post(&path, &alice, json!({"folder_id": null})).await.assert_error(401, E_DEFAULT);
    // A grant makes Left the shared root: Right (outside it) is then another tree.
    exec(
        &server,
        "INSERT INTO access_grant (id, resource_type, resource_id, principal_type, principal_id, permission, created_at) VALUES ('g', 'folder', ?, 'user', '*', 'read', 0)",
        vec![id(&left).into()],
    )
    .await;
    exec(&server, "UPDATE chat SET folder_id = ? WHERE id = ?", vec![id(&left).into(), bobs.clone().into()]).await;
    server.post(&path, &alice, json!({"folder_id": id(&right)})).await.assert_error(401, E_DEFAULT);
}

#[tokio::test]
async fn folder_chat_lists() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let top = folder(&server, &alice, json!({"name": "Top"})).await;
    let child = folder(&server, &alice, json!({"name": "Child", "parent_id": id(&top)})).await;
    let mut in_top = Vec::new();
    for index in 0..12 {
        let chat_id = chat(&server, &alice, &format!("t{index:02}"), Some(&id(&top))).await;
        exec(&server, "UPDATE chat SET updated_at = ?, last_read_at = ? WHERE id = ?", vec![(100 + index).into(), (100 + index).into(), chat_id.clone().into()]).await;
        in_top.push(chat_id);
    }
    let in_child = chat(&server, &alice, "child", Some(&id(&child))).await;
    exec(&server, "UPDATE chat SET updated_at = 50, last_read_at = 50 WHERE id = ?", vec![in_child.clone().into()]).await;
    // Pinned, archived and internal chats are not listed in folders.
    for (index, sql) in [
        (0, "UPDATE chat SET pinned = 1 WHERE id = ?"),
        (1, "UPDATE chat SET archived = 1 WHERE id = ?"),
        (2, "UPDATE chat SET meta = json_set(meta, '$.internal', json('true')) WHERE id = ?"),
    ] {
        exec(&server, sql, vec![in_top[index].clone().into()]).await;
    }
    // One unread chat goes first by default.
    exec(&server, "UPDATE chat SET last_read_at = 0 WHERE id = ?", vec![in_top[3].clone().into()]).await;

    let subtree = server.get(&format!("/api/v1/chats/folder/{}", id(&top)), &alice).await;
    let mut expected: Vec<String> = in_top[3..].iter().rev().cloned().collect();
    expected.push(in_child.clone());
    assert_eq!(ids(&subtree.body), expected, "newest first, the child folder included");
    assert_eq!(subtree.body[0]["chat"]["title"], "t11", "full ChatResponses");
    let only_child = server.get(&format!("/api/v1/chats/folder/{}", id(&child)), &alice).await;
    assert_eq!(ids(&only_child.body), [in_child.clone()]);

    let page1 = server.get(&format!("/api/v1/chats/folder/{}/list", id(&top)), &alice).await;
    assert_eq!(page1.status, 200);
    let mut unread_first = vec![in_top[3].clone()];
    unread_first.extend(in_top[4..].iter().rev().cloned());
    assert_eq!(ids(&page1.body), unread_first[..9].to_vec(), "9 visible chats, unread first, this folder only");
    assert_eq!(page1.body[0]["last_read_at"], json!(0));
    let by_title = server.get(&format!("/api/v1/chats/folder/{}/list?sort_by=title&sort_dir=asc&page=1", id(&top)), &alice).await;
    assert_eq!(by_title.body[0]["title"], "t03");
    let page2 = server.get(&format!("/api/v1/chats/folder/{}/list?page=2", id(&top)), &alice).await;
    assert_eq!(page2.body, json!([]));
    // Eleven visible chats after un-pinning two: page 2 holds the last one.
    exec(&server, "UPDATE chat SET pinned = 0, archived = 0 WHERE id IN (?, ?)", vec![in_top[0].clone().into(), in_top[1].clone().into()]).await;
    let page2 = server.get(&format!("/api/v1/chats/folder/{}/list?page=2&sort_by=updated_at", id(&top)), &alice).await;
    assert_eq!(ids(&page2.body), [in_top[0].clone()]);
    let bad = server.get(&format!("/api/v1/chats/folder/{}/list?page=x", id(&top)), &alice).await;
    assert_eq!(bad.body["detail"][0]["type"], "int_parsing");

    // Another user gets only their own chats: none here.
    assert_eq!(server.get(&format!("/api/v1/chats/folder/{}", id(&top)), &bob).await.body, json!([]));
    assert_eq!(server.get(&format!("/api/v1/chats/folder/{}/list", id(&top)), &bob).await.body, json!([]));
    assert_eq!(server.get("/api/v1/chats/folder/unknown", &alice).await.body, json!([]));
}

#[tokio::test]
async fn shared_folders_for_grantees() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, bob_id) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let (carol, _) = server.add_user(&admin, "Carol", "carol@example.com").await;
    let team = folder(&server, &alice, json!({"name": "Team", "data": {"share_mode": "read"}})).await;
    let team_id = id(&team);
    let grant = |id: &str, permission: &str| {
        (
            "INSERT INTO access_grant (id, resource_type, resource_id, principal_type, principal_id, permission, created_at) \
             VALUES (?, 'folder', ?, 'user', ?, ?, 7)"
                .to_owned(),
            vec![libsql::Value::from(id.to_owned()), team_id.clone().into(), bob_id.clone().into(), permission.to_owned().into()],
        )
    };
    let (sql, params) = grant("g-read", "read");
    exec(&server, &sql, params).await;

    let seen = server.get(&format!("/api/v1/folders/{team_id}"), &bob).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.body["write_access"], json!(false));
    assert_eq!(
        seen.body["access_grants"],
        json!([{"id": "g-read", "resource_type": "folder", "resource_id": team_id, "principal_type": "user", "principal_id": bob_id, "permission": "read", "created_at": 7}])
    );
    server.get(&format!("/api/v1/folders/{team_id}"), &carol).await.assert_error(404, E_NOT_FOUND);
    server.post("/api/v1/folders/", &bob, json!({"name": "Sub", "parent_id": team_id})).await.assert_error(403, E_PROHIBITED);
    server.post(&format!("/api/v1/folders/{team_id}/update"), &bob, json!({"name": "Mine"})).await.assert_error(404, E_NOT_FOUND);
    let expanded = server.post(&format!("/api/v1/folders/{team_id}/update/expanded"), &bob, json!({"is_expanded": true})).await;
    assert_eq!(expanded.body, team, "a reader gets the folder back unchanged");
    let bobs_chat = chat(&server, &bob, "bob's", None).await;
    server.post(&format!("/api/v1/chats/{bobs_chat}/folder"), &bob, json!({"folder_id": team_id})).await.assert_error(404, E_NOT_FOUND);

    let (sql, params) = grant("g-write", "write");
    exec(&server, &sql, params).await;
    let sub = folder(&server, &bob, json!({"name": "Sub", "parent_id": team_id})).await;
    assert_eq!(sub["user_id"], alice_id.as_str(), "a subfolder of a shared folder belongs to the folder's owner");
    assert_eq!(server.get(&format!("/api/v1/folders/{team_id}"), &bob).await.body["write_access"], json!(true));
    let renamed = server.post(&format!("/api/v1/folders/{team_id}/update"), &bob, json!({"name": "Team 2", "data": {"x": 1}})).await;
    assert_eq!((&renamed.body["name"], &renamed.body["data"]), (&json!("Team 2"), &json!({"share_mode": "read", "x": 1})));
    let share_mode = server.post(&format!("/api/v1/folders/{team_id}/update"), &bob, json!({"data": {"share_mode": "continue"}})).await;
    share_mode.assert_error(403, E_PROHIBITED);
    let moved = server.post(&format!("/api/v1/chats/{bobs_chat}/folder"), &bob, json!({"folder_id": team_id})).await;
    assert_eq!(moved.body["folder_id"], team_id.as_str());
    // Bob still may not delete or move Alice's folder.
    server.send("DELETE", &format!("/api/v1/folders/{team_id}"), Some(&bob), None).await.assert_error(403, E_PROHIBITED);
    server.post(&format!("/api/v1/folders/{team_id}/update/parent"), &bob, json!({"parent_id": null})).await.assert_error(404, E_NOT_FOUND);

    // Marking a folder read touches only the caller's chats; the owner's covers the subtree.
    exec(&server, "UPDATE chat SET last_read_at = 0, updated_at = 10 WHERE id = ?", vec![bobs_chat.clone().into()]).await;
    let alices = chat(&server, &alice, "alice's", Some(&id(&sub))).await;
    exec(&server, "UPDATE chat SET last_read_at = 0, updated_at = 20 WHERE id = ?", vec![alices.clone().into()]).await;
    let read = server.post(&format!("/api/v1/folders/{team_id}/read"), &bob, json!({})).await;
    assert_eq!(read.body, json!({"folder_id": team_id, "folder_ids": [team_id], "updated_count": 1, "folder_unread_counts": {}}));
    let by_owner = server.post(&format!("/api/v1/folders/{team_id}/read"), &alice, json!({})).await;
    assert_eq!(by_owner.body["folder_ids"], json!([team_id, id(&sub)]));
    assert_eq!(by_owner.body["updated_count"], json!(1));
    assert_eq!(by_owner.body["folder_unread_counts"], json!({team_id.clone(): 0, id(&sub): 0}));
    let states = server.rows("SELECT last_read_at FROM chat WHERE id IN (?, ?) ORDER BY last_read_at", vec![bobs_chat.into(), alices.into()]).await;
    assert_eq!(states, vec![vec![json!(10)], vec![json!(20)]]);
    server.post(&format!("/api/v1/folders/{team_id}/read"), &carol, json!({})).await.assert_error(403, E_PROHIBITED);
    server.post("/api/v1/folders/nope/read", &carol, json!({})).await.assert_error(404, E_NOT_FOUND);
    let not_served = server.get("/api/v1/folders/shared", &bob).await;
    assert_eq!(not_served.status, 501);
}
