//! Engine.IO open, Socket.IO connect and `user-join`, authentication, bad input.

use super::*;

#[tokio::test]
async fn open_and_connect_packets() {
    let mut world = World::new().await;
    world.open(1);
    let open = world.frames(1);
    assert_eq!(open.len(), 1);
    let body: Json = check(serde_json::from_str(open[0].strip_prefix('0').unwrap_or_default()));
    assert_eq!(body["upgrades"], json!([]));
    assert_eq!((body["pingInterval"].clone(), body["pingTimeout"].clone(), body["maxPayload"].clone()), (json!(25000), json!(20000), json!(16_777_216)));
    assert!(body["sid"].as_str().is_some_and(|sid| !sid.is_empty()));

    world.text(1, "40").await;
    let connect = world.frames(1);
    assert!(connect.len() == 1 && connect[0].starts_with("40{\"sid\":\""), "{connect:?}");
    world.text(1, "40").await;
    assert_eq!(world.frames(1), [r#"44"Unable to connect""#], "a second connect is refused");
    world.text(1, "40/admin,").await;
    assert_eq!(world.frames(1), [r#"44/admin,"Unable to connect""#], "only `/` is served");
}

#[tokio::test]
async fn unsupported_handshakes_are_closed() {
    let mut world = World::new().await;
    for (conn, query) in [(1, "EIO=3&transport=websocket"), (2, "transport=websocket"), (3, "EIO=4&transport=polling"), (4, "EIO=4&transport=websocket&sid=abc")] {
        let upgrade = Upgrade { query: query.into(), ..Upgrade::default() };
        world.relay.on_open(&mut world.host, conn, &upgrade);
        assert_eq!(world.host.closed.last(), Some(&(conn, 1002)), "{query}");
    }
    assert_eq!(world.relay.connection_count(), 0);
}

#[tokio::test]
async fn a_valid_token_joins_the_user_room() {
    let mut world = World::new().await;
    let token = world.user("u1", "Ann", "user").await;
    world.connect(1, Some(&token)).await;
    assert!(world.in_room(1, "user:u1"));
    assert!(world.relay.on_publish(&mut world.host, &json!({"chat_id": "c", "message_id": "m", "user_id": "u1", "data": {"type": "status", "data": {}}}).to_string()));
    assert_eq!(world.events(1).len(), 1);
}

#[tokio::test]
async fn bad_tokens_leave_the_socket_connected_but_deaf() {
    let mut world = World::new().await;
    let good = world.user("u1", "Ann", "user").await;
    let _ = world.user("p1", "Pat", "pending").await;
    let pending = world.token("p1", "stamp-p1", None);
    let expired = world.token("u1", "stamp-u1", Some(T0 - 1));
    let stale_stamp = world.token("u1", "old-stamp", None);
    let mut tampered = good.clone();
    tampered.push('x');
    let tokens = [pending, expired, stale_stamp, tampered, "sk-an-api-key".to_owned(), String::new()];
    for (index, token) in tokens.iter().enumerate() {
        let conn = 10 + index as u64;
        world.connect(conn, Some(token)).await;
        assert!(world.host.rooms.values().all(|members| !members.contains(&conn)), "token {index} joined a room");
    }
    // Non-string and non-object auth are simply no auth.
    world.open(20);
    world.text(20, r#"40{"token":42}"#).await;
    world.text(20, r#"40"token""#).await;
    assert!(world.frames(20).iter().any(|frame| frame.starts_with("40{")));
    world.relay.on_publish(&mut world.host, &json!({"chat_id": "c", "message_id": "m", "user_id": "u1", "data": {"type": "status", "data": {}}}).to_string());
    assert!(world.host.frames.is_empty(), "unauthenticated sockets receive nothing");
    assert!(world.host.closed.is_empty(), "and stay connected");
}

#[tokio::test]
async fn user_join_acks_id_and_name() {
    let mut world = World::new().await;
    let token = world.user("u1", "Ann", "admin").await;
    world.connect(1, None).await;
    world.emit(1, 5, "user-join", json!({"auth": {"token": "nope"}})).await;
    assert_eq!(world.frames(1), ["435[]"], "an invalid token gets an empty ack");
    world.emit(1, 6, "user-join", json!({"auth": {"token": token}})).await;
    assert_eq!(world.frames(1), [r#"436[{"id":"u1","name":"Ann"}]"#]);
    assert!(world.in_room(1, "user:u1"));
    world.emit(1, 7, "user-join", json!("not an object")).await;
    world.text(1, "427[\"user-join\"]").await;
    assert!(world.frames(1).is_empty(), "a payload Open WebUI's handler would raise on gets no ack");
}

#[tokio::test]
async fn garbage_never_hurts_other_connections() {
    let mut world = World::new().await;
    let token = world.user("u1", "Ann", "user").await;
    world.connect(1, Some(&token)).await;
    world.connect(2, Some(&token)).await;
    let huge_ack = format!("42{}[\"heartbeat\",{{}}]", "9".repeat(60));
    for frame in ["9", "6", "0{}", "2", "bAAAA", "4", "4zzz", "42[", "42{}", "42[]", "42[1,2]", "43[1]", "44{}", "451-[\"x\"]", "42/nsp,[\"heartbeat\",{}]", &huge_ack, "42\"events:chat\""] {
        world.text(1, frame).await;
    }
    assert!(world.frames(1).is_empty(), "ignored quietly");
    assert!(world.host.closed.is_empty());
    world.text(1, "5").await;
    assert_eq!(world.frames(1), ["6"], "an upgrade packet gets a noop");

    world.text(1, "not engine.io").await;
    assert_eq!(world.host.closed, [(1, 1002)], "a frame that is not Engine.IO closes that connection");
    world.text(1, "421[\"heartbeat\",{}]").await;
    assert!(world.frames(1).is_empty(), "a closing connection is not served");

    world.emit(2, 3, "heartbeat", json!({})).await;
    assert_eq!(world.frames(2), ["433[]"], "the other connection is unaffected");
}

#[tokio::test]
async fn events_need_a_session_and_unknown_ones_ack_empty() {
    let mut world = World::new().await;
    let token = world.user("u1", "Ann", "user").await;
    world.open(1);
    world.frames(1);
    world.emit(1, 1, "heartbeat", json!({})).await;
    assert!(world.frames(1).is_empty(), "no Socket.IO session yet");
    world.text(1, &format!("40{}", json!({"token": token}))).await;
    world.frames(1);
    world.emit(1, 2, "something-else", json!({})).await;
    world.emit(1, 3, "join-note", json!({})).await;
    assert_eq!(world.frames(1), ["432[]", "433[]"]);
}

#[tokio::test]
async fn heartbeat_refreshes_or_disconnects() {
    let mut world = World::new().await;
    let token = world.user("u1", "Ann", "user").await;
    world.connect(1, Some(&token)).await;
    world.now += 50;
    world.emit(1, 1, "heartbeat", json!({})).await;
    assert_eq!(world.frames(1), ["431[]"]);
    let rows = check(world.db.query("SELECT last_active_at FROM \"user\" WHERE id = 'u1'", &[]).await);
    assert_eq!(rows[0].int(0), T0 + 50);

    // Open WebUI's `get_socket_session_user` disconnects a session without a valid user.
    world.connect(2, None).await;
    world.emit(2, 1, "heartbeat", json!({})).await;
    assert_eq!(world.frames(2), ["41"]);
    world.emit(2, 2, "heartbeat", json!({})).await;
    assert!(world.frames(2).is_empty(), "the session is gone; the transport stays for the client to close");
    world.text(2, "40").await;
    assert!(world.frames(2)[0].starts_with("40{"), "and may connect again");
}

#[tokio::test]
async fn client_disconnect_and_close() {
    let mut world = World::new().await;
    let token = world.user("u1", "Ann", "user").await;
    world.connect(1, Some(&token)).await;
    world.text(1, "41").await;
    assert!(!world.in_room(1, "user:u1"), "a Socket.IO disconnect leaves every room");
    world.text(1, "1").await;
    assert_eq!(world.host.closed, [(1, 1000)]);
    world.close(1).await;
    assert_eq!(world.relay.connection_count(), 0);
}

#[tokio::test]
async fn switching_user_drops_the_previous_users_rooms() {
    let mut world = World::new().await;
    let ann = world.user("u-ann", "Ann", "user").await;
    let bob = world.user("u-bob", "Bob", "user").await;
    world.chat("c1", "u-ann", T0, None, None).await;
    world.connect(1, Some(&ann)).await;
    world.emit(1, 1, "events:chat", json!({"chat_id": "c1", "data": {"type": "join"}})).await;
    assert!(world.in_room(1, "chat:c1"));
    world.emit(1, 2, "user-join", json!({"auth": {"token": bob}})).await;
    assert!(world.in_room(1, "user:u-bob"));
    assert!(!world.in_room(1, "user:u-ann") && !world.in_room(1, "chat:c1"), "nothing of Ann's is kept");
}
