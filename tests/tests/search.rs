//! `GET /search` through the host: filter language, phrase-first ordering, snippets,
//! literal metacharacters, paging and isolation.

use integration_tests::Server;
use serde_json::{Value, json};

/// A chat body of one branch of messages with these contents (user, assistant, ...).
fn chat_json(title: &str, contents: &[&str]) -> Value {
    let mut messages = serde_json::Map::new();
    let mut parent = Value::Null;
    for (index, content) in contents.iter().enumerate() {
        let id = format!("m{index}");
        messages.insert(
            id.clone(),
            json!({"id": id, "parentId": parent, "childrenIds": [], "role": if index % 2 == 0 { "user" } else { "assistant" },
                   "content": content, "timestamp": 1_700_000_000 + index as i64}),
        );
        parent = json!(id);
    }
    json!({"title": title, "history": {"messages": messages, "currentId": parent}})
}

async fn chat_with(server: &Server, token: &str, title: &str, contents: &[&str]) -> String {
    let reply = server.post("/api/v1/chats/new", token, json!({"chat": chat_json(title, contents)})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

fn titles(reply: &Value) -> Vec<String> {
    reply.as_array().into_iter().flatten().filter_map(|c| c["title"].as_str().map(str::to_owned)).collect()
}

async fn search(server: &Server, token: &str, text: &str) -> Value {
    let path = format!("/api/v1/chats/search?text={}", urlencode(text));
    let reply = server.get(&path, token).await;
    assert_eq!(reply.status, 200, "search {text:?}: {}", reply.body);
    reply.body
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn text_matching_ordering_and_snippets() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let (bob, _) = server.add_user(&admin, "Bob", "bob@example.com").await;
    let long = format!("{} the quick brown fox jumps {}", "lorem ".repeat(40), "ipsum ".repeat(40));
    chat_with(&server, &alice, "Animals", &["tell me about foxes", &long]).await;
    chat_with(&server, &alice, "Brown things", &["chocolate is brown", "so is a fox, quick too"]).await;
    chat_with(&server, &alice, "Quick Brown Fox notes", &["nothing here"]).await;
    chat_with(&server, &alice, "Unrelated", &["weather report"]).await;
    chat_with(&server, &bob, "Bob's fox", &["quick brown fox"]).await;
    // Make updated_at distinct so the secondary order is known: later created = newer.
    server.db().await.execute("UPDATE chat SET updated_at = rowid", ()).await.expect("order");

    let results = search(&server, &alice, "Quick Brown Fox").await;
    // Exact phrase (title or content) first, newest first; then chats matching every term.
    assert_eq!(titles(&results), ["Quick Brown Fox notes", "Animals", "Brown things"]);
    assert_eq!(results[0]["snippet"], Value::Null, "title match only: no message contains it");
    let snippet = results[1]["snippet"].as_str().unwrap_or_default();
    assert!(snippet.starts_with("...") && snippet.ends_with("...") && snippet.contains("the quick brown fox jumps"), "{snippet}");
    assert_eq!(results[2]["snippet"], "so is a fox, quick too", "needles in order: phrase, then quick, brown, fox");
    let keys: Vec<&str> = results[0].as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(keys, ["id", "title", "updated_at", "created_at", "last_read_at", "snippet", "active", "archived"]);

    // Case-insensitive substring, including inside words; short needles work too.
    assert_eq!(titles(&search(&server, &alice, "FOXES").await), ["Animals"]);
    // A title alone is enough (no message says "notes"); a needle found nowhere finds nothing.
    assert_eq!(titles(&search(&server, &alice, "notes").await), ["Quick Brown Fox notes"]);
    assert_eq!(search(&server, &alice, "zzqqzz").await, json!([]));
    assert_eq!(titles(&search(&server, &alice, "oc").await), ["Brown things"]);
    // Bob's chats never show up for Alice.
    assert!(!titles(&search(&server, &alice, "fox").await).contains(&"Bob's fox".to_owned()));
    assert_eq!(titles(&search(&server, &bob, "fox").await), ["Bob's fox"]);
}

#[tokio::test]
async fn filters_combine_as_specified() {
    let server = Server::start().await;
    let (_admin, alice, user_id) = server.admin_and_user().await;
    let work = chat_with(&server, &alice, "Work plan", &["budget"]).await;
    let both = chat_with(&server, &alice, "Work and fun", &["budget party"]).await;
    let fun = chat_with(&server, &alice, "Fun", &["party"]).await;
    let archived = chat_with(&server, &alice, "Old budget", &["budget"]).await;
    chat_with(&server, &alice, "Plain", &["budget"]).await;
    let db = server.db().await;
    db.execute("UPDATE chat SET updated_at = rowid", ()).await.expect("order");
    db.execute("UPDATE chat SET meta = '{\"tags\":[\"work\"]}' WHERE id = ?1", [work.as_str()]).await.expect("tag");
    db.execute("UPDATE chat SET meta = '{\"tags\":[\"work\",\"fun\"]}', pinned = 1 WHERE id = ?1", [both.as_str()]).await.expect("tag");
    db.execute("UPDATE chat SET meta = '{\"tags\":[\"fun\"]}', share_id = 's1' WHERE id = ?1", [fun.as_str()]).await.expect("tag");
    db.execute("UPDATE chat SET archived = 1, meta = '{\"tags\":[\"work\"]}' WHERE id = ?1", [archived.as_str()]).await.expect("archive");
    db.execute(
        "INSERT INTO folder (id, parent_id, user_id, name, is_expanded, created_at, updated_at) VALUES \
         ('f1', NULL, ?1, 'My Projects', 0, 0, 0), ('f2', 'f1', ?1, 'Sub', 0, 0, 0), ('f3', NULL, ?1, 'Other', 0, 0, 0)",
        [user_id.as_str()],
    )
    .await
    .expect("folders");
    db.execute("UPDATE chat SET folder_id = 'f2' WHERE id = ?1", [work.as_str()]).await.expect("folder");
    db.execute("UPDATE chat SET folder_id = 'f3' WHERE id = ?1", [both.as_str()]).await.expect("folder");

    assert_eq!(titles(&search(&server, &alice, "tag:work").await), ["Work and fun", "Work plan"]);
    assert_eq!(titles(&search(&server, &alice, "tag:work tag:fun").await), ["Work and fun"], "tags are ANDed");
    assert_eq!(titles(&search(&server, &alice, "tag:none budget").await), ["Plain"]);
    assert_eq!(titles(&search(&server, &alice, "tag:work archived:true").await), ["Old budget"]);
    assert_eq!(titles(&search(&server, &alice, "archived:false budget").await), ["Plain", "Work and fun", "Work plan"]);
    assert_eq!(titles(&search(&server, &alice, "pinned:true").await), ["Work and fun"]);
    assert_eq!(titles(&search(&server, &alice, "pinned:false budget").await), ["Plain", "Work plan"]);
    assert_eq!(titles(&search(&server, &alice, "shared:true").await), ["Fun"]);
    // folder: matches names case-insensitively with _ as space, and includes descendants.
    assert_eq!(titles(&search(&server, &alice, "folder:my_projects").await), ["Work plan"]);
    assert_eq!(titles(&search(&server, &alice, "folder:my_projects folder:other").await), ["Work and fun", "Work plan"]);
    assert_eq!(titles(&search(&server, &alice, "folder:nowhere").await), Vec::<String>::new());
    // Tag plus folder filter combine (AND).
    assert_eq!(titles(&search(&server, &alice, "tag:fun folder:other budget").await), ["Work and fun"]);
    assert_eq!(search(&server, &alice, "tag:work").await[0]["snippet"], Value::Null, "no text, no snippet");
    // archived is reported truthfully only here.
    assert_eq!(search(&server, &alice, "archived:true").await[0]["archived"], true);
}

#[tokio::test]
async fn bad_input_and_paging() {
    let server = Server::start().await;
    let (_admin, alice, _) = server.admin_and_user().await;
    chat_with(&server, &alice, "Discount", &["100% off", "a_b literal", "it's \"quoted\" (really)"]).await;
    chat_with(&server, &alice, "Other", &["1000 off", "axb"]).await;
    // The exact phrase ranks first; "1000 off" still matches every term (100, off).
    assert_eq!(titles(&search(&server, &alice, "100% off").await), ["Discount", "Other"]);
    // Open WebUI passes % and _ into LIKE as wildcards; here they are literal characters.
    assert_eq!(titles(&search(&server, &alice, "%%%").await), Vec::<String>::new(), "% is literal");
    assert_eq!(titles(&search(&server, &alice, "_").await), ["Discount"], "_ is literal");
    assert_eq!(titles(&search(&server, &alice, "\"quoted\" (really)").await), ["Discount"]);
    assert_eq!(titles(&search(&server, &alice, "'; DROP TABLE chat; --").await), Vec::<String>::new());
    assert_eq!(titles(&search(&server, &alice, "NEAR(a b) OR *").await), Vec::<String>::new(), "FTS syntax is not interpreted");
    let empty = server.get("/api/v1/chats/search?text=%20%20", &alice).await;
    assert_eq!(empty.status, 422, "Open WebUI answers 500 here");
    assert_eq!(empty.body["detail"][0]["loc"], json!(["query", "text"]));
    let missing = server.get("/api/v1/chats/search", &alice).await;
    assert_eq!(missing.body["detail"][0]["type"], "missing");
    assert_eq!(server.get("/api/v1/chats/search?text=x&page=zz", &alice).await.status, 422);
    server.send("GET", "/api/v1/chats/search?text=x", None, None).await.assert_error(401, "Not authenticated");
    assert_eq!(server.rows("SELECT COUNT(*) FROM chat", vec![]).await, vec![vec![json!(2)]]);

    for index in 0..65 {
        chat_with(&server, &alice, &format!("paged {index}"), &["needle"]).await;
    }
    assert_eq!(search(&server, &alice, "needle").await.as_array().map(Vec::len), Some(60));
    let second = server.get("/api/v1/chats/search?text=needle&page=2", &alice).await;
    assert_eq!(second.body.as_array().map(Vec::len), Some(5));
}

/// Regression: editing a message (an upsert onto an existing row) used to drop it from the
/// search index (two update triggers ran newest first: insert the new text, then delete the
/// row's entry), so the edited message was no longer found and FTS5's check failed.
#[tokio::test]
async fn an_edited_message_is_found_by_its_new_text_only() {
    let server = Server::start().await;
    let (_admin, alice, _) = server.admin_and_user().await;
    let id = chat_with(&server, &alice, "Edits", &["original wording"]).await;
    for content in ["revised wording", "final wording"] {
        let reply = server.post(&format!("/api/v1/chats/{id}/messages/m0"), &alice, json!({"content": content})).await;
        assert_eq!(reply.body["chat"]["history"]["messages"]["m0"]["content"], json!(content));
    }
    assert_eq!(titles(&search(&server, &alice, "final wording").await), ["Edits"]);
    assert!(titles(&search(&server, &alice, "original wording").await).is_empty());
    assert!(titles(&search(&server, &alice, "revised").await).is_empty());
    let check = server.db().await.execute("INSERT INTO chatsvc_message_fts(chatsvc_message_fts, rank) VALUES ('integrity-check', 1)", ()).await;
    assert!(check.is_ok(), "the index matches the messages: {check:?}");
}

/// A common word takes the newest-first walk (`chats/search_walk.rs`): 610 hits among 405
/// chats, so page 1 walks the newest 80 candidate chats, 60 of which match. Later pages,
/// where the walk would cost more, take the set. Every page must be what the set gives:
/// newest first, the caller's matching chats only, archived ones left out.
#[tokio::test]
async fn a_common_word_pages_alike_through_the_walk_and_the_set() {
    let server = Server::start().await;
    let (admin, alice, _) = server.admin_and_user().await;
    let others: Vec<Value> = (0..5).map(|i| json!({"chat": chat_json(&format!("admin {i}"), &["zebra", "zebra"]), "updated_at": 1_800_000_000 + i})).collect();
    assert_eq!(server.post("/api/v1/chats/import", &admin, json!({"chats": others})).await.status, 200);
    let chats: Vec<Value> = (0..400)
        .map(|i| {
            let contents: [&str; 2] = if i % 4 == 0 { ["lion one", "lion two"] } else { ["a zebra here", "zebra again"] };
            json!({"chat": chat_json(&format!("c{i:03}"), &contents), "updated_at": 1_700_000_000 + i, "archived": i == 399})
        })
        .collect();
    let imported = server.post("/api/v1/chats/import", &alice, json!({"chats": chats})).await;
    assert_eq!(imported.status, 200, "{}", imported.body);

    let expected: Vec<String> = (0..399).rev().filter(|i| i % 4 != 0).map(|i| format!("c{i:03}")).collect();
    assert_eq!(expected.len(), 299);
    let mut found = Vec::new();
    for page in 1..=6 {
        let reply = server.get(&format!("/api/v1/chats/search?text=zebra&page={page}"), &alice).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let page_titles = titles(&reply.body);
        assert_eq!(page_titles.len(), [60, 60, 60, 60, 59, 0][page - 1], "page {page}: {page_titles:?}");
        found.extend(page_titles);
    }
    assert_eq!(found, expected, "newest first, matching only, archived and other users' chats left out");
    let page_one = search(&server, &alice, "zebra").await;
    assert_eq!(page_one[0]["snippet"], "a zebra here", "the walk's rows get snippets too");
    let archived = titles(&search(&server, &alice, "zebra archived:true").await);
    assert_eq!(archived, ["c399"]);
}

#[tokio::test]
async fn phrase_matches_then_term_matches_page_as_one_list() {
    let server = Server::start().await;
    let (_, alice, _) = server.admin_and_user().await;
    // 70 chats with the phrase and 80 with both words apart, their times interleaved, and
    // chats with one word only, which never match.
    let chats: Vec<Value> = (0..180)
        .map(|i| {
            let contents: [&str; 2] = match i % 6 {
                0 | 3 if i < 140 => ["we met at the blue harbor", "said nothing"],
                0 | 3 => ["blue sky", "no port"],
                1 | 4 => ["the harbor was blue", "grey"],
                2 if i < 120 => ["a harbor", "then blue"],
                _ => ["only blue", "nothing else"],
            };
            json!({"chat": chat_json(&format!("c{i:03}"), &contents), "updated_at": 1_700_000_000 + i})
        })
        .collect();
    let imported = server.post("/api/v1/chats/import", &alice, json!({"chats": chats})).await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    let newest_first = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..180).rev().filter(|i| keep(*i)).map(|i| format!("c{i:03}")).collect()
    };
    let exact = newest_first(&|i| matches!(i % 6, 0 | 3) && i < 140);
    let terms_only = newest_first(&|i| matches!(i % 6, 1 | 4) || (i % 6 == 2 && i < 120));
    assert_eq!((exact.len(), terms_only.len()), (47, 80));

    let both_words = newest_first(&|i| exact.contains(&format!("c{i:03}")) || terms_only.contains(&format!("c{i:03}")));
    for (text, expected) in [
        ("blue harbor", [exact.clone(), terms_only.clone()].concat()),
        // The quotes are part of the phrase, which nothing contains: every chat with both
        // words, newest first (page 3 starts past the phrase's zero matches).
        ("\"blue harbor\"", both_words),
    ] {
        let mut found = Vec::new();
        for page in 1..=4 {
            let reply = server.get(&format!("/api/v1/chats/search?text={}&page={page}", urlencode(text)), &alice).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            let page_titles = titles(&reply.body);
            assert_eq!(page_titles.len(), [60, 60, 7, 0][page - 1], "{text} page {page}: {page_titles:?}");
            found.extend(page_titles);
        }
        assert_eq!(found, expected, "{text}: the phrase's chats first, then the terms', each newest first");
    }
}
