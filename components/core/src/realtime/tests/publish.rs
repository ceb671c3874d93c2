//! Published message events to `user:{id}` and `chat:{id}`.

use super::*;

fn event(chat_id: &str, kind: &str) -> String {
    json!({"chat_id": chat_id, "message_id": "m1", "user_id": "u-ann", "data": {"type": kind, "data": {"x": 1}}}).to_string()
}

#[tokio::test]
async fn events_reach_the_owner_and_collaborators() {
    let mut world = World::new().await;
    world.ann_and_ada_on_c1().await;
    world.emit(2, 1, "events:chat", json!({"chat_id": "c1", "data": {"type": "join"}})).await;
    world.frames(1);
    world.frames(2);

    assert!(world.relay.on_publish(&mut world.host, &event("c1", "status")));
    assert_eq!(world.events(1), [json!({"chat_id": "c1", "message_id": "m1", "data": {"type": "status", "data": {"x": 1}}})]);
    assert_eq!(world.events(2), [json!({"chat_id": "c1", "message_id": "m1", "user_id": "u-ann", "shared": true, "data": {"type": "status", "data": {"x": 1}}})]);

    world.relay.on_publish(&mut world.host, &event("c1", "message"));
    assert_eq!((world.events(1).len(), world.events(2).len()), (1, 0), "message deltas stay with the owner");
    world.relay.on_publish(&mut world.host, &event("c1", "chat:messages"));
    assert_eq!((world.events(1).len(), world.events(2).len()), (0, 1), "chat:messages goes to the room only");

    world.host.join(2, "chat:temporary:x");
    world.relay.on_publish(&mut world.host, &event("temporary:x", "status"));
    assert_eq!((world.events(1).len(), world.events(2).len()), (1, 0), "unsaved chats have no shared emit");
}

#[tokio::test]
async fn malformed_publishes_are_refused() {
    let mut world = World::new().await;
    for bad in ["", "nope", "[]", r#"{"chat_id":"c","message_id":"m","user_id":"u"}"#, r#"{"chat_id":1,"message_id":"m","user_id":"u","data":{"type":"x"}}"#, r#"{"chat_id":"c","message_id":"m","user_id":"u","data":{"type":5}}"#] {
        assert!(!world.relay.on_publish(&mut world.host, bad), "{bad}");
    }
    assert!(world.host.frames.is_empty());
    assert!(super::super::parse_event(&event("c", "status")).is_some());
}
