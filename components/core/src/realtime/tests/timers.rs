//! Pings, ping timeouts, the token sweep and the session reaper.

use super::*;

#[tokio::test]
async fn pings_and_ping_timeouts() {
    let mut world = World::new().await;
    world.tick(0).await; // pings are scheduled on the host clock of the last tick
    world.connect(1, None).await;
    world.connect(2, None).await;
    world.tick(24).await;
    assert!(world.host.frames.is_empty(), "not yet");
    world.tick(1).await;
    assert_eq!((world.frames(1), world.frames(2)), (vec!["2".to_owned()], vec!["2".to_owned()]));
    world.text(1, "3").await;
    world.tick(20).await;
    assert!(world.host.closed.is_empty(), "20 s is still within the timeout");
    world.tick(1).await;
    assert_eq!(world.host.closed, [(2, 1000)], "no pong within 20 s");
    world.tick(4).await;
    assert_eq!(world.frames(1), ["2"], "the next ping comes an interval after the pong");
    world.text(1, "3").await;
    world.tick(30).await;
    assert_eq!(world.frames(1), ["2"]);
}

#[tokio::test]
async fn tokens_are_checked_again_every_30_seconds() {
    let mut world = World::new().await;
    let ann = world.user("u-ann", "Ann", "user").await;
    let bob = world.user("u-bob", "Bob", "user").await;
    world.chat("c1", "u-ann", T0, None, None).await;
    world.tick(0).await; // the first tick starts the sweep clock
    world.connect(1, Some(&ann)).await;
    world.connect(2, Some(&bob)).await;
    world.emit(1, 1, "events:chat", json!({"chat_id": "c1", "data": {"type": "join"}})).await;
    world.frames(1);
    // Signing out everywhere changes the session stamp; demoting to pending also counts.
    world.sql("UPDATE auth SET session_stamp = 'new' WHERE id = 'u-ann'", &[]).await;
    world.sql("UPDATE \"user\" SET role = 'pending' WHERE id = 'u-bob'", &[]).await;
    world.tick(29).await;
    assert!(world.frames(1).iter().all(|frame| frame != "41"), "not before the sweep");
    world.tick(1).await;
    let disconnects = |frames: Vec<String>| frames.iter().filter(|frame| *frame == "41").count();
    assert_eq!(disconnects(world.frames(1)), 1);
    assert_eq!(disconnects(world.frames(2)), 1);
    assert!(!world.in_room(1, "chat:c1") && !world.in_room(1, "user:u-ann"));
    assert!(world.host.closed.is_empty(), "the transport is left for the client to close");
}

#[tokio::test]
async fn silent_sessions_are_reaped_from_presence() {
    let mut world = World::new().await;
    world.ann_and_ada_on_c1().await;
    for conn in [1, 2] {
        world.emit(conn, 1, "events:chat", json!({"chat_id": "c1", "data": {"type": "join"}})).await;
    }
    world.now += 100;
    world.emit(2, 2, "heartbeat", json!({})).await;
    world.text(1, "3").await;
    world.text(2, "3").await;
    world.host.frames.clear();
    world.now += 20;
    world.tick(1).await; // Ann last seen 121 s ago
    assert!(!world.in_room(1, "chat:c1"), "reaped out of the chat room");
    assert!(world.in_room(1, "user:u-ann"), "but still connected to her own room");
    let presence = world.events(2);
    assert_eq!(presence.last().map(|event| event["data"]["data"]["users"].clone()), Some(json!([{"id": "u-ada", "name": "Ada"}])));
    world.emit(1, 3, "heartbeat", json!({})).await;
    world.emit(1, 4, "events:chat", json!({"chat_id": "c1", "data": {"type": "join"}})).await;
    assert_eq!(world.frames(1).last().map(String::as_str), Some("434[true]"), "a heartbeat brings the session back");
}

#[tokio::test]
async fn the_sweep_removes_sockets_from_chats_they_may_no_longer_read() {
    let mut world = World::new().await;
    world.tick(0).await;
    world.ann_and_ada_on_c1().await;
    for conn in [1, 2] {
        world.emit(conn, 1, "events:chat", json!({"chat_id": "c1", "data": {"type": "join"}})).await;
    }
    assert!(world.in_room(2, "chat:c1"), "admins may read (admin chat access on)");
    world.frames(2);
    // The chat goes away (deleted by its owner): on the next sweep the admin's socket
    // leaves the room and is told, the owner's too, and both stay connected.
    world.sql("DELETE FROM chat WHERE id = 'c1'", &[]).await;
    world.tick(30).await;
    assert!(!world.in_room(2, "chat:c1") && !world.in_room(1, "chat:c1"));
    let notice = r#"42["events",{"chat_id":"c1","shared":true,"data":{"type":"chat:access","data":{}}}]"#;
    assert!(world.frames(2).iter().any(|frame| frame == notice), "chat:access sent");
    assert!(world.in_room(2, "user:u-ada") && world.in_room(1, "user:u-ann"), "sessions stay");
}
