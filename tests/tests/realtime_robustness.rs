//! Relay robustness through `host serve` with the real realtime component: a reconnect storm
//! of 1,000 Socket.IO sockets, a consumer that never reads, and malformed frames. Each time
//! the relay stays up, the host's resident memory stays bounded, and well-behaved sockets
//! keep receiving events.

use futures::{SinkExt, StreamExt, future::join_all};
use integration_tests::Server;
use integration_tests::socketio::Client;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Sockets in the storm (the test process and the host each hold one descriptor per socket;
/// the default soft limit here is 20,000, so no rlimit change is needed).
const STORM: usize = 1_000;

/// The host's resident set size in KiB (`VmRSS` in /proc/PID/status).
fn rss_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).expect("the host is still running");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

async fn chat(server: &Server, token: &str) -> String {
    let body = json!({"chat": {"title": "Live", "history": {"currentId": "a1", "messages": {
        "a1": {"id": "a1", "parentId": null, "childrenIds": [], "role": "assistant", "content": "", "timestamp": 1_700_000_000}
    }}}});
    let reply = server.post("/api/v1/chats/new", token, body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

/// Posts an event of a type the emitter does not store (`chat:completion`): it is only
/// relayed to the owner's sockets, so many of them cost no database growth.
async fn relay_event(server: &Server, token: &str, chat_id: &str, data: Value) -> Value {
    let event = json!({"type": "chat:completion", "data": data});
    let reply = server.post(&format!("/api/v1/chats/{chat_id}/messages/a1/event"), token, event.clone()).await;
    assert_eq!(reply.body, json!(true), "event accepted");
    json!({"chat_id": chat_id, "message_id": "a1", "data": event})
}

/// A socket joined to its user's room.
async fn joined(base: &str, token: &str) -> Client {
    let mut client = Client::connect(base, Some(token)).await;
    let ack = client.call("user-join", json!({"auth": {"token": token}})).await;
    assert_eq!(ack.first().map(|user| user["name"].clone()), Some(json!("Alice")), "{ack:?}");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconnect_storm_of_a_thousand_sockets_all_receive_and_memory_stays_bounded() {
    let server = Server::start().await;
    let (_admin, token, _) = server.admin_and_user().await;
    let chat_id = chat(&server, &token).await;
    let before = rss_kib(&server);

    // Every socket connects, joins, drops, and reconnects and joins again, all at once.
    let storm = (0..STORM).map(|_| {
        let (base, token) = (server.base.clone(), token.clone());
        tokio::spawn(async move {
            joined(&base, &token).await.close().await;
            joined(&base, &token).await
        })
    });
    let mut clients: Vec<Client> = join_all(storm).await.into_iter().map(|task| task.expect("socket task")).collect();
    let peak = rss_kib(&server);

    let expected = relay_event(&server, &token, &chat_id, json!({"n": 1})).await;
    let received = join_all(clients.iter_mut().map(|client| client.next_event(Duration::from_secs(60)))).await;
    let missing = received.iter().filter(|event| event.as_ref() != Some(&expected)).count();
    assert_eq!(missing, 0, "all {STORM} reconnected sockets get the event");
    join_all(clients.into_iter().map(Client::close)).await;

    // A second storm does not grow memory much further (nothing leaks per socket).
    let again = (0..STORM).map(|_| {
        let (base, token) = (server.base.clone(), token.clone());
        tokio::spawn(async move { joined(&base, &token).await.close().await })
    });
    join_all(again).await.into_iter().for_each(|task| task.expect("socket task"));
    let after = rss_kib(&server);
    eprintln!("host RSS: {before} KiB before, {peak} KiB with {STORM} sockets, {after} KiB after a second storm");
    // Regression: tungstenite's default 128 KiB read buffer per socket made this ~150 MB.
    assert!(peak < before + 64 * 1024, "1,000 sockets cost less than 64 MiB: {before} → {peak} KiB");
    assert!(after < peak + 64 * 1024, "a second storm leaks nothing significant: {peak} → {after} KiB");
    let mut probe = joined(&server.base, &token).await;
    let expected = relay_event(&server, &token, &chat_id, json!({"n": 2})).await;
    assert_eq!(probe.next_event(Duration::from_secs(20)).await, Some(expected), "the relay still delivers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_socket_that_never_reads_is_cut_off_while_others_keep_receiving() {
    let server = Server::start_with_args(&[], &["--ws-queue-frames", "16"]).await;
    let (_admin, token, _) = server.admin_and_user().await;
    let chat_id = chat(&server, &token).await;
    let mut fast = joined(&server.base, &token).await;
    let mut slow = joined(&server.base, &token).await;
    let before = rss_kib(&server);

    // 200 events of 64 KiB: 12.5 MiB for a socket whose reader is stalled.
    const EVENTS: usize = 200;
    let pad = "x".repeat(64 * 1024);
    for n in 0..EVENTS {
        let expected = relay_event(&server, &token, &chat_id, json!({"n": n, "pad": pad})).await;
        assert_eq!(fast.next_event(Duration::from_secs(20)).await, Some(expected), "event {n} reaches the reading socket");
    }
    let after = rss_kib(&server);
    eprintln!("host RSS: {before} KiB before, {after} KiB after {EVENTS} events of 64 KiB with a stalled socket");
    assert!(after < before + 64 * 1024, "the stalled socket's backlog is bounded: {before} → {after} KiB");

    // The stalled socket finds what fitted in its queue and the TCP buffers, then the end.
    let mut got = 0;
    while slow.next_event(Duration::from_secs(20)).await.is_some() {
        got += 1;
    }
    assert!(got < EVENTS, "the stalled socket was disconnected, not buffered without bound ({got} events)");
    let expected = relay_event(&server, &token, &chat_id, json!({"n": "after"})).await;
    assert_eq!(fast.next_event(Duration::from_secs(20)).await, Some(expected));
}

/// A raw WebSocket to the relay, past the Engine.IO open packet.
async fn raw_socket(base: &str) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("{}/ws/socket.io/?EIO=4&transport=websocket", base.replacen("http", "ws", 1));
    let config = WebSocketConfig::default().max_frame_size(Some(64 << 20)).max_message_size(Some(64 << 20));
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false).await.expect("websocket connect");
    socket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_frames_leave_the_relay_and_other_sockets_alone() {
    let server = Server::start().await;
    let (_admin, token, _) = server.admin_and_user().await;
    let chat_id = chat(&server, &token).await;
    let mut witness = joined(&server.base, &token).await;
    let before = rss_kib(&server);

    let deep = format!("42[\"user-join\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    let texts: Vec<String> = vec![
        "garbage".into(),
        String::new(),
        "4".into(),
        "42".into(),
        "42[".into(),
        "42{\"not\":\"an array\"}".into(),
        "42[1,2,3]".into(),
        "42[\"events:chat\"]".into(),
        "42[\"events:chat\",null]".into(),
        "42[\"user-join\",{\"auth\":{\"token\":42}}]".into(),
        "4299999999999999999999999999[\"x\"]".into(),
        "43[]".into(),
        "45-[\"x\",{\"_placeholder\":true,\"num\":0}]".into(),
        "40{bad json".into(),
        "40/nsp,{}".into(),
        "41".into(),
        "5".into(),
        "6".into(),
        "9".into(),
        "\u{0}\u{ffff}".into(),
        deep,
    ];
    // Every kind of garbage on its own socket, and all of it on one socket in a row.
    let mut sockets = Vec::new();
    for text in &texts {
        let mut socket = raw_socket(&server.base).await;
        let _ = socket.send(Message::text(text.clone())).await;
        sockets.push(socket);
    }
    let mut everything = raw_socket(&server.base).await;
    for text in &texts {
        let _ = everything.send(Message::text(text.clone())).await;
    }
    for binary in [vec![0u8, 159, 146, 150], vec![0xff; 4096], b"42[\"x\"]".to_vec()] {
        let mut socket = raw_socket(&server.base).await;
        let _ = socket.send(Message::binary(binary.clone())).await;
        let _ = everything.send(Message::binary(binary)).await;
        sockets.push(socket);
    }
    // Over the 1 MiB frame cap: that socket is closed with 1009 (message too big).
    let mut oversize = raw_socket(&server.base).await;
    let _ = oversize.send(Message::text(format!("42[\"x\",\"{}\"]", "y".repeat(2 << 20)))).await;
    let close = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(frame) = oversize.next().await {
            match frame {
                Ok(Message::Close(frame)) => return frame.map(|frame| u16::from(frame.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the oversize socket is closed in time");
    assert_eq!(close, Some(1009));

    // The relay is up, the witness still gets its events, a new socket can join, and memory
    // did not balloon.
    let expected = relay_event(&server, &token, &chat_id, json!({"after": "garbage"})).await;
    assert_eq!(witness.next_event(Duration::from_secs(20)).await, Some(expected.clone()));
    let mut newcomer = joined(&server.base, &token).await;
    let expected = relay_event(&server, &token, &chat_id, json!({"after": "newcomer"})).await;
    assert_eq!(newcomer.next_event(Duration::from_secs(20)).await, Some(expected.clone()));
    assert_eq!(witness.next_event(Duration::from_secs(20)).await, Some(expected));
    let after = rss_kib(&server);
    eprintln!("host RSS: {before} KiB before, {after} KiB after the malformed frames");
    assert!(after < before + 128 * 1024, "{before} → {after} KiB");
    drop(sockets);
}
