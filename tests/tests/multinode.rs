//! Several nodes on one libSQL server, all on loopback: one `sqld`, one `redis-server`, two
//! `host serve` processes (the API) on that sqld, and two `host realtime --redis` relays.
//! API process 1 publishes its events to relay 1, API process 2 to relay 2; the relays share
//! them through Redis.
//!
//! Needs sqld (`SQLD_BIN` or `scripts/sqld`), `redis-server` on the PATH (skipped without it
//! unless `REQUIRE_REDIS` is set, as scripts/test does) and the built `realtime.wasm`.

// A process that does not start, or a writer task that panicked, should stop the test loudly.
#![allow(clippy::expect_used)]

use integration_tests::socketio::Client;
use integration_tests::{
    Backing, SECRET, Server, Sqld, TempDir, free_port, host_binary, repo_root,
};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The publish token the API processes and both relays share.
const PUBLISH_TOKEN: &str = "multinode-publish-token";
const WAIT: Duration = Duration::from_secs(10);

/// A `redis-server` on a free port, killed (by PID) on drop.
struct Redis {
    child: Child,
    url: String,
}

impl Redis {
    fn start() -> Option<Self> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = Self {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(redis)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `host realtime` relay on the shared sqld and Redis; killed (by PID) on drop.
struct Relay {
    child: Child,
    base: String,
    _dir: TempDir,
}

impl Relay {
    async fn start(backing: &Backing, redis: &Redis) -> Self {
        let dir = TempDir::new("chats-relay");
        let port = free_port();
        let child = Command::new(host_binary())
            .arg("realtime")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(backing.host_args())
            .arg("--redis")
            .arg(&redis.url)
            .arg("--realtime-component")
            .arg(repo_root().join("target/wasm32-wasip2/release/realtime.wasm"))
            .arg("--cache-dir")
            .arg(repo_root().join("target").join("component-cache"))
            .arg("--var")
            .arg(format!("realtime_token={PUBLISH_TOKEN}"))
            .arg("--var")
            .arg(format!("webui_secret_key={SECRET}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start host realtime");
        let relay = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "relay did not start on {}",
                relay.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        relay
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `host serve` on the shared sqld, publishing its events to `relay`.
async fn api(backing: &Backing, relay: &Relay) -> Server {
    let url = format!("{}/_realtime/publish", relay.base);
    Server::start_on(
        Some(backing.clone()),
        &[
            ("realtime_url", &url),
            ("realtime_origin", &relay.base),
            ("realtime_token", PUBLISH_TOKEN),
        ],
        &[],
    )
    .await
}

async fn new_chat(server: &Server, token: &str, title: &str) -> String {
    let body = json!({"chat": {"title": title, "history": {"messages": {
        "a1": {"id": "a1", "parentId": null, "childrenIds": [], "role": "assistant", "content": "", "done": false, "timestamp": 1_700_000_000}
    }, "currentId": "a1"}}});
    let reply = server.post("/api/v1/chats/new", token, body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

/// A socket of `token`'s user on `relay`, joined.
async fn socket(relay: &Relay, token: &str) -> Client {
    let mut client = Client::connect(&relay.base, Some(token)).await;
    let ack = client
        .call("user-join", json!({"auth": {"token": token}}))
        .await;
    assert!(
        ack.first().is_some_and(|user| user["id"].is_string()),
        "user-join refused: {ack:?}"
    );
    client
}

/// Posts a status event through `server` and returns what a socket should receive.
async fn post_event(server: &Server, token: &str, chat_id: &str, description: &str) -> Value {
    let data = json!({"type": "status", "data": {"description": description, "done": false}});
    let posted = server
        .post(
            &format!("/api/v1/chats/{chat_id}/messages/a1/event"),
            token,
            data.clone(),
        )
        .await;
    assert_eq!(posted.body, json!(true), "event through {}", server.base);
    json!({"chat_id": chat_id, "message_id": "a1", "data": data})
}

/// Waits for `expected` on `client`, skipping other events; `false` after `WAIT`.
async fn receives(client: &mut Client, expected: &Value) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while let Some(event) = client
        .next_event(deadline.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        if &event == expected {
            return true;
        }
    }
    false
}

/// Posts events through `server` until `client` receives one (a relay subscribes to Redis in
/// the background after it starts): the first delivery proves the path.
async fn first_delivery(
    server: &Server,
    token: &str,
    chat_id: &str,
    client: &mut Client,
    label: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for attempt in 0.. {
        let expected = post_event(server, token, chat_id, &format!("{label} {attempt}")).await;
        if receives(client, &expected).await {
            return;
        }
        assert!(Instant::now() < deadline, "{label}: no event arrived");
    }
}

#[tokio::test]
async fn two_api_processes_and_two_relays_on_one_sqld() {
    let Some(redis) = Redis::start() else {
        assert!(
            std::env::var_os("REQUIRE_REDIS").is_none(),
            "REQUIRE_REDIS is set but redis-server is missing"
        );
        eprintln!("redis-server not available: skipping the multi-node test");
        return;
    };
    let sqld = Arc::new(Sqld::start().await);
    let backing = Backing::Sqld(sqld.clone());
    let mut relay1 = Relay::start(&backing, &redis).await;
    let relay2 = Relay::start(&backing, &redis).await;
    let mut api1 = api(&backing, &relay1).await;
    let api2 = api(&backing, &relay2).await;

    // Writes through either API process are visible through the other.
    let (admin, alice, _alice_id) = api1.admin_and_user().await;
    let signed_in = api2.get("/api/v1/auths/", &alice).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let via1 = new_chat(&api1, &alice, "written through 1").await;
    let via2 = new_chat(&api2, &alice, "written through 2").await;
    assert_eq!(
        api2.get(&format!("/api/v1/chats/{via1}"), &alice)
            .await
            .body["chat"]["title"],
        "written through 1"
    );
    assert_eq!(
        api1.get(&format!("/api/v1/chats/{via2}"), &alice)
            .await
            .body["chat"]["title"],
        "written through 2"
    );
    let renamed = api2
        .post(
            &format!("/api/v1/chats/{via1}"),
            &alice,
            json!({"chat": {"title": "renamed through 2"}}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(
        api1.get(&format!("/api/v1/chats/{via1}"), &alice)
            .await
            .body["title"],
        "renamed through 2"
    );
    let (bob, _) = api2.add_user(&admin, "Bob", "bob@example.com").await;
    assert_eq!(api1.get("/api/v1/auths/", &bob).await.status, 200);

    // An event posted through API process 1 (published to relay 1) reaches a socket on relay
    // 2 through Redis, and the other way round.
    let mut on1 = socket(&relay1, &alice).await;
    let mut on2 = socket(&relay2, &alice).await;
    first_delivery(&api1, &alice, &via1, &mut on2, "api 1 to relay 2").await;
    first_delivery(&api2, &alice, &via1, &mut on1, "api 2 to relay 1").await;
    let expected = post_event(&api1, &alice, &via1, "to both").await;
    assert!(receives(&mut on1, &expected).await, "relay 1's socket");
    assert!(receives(&mut on2, &expected).await, "relay 2's socket");

    // Killing API process 1 (SIGKILL) in the middle of writes (four writers, each with a
    // request in flight: new chats, and a status event on each) loses no acknowledged write.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let base = api1.base.clone();
            let token = alice.clone();
            let acknowledged = acknowledged.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut ids = Vec::new();
                for n in 0..10_000 {
                    let body = json!({"chat": {"title": format!("burst {writer}/{n}"), "history": {"messages": {
                        "a1": {"id": "a1", "parentId": null, "childrenIds": [], "role": "assistant", "content": "", "timestamp": 1_700_000_000}
                    }, "currentId": "a1"}}});
                    let sent = client.post(format!("{base}/api/v1/chats/new")).bearer_auth(&token).json(&body).send().await;
                    let Ok(response) = sent else { break };
                    let Ok(reply) = response.json::<Value>().await else { break };
                    let Some(id) = reply["id"].as_str().map(str::to_owned) else { break };
                    ids.push((id.clone(), None));
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                    let status = json!({"type": "status", "data": {"description": format!("status {writer}/{n}"), "done": false}});
                    let sent = client.post(format!("{base}/api/v1/chats/{id}/messages/a1/event")).bearer_auth(&token).json(&status).send().await;
                    let Ok(response) = sent else { break };
                    if response.json::<Value>().await.ok() != Some(json!(true)) {
                        break;
                    }
                    ids.last_mut().expect("just pushed").1 = Some(format!("status {writer}/{n}"));
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                }
                ids
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.load(Ordering::SeqCst) < 60 {
        assert!(Instant::now() < deadline, "the writers made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    api1.kill();
    let killed_at = Instant::now();
    let first_after = new_chat(&api2, &alice, "first write after the kill").await;
    let stalled = killed_at.elapsed();
    let mut writes = Vec::new();
    for writer in writers {
        writes.extend(writer.await.expect("writer"));
    }
    for (id, status) in &writes {
        let reply = api2.get(&format!("/api/v1/chats/{id}"), &alice).await;
        assert_eq!(
            reply.status, 200,
            "acknowledged chat {id} lost: {}",
            reply.body
        );
        if let Some(status) = status {
            let history = &reply.body["chat"]["history"]["messages"]["a1"]["statusHistory"];
            assert!(
                history
                    .as_array()
                    .is_some_and(|h| h.iter().any(|s| s["description"] == json!(status))),
                "acknowledged {status} of {id} lost: {history}"
            );
        }
    }
    assert_eq!(
        api2.get(&format!("/api/v1/chats/{first_after}"), &alice)
            .await
            .status,
        200
    );
    eprintln!(
        "multinode: {} writes acknowledged by API process 1 before SIGKILL, all visible through API process 2; its first write after the kill took {stalled:?}",
        acknowledged.load(Ordering::SeqCst)
    );

    // Killing relay 1: its socket is gone; the client reconnects to relay 2 and keeps
    // receiving what API process 2 publishes, and writes keep succeeding meanwhile.
    relay1.kill();
    drop(on1);
    let during = new_chat(&api2, &alice, "while relay 1 is down").await;
    let mut reconnected = socket(&relay2, &alice).await;
    let expected = post_event(&api2, &alice, &during, "after relay 1 died").await;
    assert!(
        receives(&mut reconnected, &expected).await,
        "the reconnected socket"
    );
    assert!(
        receives(&mut on2, &expected).await,
        "relay 2's first socket"
    );

    // API process 1 comes back on the same sqld and sees everything.
    api1.respawn().await;
    let back = api1.get(&format!("/api/v1/chats/{during}"), &alice).await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.body["chat"]["title"], "while relay 1 is down");
}
