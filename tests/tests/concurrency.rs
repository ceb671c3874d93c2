//! Concurrency: many clients writing to one chat at the same moment lose nothing. Message
//! upserts from 32 clients (enough to cross the 64-patch fold threshold while they race) and
//! 32 concurrent tag adds; every write must be answered 200 and be there afterwards, with a
//! consistent message tree.

use integration_tests::Server;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

/// Concurrent clients.
const CLIENTS: usize = 32;

/// A POST from its own connection; returns the status and the JSON body.
async fn post(client: &reqwest::Client, url: String, token: &str, body: Value) -> (u16, Value) {
    let response = client.post(url).bearer_auth(token).json(&body).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Runs `CLIENTS` tasks released together by a barrier; each gets its index and its own
/// HTTP client (its own connection).
async fn together<F, Fut>(task: F)
where
    F: Fn(usize, reqwest::Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|index| {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().expect("client");
            let work = task(index, client);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                work.await;
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("client task");
    }
}

fn ids(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(|id| id.as_str().map(str::to_owned)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_clients_upserting_messages_into_one_chat_lose_none() {
    let server = Server::start().await;
    let (_admin, token, _) = server.admin_and_user().await;
    // The root lists k0..k31 as children before they exist (Open WebUI's frontend does that
    // for a response it is about to stream); f0..f31 are listed nowhere.
    let listed: Vec<String> = (0..CLIENTS).map(|index| format!("k{index}")).collect();
    let body = json!({"chat": {"title": "Race", "history": {"currentId": "root", "messages": {
        "root": {"id": "root", "parentId": null, "childrenIds": listed, "role": "user", "content": "go", "timestamp": 1_700_000_000}
    }}}});
    let created = server.post("/api/v1/chats/new", &token, body).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let chat = created.body["id"].as_str().unwrap_or_default().to_owned();

    let base = format!("{}/api/v1/chats/{chat}/messages", server.base);
    together(|index, client| {
        let (base, token) = (base.clone(), token.clone());
        async move {
            for (message, content) in [
                (format!("k{index}"), format!("first {index}")),
                (format!("f{index}"), format!("free {index}")),
                (format!("k{index}"), format!("second {index}")),
            ] {
                let (status, body) = post(&client, format!("{base}/{message}"), &token, json!({"content": content})).await;
                assert_eq!(status, 200, "upsert {message}: {body}");
                assert_eq!(body["chat"]["history"]["messages"][&message]["content"], json!(content), "the answer has the write");
            }
        }
    })
    .await;

    let reply = server.get(&format!("/api/v1/chats/{chat}"), &token).await;
    assert_eq!(reply.status, 200);
    let history = &reply.body["chat"]["history"];
    let messages = history["messages"].as_object().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 1 + 2 * CLIENTS, "every message is there: {:?}", messages.keys().collect::<Vec<_>>());
    for index in 0..CLIENTS {
        let (listed, free) = (&messages[&format!("k{index}")], &messages[&format!("f{index}")]);
        assert_eq!(
            (&listed["content"], &listed["parentId"], &listed["role"]),
            (&json!(format!("second {index}")), &json!("root"), &json!("assistant"))
        );
        assert_eq!((&free["content"], &free["parentId"]), (&json!(format!("free {index}")), &Value::Null));
    }
    // Links agree both ways: every child listed exists and points back; every parent
    // exists and lists its child; the root lists k0..k31 once each, in its order.
    assert_eq!(ids(&messages["root"]["childrenIds"]), (0..CLIENTS).map(|index| format!("k{index}")).collect::<Vec<_>>());
    for (id, message) in &messages {
        for child in ids(&message["childrenIds"]) {
            assert_eq!(messages.get(&child).map(|child| &child["parentId"]), Some(&json!(id)), "{id} lists {child}");
        }
        if let Some(parent) = message["parentId"].as_str() {
            assert!(ids(&messages[parent]["childrenIds"]).contains(id), "{parent} lists {id}");
        }
    }
    assert!(history["currentId"].as_str().is_some_and(|current| messages.contains_key(current)), "{}", history["currentId"]);

    // The rows agree with the API.
    let rows = server
        .rows(
            "SELECT id, json_extract(content, '$'), parent_id FROM chat_message WHERE chat_id = ? ORDER BY id",
            vec![chat.as_str().into()],
        )
        .await;
    assert_eq!(rows.len(), 1 + 2 * CLIENTS);
    for row in &rows {
        let id = row[0].as_str().unwrap_or_default().trim_start_matches(&format!("{chat}-")).to_owned();
        assert_eq!(row[1], messages[&id]["content"], "row of {id}");
        assert_eq!(row[2], messages[&id]["parentId"], "parent_id of {id}");
    }
    // Folding whatever is still pending into the stored JSON changes nothing.
    let renamed = server.post(&format!("/api/v1/chats/{chat}"), &token, json!({"chat": {"title": "Race (done)"}})).await;
    assert_eq!(renamed.body["chat"]["history"], *history);
    let stored = server.rows("SELECT chat FROM chat WHERE id = ?", vec![chat.as_str().into()]).await;
    let stored: Value = serde_json::from_str(stored[0][0].as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(stored["history"], *history, "the stored JSON has every message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tag_adds_on_one_chat_lose_none() {
    let server = Server::start().await;
    let (_admin, token, _) = server.admin_and_user().await;
    let created = server.post("/api/v1/chats/new", &token, json!({"chat": {"title": "Tagged"}})).await;
    let chat = created.body["id"].as_str().unwrap_or_default().to_owned();
    let url = format!("{}/api/v1/chats/{chat}/tags", server.base);
    together(|index, client| {
        let (url, token) = (url.clone(), token.clone());
        async move {
            // Everyone adds their own tag; every fourth client also adds a shared one.
            let mut names = vec![format!("Tag {index}")];
            if index % 4 == 0 {
                names.push("Shared".to_owned());
            }
            for name in names {
                let (status, body) = post(&client, url.clone(), &token, json!({"name": name})).await;
                assert_eq!(status, 200, "add {name}: {body}");
                let normalised = name.replace(' ', "_").to_lowercase();
                assert!(body.as_array().is_some_and(|tags| tags.iter().any(|tag| tag["id"] == json!(normalised))), "{body}");
            }
        }
    })
    .await;
    let reply = server.get(&format!("/api/v1/chats/{chat}/tags"), &token).await;
    let got: BTreeSet<String> =
        reply.body.as_array().into_iter().flatten().filter_map(|tag| tag["name"].as_str().map(str::to_owned)).collect();
    let mut expected: BTreeSet<String> = (0..CLIENTS).map(|index| format!("Tag {index}")).collect();
    expected.insert("Shared".to_owned());
    assert_eq!(got, expected);
    assert_eq!(reply.body.as_array().map(Vec::len), Some(CLIENTS + 1), "no duplicates: {}", reply.body);
    let rows = server.rows("SELECT COUNT(*) FROM tag", vec![]).await;
    assert_eq!(rows, vec![vec![json!(CLIENTS + 1)]], "one tag row per name");
}
