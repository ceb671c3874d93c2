//! The workload: the routes a chat client calls most, each as a list of requests that wrk
//! cycles through, built from what seeding returned so every server gets the same shape of
//! work on its own ids.

use crate::chats::seed::{self, PHRASE, Rng, Seeded, TAG, WORD};
use crate::wrk::Call;
use serde_json::json;

/// One scenario: a name and the requests it cycles through.
pub struct Scenario {
    /// Short name for the table.
    pub name: &'static str,
    /// The requests.
    pub calls: Vec<Call>,
    /// Needs 1,000 sockets listening (the event scenario).
    pub sockets: bool,
}

fn call(method: &'static str, path: String, body: String) -> Call {
    Call { method, path, body }
}

/// Every scenario for a seeded server. Request lists are bounded (wrk cycles through them).
pub fn all(seeded: &Seeded, message_bytes: usize) -> Vec<Scenario> {
    let mut rng = Rng::new(42);
    let ids: Vec<&String> = seeded.chat_ids.iter().take(1000).collect();
    let pick = |rng: &mut Rng| ids[rng.below(ids.len())].clone();
    let base = "/api/v1/chats";
    let get = (0..1000).map(|_| call("GET", format!("{base}/{}", pick(&mut rng)), String::new())).collect();
    let new = (0..100)
        .map(|i| {
            let (chat, _) = seed::chat_json(&mut rng, &format!("New chat {i}"), 2, message_bytes, false, false, 1_700_000_000);
            call("POST", format!("{base}/new"), json!({ "chat": chat }).to_string())
        })
        .collect();
    let update = (0..200)
        .map(|i| {
            let (chat, _) = seed::chat_json(&mut rng, &format!("Updated chat {i}"), 20, message_bytes, false, false, 1_700_000_000);
            call("POST", format!("{base}/{}", pick(&mut rng)), json!({ "chat": chat }).to_string())
        })
        .collect();
    let upsert = |(chat, message): &(String, String), rng: &mut Rng| -> Vec<Call> {
        (0..100)
            .map(|_| call("POST", format!("{base}/{chat}/messages/{message}"), json!({"content": seed::text(rng, message_bytes, false, false)}).to_string()))
            .collect()
    };
    let upsert_small = upsert(&seeded.small, &mut rng);
    let upsert_big = upsert(&seeded.big, &mut rng);
    let search = |text: &str| vec![call("GET", format!("{base}/search?text={}", percent_encode(text)), String::new())];
    let tags = (0..500)
        .map(|i| call("POST", format!("{base}/{}/tags", pick(&mut rng)), json!({"name": format!("bench-{}", i % 20)}).to_string()))
        .collect();
    let (chat, message) = &seeded.small;
    let event = vec![call(
        "POST",
        format!("{base}/{chat}/messages/{message}/event"),
        json!({"type": "chat:message:delta", "data": {"content": "token "}}).to_string(),
    )];
    let scenario = |name, calls| Scenario { name, calls, sockets: false };
    vec![
        scenario("GET / page 1", vec![call("GET", format!("{base}/?page=1"), String::new())]),
        scenario("GET /{id}", get),
        scenario("POST /new", new),
        scenario("POST /{id}", update),
        scenario("POST msg (10-msg chat)", upsert_small),
        scenario("POST msg (2000-msg chat)", upsert_big),
        scenario("GET /search word", search(WORD)),
        scenario("GET /search phrase", search(&format!("\"{PHRASE}\""))),
        scenario("GET /search tag:", search(&format!("tag:{TAG} {WORD}"))),
        scenario("POST /{id}/tags", tags),
        scenario("GET /all/tags", vec![call("GET", format!("{base}/all/tags"), String::new())]),
        Scenario { name: "POST /event (1k sockets)", calls: event, sockets: true },
    ]
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
