//! The OpenAPI document: served unauthenticated at `GET /api/v1/chats/openapi.json` (before
//! `GET /{id}` could take it for a chat id) equal to `docs/openapi.json`, and every documented
//! operation reaches a route: no answer is the routers' 404/405 fallback. (The core's unit
//! tests check the other direction: every routed path is documented.)

use integration_tests::{Server, repo_root};
use serde_json::{Value, json};

#[tokio::test]
async fn the_document_is_served_and_every_documented_operation_is_routed() {
    let server = Server::start().await;
    let file = std::fs::read_to_string(repo_root().join("docs/openapi.json")).unwrap_or_else(|error| panic!("docs/openapi.json: {error}"));
    let document: Value = serde_json::from_str(&file).unwrap_or_else(|error| panic!("docs/openapi.json: {error}"));

    let served = server.send("GET", "/api/v1/chats/openapi.json", None, None).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers.get("content-type").and_then(|value| value.to_str().ok()), Some("application/json"));
    assert_eq!(served.body, document, "the served document is docs/openapi.json (rebuild the components)");

    let mut operations = 0;
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        // A parameter value no route treats as a keyword.
        let concrete = path.split('/').map(|part| if part.starts_with('{') { "p1" } else { part }).collect::<Vec<_>>().join("/");
        for method in item.as_object().into_iter().flat_map(|item| item.keys()) {
            operations += 1;
            let reply = server.send(&method.to_uppercase(), &concrete, None, None).await;
            let fallback = [(404, json!({"detail": "Not Found"})), (405, json!({"detail": "Method Not Allowed"}))];
            assert!(
                !fallback.contains(&(reply.status, reply.body.clone())),
                "{method} {path} is documented but not routed: {} {}",
                reply.status,
                reply.body
            );
            let documented = item[method]["responses"].as_object().map(|responses| responses.contains_key(&reply.status.to_string()));
            assert_eq!(documented, Some(true), "{method} {path}: status {} is not documented ({})", reply.status, reply.body);
        }
    }
    assert!(operations >= 69, "only {operations} operations documented");
}
