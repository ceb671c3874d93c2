//! The realtime path end to end: real host, real components, WebSocket clients speaking
//! Socket.IO (our Rust client and the npm `socket.io-client` Open WebUI's browser uses).

use integration_tests::Server;
use integration_tests::socketio::Client;
use serde_json::{Value, json};
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(600);

async fn chat(server: &Server, token: &str) -> String {
    let body = json!({"chat": {"title": "Live", "history": {"messages": {
        "u1": {"id": "u1", "parentId": null, "childrenIds": ["a1"], "role": "user", "content": "hi", "timestamp": 1_700_000_000},
        "a1": {"id": "a1", "parentId": "u1", "childrenIds": [], "role": "assistant", "content": "", "done": false, "timestamp": 1_700_000_001}
    }, "currentId": "a1"}}});
    let reply = server.post("/api/v1/chats/new", token, body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|event| event["data"]["type"] == kind).collect()
}

#[tokio::test]
async fn message_events_reach_every_tab_of_the_owner_and_nobody_else() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let chat_id = chat(&server, &alice).await;

    let mut tab1 = Client::connect(&server.base, Some(&alice)).await;
    let mut tab2 = Client::connect(&server.base, Some(&alice)).await;
    let mut other = Client::connect(&server.base, Some(&bob)).await;
    let mut anonymous = Client::connect(&server.base, None).await;
    assert_eq!(tab1.open["pingInterval"], 25000);
    assert_eq!(tab1.open["pingTimeout"], 20000);
    assert!(tab1.connected["sid"].is_string());

    let ack = tab1.call("user-join", json!({"auth": {"token": alice}})).await;
    assert_eq!(ack, vec![json!({"id": alice_id, "name": "Alice"})]);
    tab2.call("user-join", json!({"auth": {"token": alice}})).await;
    other.call("user-join", json!({"auth": {"token": bob}})).await;
    let refused = anonymous.call("user-join", json!({"auth": {"token": "garbage"}})).await;
    assert!(refused.is_empty() || refused == vec![Value::Null], "no ack data for a bad token: {refused:?}");

    let event = json!({"type": "status", "data": {"description": "Searching", "done": false}});
    let posted = server.post(&format!("/api/v1/chats/{chat_id}/messages/a1/event"), &alice, event.clone()).await;
    assert_eq!(posted.body, json!(true));
    let expected = json!({"chat_id": chat_id, "message_id": "a1", "data": event});
    assert_eq!(tab1.next_event(Duration::from_secs(5)).await, Some(expected.clone()));
    assert_eq!(tab2.next_event(Duration::from_secs(5)).await, Some(expected));
    assert!(other.events_within(QUIET).await.is_empty(), "another user's socket gets nothing");
    assert!(anonymous.events_within(QUIET).await.is_empty(), "an unauthenticated socket gets nothing");

    // The write stood regardless of delivery.
    let stored = server.get(&format!("/api/v1/chats/{chat_id}"), &alice).await;
    assert_eq!(stored.body["chat"]["history"]["messages"]["a1"]["statusHistory"], json!([{"description": "Searching", "done": false}]));

    // Garbage from one socket does not disturb the others.
    for frame in ["garbage", "4", "42[", "42999999999999999999999[\"x\"]", "41", "0", "3"] {
        other.send_raw(frame).await;
    }
    let next = json!({"type": "replace", "data": {"content": "done"}});
    server.post(&format!("/api/v1/chats/{chat_id}/messages/a1/event"), &alice, next.clone()).await;
    assert_eq!(tab1.next_event(Duration::from_secs(5)).await, Some(json!({"chat_id": chat_id, "message_id": "a1", "data": next})));
}

#[tokio::test]
async fn chat_rooms_presence_typing_and_access() {
    let server = Server::start().await;
    let (admin, alice, alice_id) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let chat_id = chat(&server, &alice).await;
    let admin_id = server.rows("SELECT id FROM user WHERE role = 'admin'", vec![]).await[0][0].as_str().unwrap_or_default().to_owned();

    let mut owner = Client::connect(&server.base, Some(&alice)).await;
    let mut viewer = Client::connect(&server.base, Some(&admin)).await;
    let mut stranger = Client::connect(&server.base, Some(&bob)).await;
    for (client, token) in [(&mut owner, &alice), (&mut viewer, &admin), (&mut stranger, &bob)] {
        client.call("user-join", json!({"auth": {"token": token}})).await;
    }

    let join = |id: &str| json!({"chat_id": id, "data": {"type": "join"}});
    assert_eq!(owner.call("events:chat", join(&chat_id)).await, vec![json!(true)]);
    assert_eq!(viewer.call("events:chat", join(&chat_id)).await, vec![json!(true)], "admins may read");
    assert_eq!(stranger.call("events:chat", join(&chat_id)).await, vec![json!(false)], "no read access");
    assert_eq!(stranger.call("events:chat", join("temporary:abc")).await, vec![json!(false)]);
    assert_eq!(stranger.call("events:chat", join("does-not-exist")).await, vec![json!(false)]);

    // Presence lists both readers, sorted by id.
    let mut users = vec![json!({"id": alice_id, "name": "Alice"}), json!({"id": admin_id, "name": "Admin"})];
    users.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let events = owner.events_within(QUIET).await;
    let presence = of_type(&events, "chat:presence");
    assert_eq!(
        presence.last().copied(),
        Some(&json!({"chat_id": chat_id, "shared": true, "data": {"type": "chat:presence", "data": {"users": users}}}))
    );

    // Typing: the owner (write access) reaches the others in the room, not themself.
    let typing = json!({"chat_id": chat_id, "data": {"type": "typing", "data": {"typing": true}}});
    assert_eq!(owner.call("events:chat", typing.clone()).await, vec![json!(true)]);
    let seen = viewer.events_within(QUIET).await;
    assert_eq!(
        of_type(&seen, "typing"),
        vec![&json!({"chat_id": chat_id, "user_id": alice_id, "user": {"id": alice_id, "name": "Alice"}, "shared": true, "data": {"type": "typing", "data": {"typing": true}}})]
    );
    assert!(of_type(&owner.events_within(QUIET).await, "typing").is_empty(), "the sender is skipped");
    assert_eq!(viewer.call("events:chat", typing.clone()).await, vec![json!(false)], "read-only viewers may not type");
    assert!(stranger.events_within(QUIET).await.is_empty());

    // Shared types reach the chat room too; `message` deltas stay with the owner.
    let status = json!({"type": "status", "data": {"done": true}});
    server.post(&format!("/api/v1/chats/{chat_id}/messages/a1/event"), &alice, status.clone()).await;
    let room = viewer.events_within(QUIET).await;
    assert_eq!(room, vec![json!({"chat_id": chat_id, "message_id": "a1", "user_id": alice_id, "shared": true, "data": status})]);
    server.post(&format!("/api/v1/chats/{chat_id}/messages/a1/event"), &alice, json!({"type": "message", "data": {"content": "x"}})).await;
    assert!(viewer.events_within(QUIET).await.is_empty());

    // Leaving stops room delivery and updates presence.
    assert_eq!(viewer.call("events:chat", json!({"chat_id": chat_id, "data": {"type": "leave"}})).await, vec![json!(true)]);
    let after = owner.events_within(QUIET).await;
    assert_eq!(
        of_type(&after, "chat:presence").last().map(|event| event["data"]["data"]["users"].clone()),
        Some(json!([{"id": alice_id, "name": "Alice"}]))
    );
    server.post(&format!("/api/v1/chats/{chat_id}/messages/a1/event"), &alice, status).await;
    assert!(viewer.events_within(QUIET).await.is_empty());
}

/// Reads the node client's next line within 20 s.
async fn next_line(lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>) -> String {
    tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("a line from the node client in time")
        .expect("read")
        .unwrap_or_default()
}

#[tokio::test]
async fn socket_io_client_from_npm_joins_receives_and_reconnects_after_a_relay_restart() {
    let mut server = Server::start().await;
    let (_admin, alice, alice_id) = server.admin_and_user().await;
    let chat_id = chat(&server, &alice).await;
    let script = integration_tests::repo_root().join("tests/js/owner-tab.mjs");
    let mut child = tokio::process::Command::new("node")
        .arg(script)
        .env("BASE_URL", &server.base)
        .env("TOKEN", &alice)
        .env("CHAT_ID", &chat_id)
        .env("EXPECT", "2")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node (run `npm ci` in tests/js first; scripts/test does)");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let ready = format!("ready {}", json!({"id": alice_id, "name": "Alice"}));
    assert_eq!(next_line(&mut lines).await, ready);
    assert_eq!(next_line(&mut lines).await, "joined true");

    let first = json!({"type": "embeds", "data": {"embeds": ["<b>x</b>"]}});
    server.post(&format!("/api/v1/chats/{chat_id}/messages/a1/event"), &alice, first.clone()).await;
    let received: Value = serde_json::from_str(&next_line(&mut lines).await).unwrap_or(Value::Null);
    assert_eq!(received, json!({"chat_id": chat_id, "message_id": "a1", "data": first}));

    // The relay goes away (killed) and comes back on the same port: socket.io-client
    // reconnects by itself, joins again and keeps receiving.
    server.restart().await;
    assert_eq!(next_line(&mut lines).await, ready);
    assert_eq!(next_line(&mut lines).await, "joined true");
    let second = json!({"type": "replace", "data": {"content": "after restart"}});
    server.post(&format!("/api/v1/chats/{chat_id}/messages/a1/event"), &alice, second.clone()).await;
    let received: Value = serde_json::from_str(&next_line(&mut lines).await).unwrap_or(Value::Null);
    assert_eq!(received, json!({"chat_id": chat_id, "message_id": "a1", "data": second}));
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("exit").expect("wait");
    assert!(status.success());
}
