//! `events:chat`: join, leave, typing, last_read_at, presence.

use super::*;

/// Two users, Ann (owner of chat `c1`) and Bob, plus admin Ada; each connected on its own
/// connection (1, 2, 3).
async fn three_users() -> World {
    let mut world = World::new().await;
    let ann = world.user("u-ann", "Ann", "user").await;
    let bob = world.user("u-bob", "Bob", "user").await;
    let ada = world.user("u-ada", "Ada", "admin").await;
    world.chat("c1", "u-ann", T0 - 10, None, None).await;
    world.connect(1, Some(&ann)).await;
    world.connect(2, Some(&bob)).await;
    world.connect(3, Some(&ada)).await;
    world
}

fn chat_event(chat_id: &str, kind: &str, data: Json) -> Json {
    json!({"chat_id": chat_id, "data": {"type": kind, "data": data}})
}

fn presence_users(events: &[Json]) -> Vec<Json> {
    events.iter().filter(|event| event["data"]["type"] == "chat:presence").map(|event| event["data"]["data"]["users"].clone()).collect()
}

#[tokio::test]
async fn join_needs_read_access_and_a_saved_chat() {
    let mut world = three_users().await;
    world.emit(2, 1, "events:chat", chat_event("c1", "join", json!({}))).await;
    assert_eq!(world.frames(2), ["431[false]"], "Bob may not read Ann's chat");
    assert!(!world.in_room(2, "chat:c1"));
    for (ack, id) in [(2, "temporary:c1"), (3, "local:c1"), (4, "channel:c1"), (5, "missing")] {
        world.emit(1, ack, "events:chat", chat_event(id, "join", json!({}))).await;
        assert_eq!(world.frames(1), [format!("43{ack}[false]")], "{id}");
    }
    world.emit(1, 6, "events:chat", json!({"chat_id": 7, "data": {"type": "join"}})).await;
    assert_eq!(world.frames(1), ["436[false]"]);

    world.emit(1, 7, "events:chat", chat_event("c1", "join", json!({}))).await;
    let frames = world.frames(1);
    assert_eq!(frames.last().map(String::as_str), Some("437[true]"));
    let presence: Json = check(serde_json::from_str(frames[0].trim_start_matches("42")));
    assert_eq!(
        presence,
        json!(["events", {"chat_id": "c1", "shared": true, "data": {"type": "chat:presence", "data": {"users": [{"id": "u-ann", "name": "Ann"}]}}}])
    );
    assert!(world.in_room(1, "chat:c1"));

    // An admin reads other users' chats while ENABLE_ADMIN_CHAT_ACCESS is on (the default).
    world.emit(3, 8, "events:chat", chat_event("c1", "join", json!({}))).await;
    assert_eq!(world.frames(3).last().map(String::as_str), Some("438[true]"));
    assert_eq!(presence_users(&world.events(1)), [json!([{"id": "u-ada", "name": "Ada"}, {"id": "u-ann", "name": "Ann"}])], "sorted by id");
}

#[tokio::test]
async fn admin_access_follows_the_setting() {
    let mut world = three_users().await;
    world.settings.enable_admin_chat_access = false;
    world.emit(3, 1, "events:chat", chat_event("c1", "join", json!({}))).await;
    assert_eq!(world.frames(3), ["431[false]"]);
}

#[tokio::test]
async fn typing_needs_the_room_and_write_access() {
    let mut world = three_users().await;
    world.emit(1, 1, "events:chat", chat_event("c1", "typing", json!({"typing": true}))).await;
    assert_eq!(world.frames(1), ["431[false]"], "not in the room yet");
    world.emit(1, 2, "events:chat", chat_event("c1", "join", json!({}))).await;
    world.emit(3, 2, "events:chat", chat_event("c1", "join", json!({}))).await;
    world.frames(1);
    world.frames(3);

    world.emit(1, 3, "events:chat", chat_event("c1", "typing", json!({"typing": "yes"}))).await;
    assert_eq!(world.frames(1), ["433[false]"], "typing must be a bool");
    world.emit(1, 4, "events:chat", chat_event("c1", "typing", json!({"typing": true}))).await;
    assert_eq!(world.frames(1), ["434[true]"], "the sender does not hear itself");
    assert_eq!(
        world.events(3),
        [json!({"chat_id": "c1", "user_id": "u-ann", "user": {"id": "u-ann", "name": "Ann"}, "shared": true, "data": {"type": "typing", "data": {"typing": true}}})]
    );
    world.emit(3, 5, "events:chat", chat_event("c1", "typing", json!({"typing": true}))).await;
    assert_eq!(world.frames(3), ["435[false]"], "an admin reads but does not write others' chats");
    assert!(world.frames(1).is_empty());
}

#[tokio::test]
async fn leave_close_and_presence() {
    let mut world = three_users().await;
    let ann_again = world.token("u-ann", "stamp-u-ann", None);
    world.connect(4, Some(&ann_again)).await;
    for conn in [1, 3, 4] {
        world.emit(conn, 1, "events:chat", chat_event("c1", "join", json!({}))).await;
    }
    let last = presence_users(&world.events(1)).pop();
    assert_eq!(last, Some(json!([{"id": "u-ada", "name": "Ada"}, {"id": "u-ann", "name": "Ann"}])), "one entry per user");

    world.emit(3, 2, "events:chat", chat_event("c1", "leave", json!({}))).await;
    assert_eq!(world.frames(3).last().map(String::as_str), Some("432[true]"));
    assert!(!world.in_room(3, "chat:c1"));
    assert_eq!(presence_users(&world.events(1)), [json!([{"id": "u-ann", "name": "Ann"}])]);
    world.frames(4);

    world.close(1).await;
    assert_eq!(presence_users(&world.events(4)), [json!([{"id": "u-ann", "name": "Ann"}])], "Ann's other tab remains");
    world.close(4).await;
    assert!(world.host.frames.is_empty(), "nobody left in the room to tell");
}

#[tokio::test]
async fn unauthenticated_and_malformed_chat_events() {
    let mut world = three_users().await;
    world.connect(9, None).await;
    world.emit(9, 1, "events:chat", chat_event("c1", "join", json!({}))).await;
    assert_eq!(world.frames(9), ["41"], "no session user: disconnected, no ack");
    world.emit(1, 2, "events:chat", json!({"chat_id": "c1", "data": "join"})).await;
    world.emit(1, 3, "events:chat", json!(["c1"])).await;
    assert!(world.frames(1).is_empty(), "payloads the Python handler raises on get no ack");
    world.emit(1, 4, "events:chat", json!({"chat_id": "c1"})).await;
    world.emit(1, 5, "events:chat", chat_event("c1", "wave", json!({}))).await;
    assert_eq!(world.frames(1), ["434[]", "435[]"]);
}

#[tokio::test]
async fn last_read_at_marks_the_owners_chat_read() {
    let mut world = three_users().await;
    world.sql("INSERT INTO folder (id, parent_id, user_id, name, is_expanded, created_at, updated_at) VALUES ('f1', NULL, 'u-ann', 'F', 0, 0, 0)", &[]).await;
    world.chat("c2", "u-ann", T0 - 5, None, Some("f1")).await;
    world.chat("c3", "u-ann", T0 - 5, None, Some("f1")).await;
    let ann_again = world.token("u-ann", "stamp-u-ann", None);
    world.connect(4, Some(&ann_again)).await;

    world.emit(1, 1, "events:chat", chat_event("c2", "last_read_at", json!({}))).await;
    assert_eq!(world.frames(4).len(), 1, "every socket of the owner hears it");
    let rows = check(world.db.query("SELECT last_read_at FROM chat WHERE id = 'c2'", &[]).await);
    assert_eq!(rows[0].int(0), T0);
    let expected = json!({"chat_id": "c2", "data": {"type": "chat:list", "data": {"chat_id": "c2", "last_read_at": T0, "folder_unread_counts": {"f1": 1}}}});
    let frames = world.frames(1);
    assert_eq!(frames, [format!("42{}", json!(["events", expected])), "431[]".to_owned()]);

    world.now += 1;
    world.emit(1, 2, "events:chat", chat_event("c2", "last_read_at", json!({}))).await;
    assert_eq!(
        world.events(1),
        [json!({"chat_id": "c2", "data": {"type": "chat:list", "data": {"chat_id": "c2", "last_read_at": T0 + 1}}})],
        "no counts when it was already read"
    );
    world.frames(4);

    world.emit(2, 3, "events:chat", chat_event("c2", "last_read_at", json!({}))).await;
    assert_eq!(world.frames(2), ["433[]"], "not the owner: nothing happens");
    assert!(world.host.frames.is_empty());
    world.emit(1, 4, "events:chat", json!({"data": {"type": "last_read_at"}})).await;
    assert!(world.frames(1).is_empty(), "no chat_id: the Python handler raises");
}
