//! A chat's JSON split down to its messages, each message kept as its stored text: how a
//! message write edits a chat of thousands of messages without parsing them all.
//!
//! Parsing a 2,000-message chat (~1.5 MB) into a `serde_json::Value` tree costs ~10 ms
//! natively and serialising it ~3 ms, twice per write (the stored JSON and the answer).
//! Split, the same chat costs ~3 ms: the top level, `history` and `history.messages` become
//! ordered maps of raw JSON text; only each message's tree-shape fields are read (to check
//! that Open WebUI's read-time repair has nothing to do), and only the messages a write
//! changes are parsed. The untouched text is written back as it was, in the same key order.

use crate::history;
use crate::patches::{self, Patch};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json, json};

/// Keys in stored order, each value as its JSON text.
type RawMap = IndexMap<String, Box<RawValue>>;

/// A chat JSON object with `history.messages` split into one raw value per message.
#[derive(Debug)]
pub struct SplitChat {
    top: RawMap,
    history: RawMap,
    messages: RawMap,
}

/// The fields of a message that Open WebUI's `currentId` repair reads.
#[derive(Deserialize)]
struct TreeFields {
    id: Option<Json>,
    #[serde(rename = "parentId")]
    parent_id: Option<Json>,
    #[serde(rename = "childrenIds")]
    children_ids: Option<Json>,
    role: Option<Json>,
    timestamp: Option<Json>,
    output: Option<Box<RawValue>>,
}

impl SplitChat {
    /// Splits `text`; `None` unless it is an object whose `history` and `history.messages`
    /// are objects (the caller then takes the full parse, which handles every other shape).
    pub fn parse(text: &str) -> Option<Self> {
        let top: RawMap = serde_json::from_str(text).ok()?;
        let history: RawMap = serde_json::from_str(top.get("history")?.get()).ok()?;
        let messages: RawMap = serde_json::from_str(history.get("messages")?.get()).ok()?;
        Some(Self { top, history, messages })
    }

    /// Whether Open WebUI's read-time repair ([`history::repair_current_id`]) would leave
    /// this history as it is. Runs the repair itself on a copy holding only the fields it
    /// reads; `None` when a message's fields cannot be read that way (duplicate keys, …).
    pub fn needs_no_repair(&self) -> Option<bool> {
        let current = self.history_value("currentId");
        let current_id = current.as_ref().and_then(Json::as_str);
        let mut messages = Map::with_capacity(self.messages.len());
        for (id, raw) in &self.messages {
            let skeleton = match serde_json::from_str::<TreeFields>(raw.get()) {
                Ok(fields) => {
                    let mut message = Map::new();
                    let mut put = |key: &str, value: Option<Json>| {
                        if let Some(value) = value {
                            message.insert(key.to_owned(), value);
                        }
                    };
                    put("id", fields.id);
                    put("parentId", fields.parent_id);
                    put("childrenIds", fields.children_ids);
                    put("role", fields.role);
                    put("timestamp", fields.timestamp);
                    // Only the current message's output is read by the repair.
                    if current_id == Some(id.as_str()) {
                        put("output", fields.output.and_then(|output| serde_json::from_str(output.get()).ok()));
                    }
                    Json::Object(message)
                }
                // Not an object: kept as it is (the repair skips such entries).
                Err(_) if !raw.get().trim_start().starts_with('{') => serde_json::from_str(raw.get()).ok()?,
                Err(_) => return None,
            };
            messages.insert(id.clone(), skeleton);
        }
        let mut skeleton = json!({"history": {"currentId": current, "messages": messages}});
        if current.is_none() {
            skeleton["history"].as_object_mut()?.remove("currentId");
        }
        Some(!history::repair_current_id(&mut skeleton))
    }

    /// Applies one message write ([`patches::fold`] of `patch`) to the split chat: only the
    /// message and, for a new one, its parent are parsed; `currentId` moves as the fold says.
    pub fn apply(&mut self, patch: &Patch) -> Option<()> {
        let parent = patch.is_new.then(|| patch.patch.get("parentId").and_then(Json::as_str)).flatten();
        let mut involved = Map::new();
        for id in [Some(patch.message_id.as_str()), parent].into_iter().flatten() {
            if let Some(raw) = self.messages.get(id) {
                involved.insert(id.to_owned(), serde_json::from_str(raw.get()).ok()?);
            }
        }
        let mut mini = json!({"history": {"messages": involved}});
        if let Some(current) = self.history.get("currentId") {
            mini["history"]["currentId"] = serde_json::from_str(current.get()).ok()?;
        }
        patches::fold(&mut mini, std::slice::from_ref(patch));
        let Json::Object(mut history) = mini["history"].take() else { return None };
        if let Some(Json::Object(messages)) = history.remove("messages") {
            for (id, message) in messages {
                self.messages.insert(id, raw(&message)?);
            }
        }
        if let Some(current) = history.get("currentId") {
            self.history.insert("currentId".into(), raw(current)?);
        }
        Some(())
    }

    /// A top-level value, parsed (`None` when absent).
    pub fn top_value(&self, key: &str) -> Option<Json> {
        self.top.get(key).and_then(|raw| serde_json::from_str(raw.get()).ok())
    }

    /// A value of `history`, parsed (`None` when absent).
    fn history_value(&self, key: &str) -> Option<Json> {
        self.history.get(key).and_then(|raw| serde_json::from_str(raw.get()).ok())
    }

    /// `title` as Open WebUI's message writes store it ([`history::stored_title`]).
    pub fn stored_title(&self) -> String {
        let mut title = Map::new();
        if let Some(value) = self.top_value("title") {
            title.insert("title".into(), value);
        }
        history::stored_title(&Json::Object(title))
    }

    /// [`history::current_message_id`] of the whole chat, reading only what it needs.
    pub fn current_message_id(&self) -> Option<String> {
        let mut pointers = json!({"history": {"currentId": self.history_value("currentId")}});
        for key in ["currentId", "branchPointMessageId"] {
            if let Some(value) = self.top_value(key) {
                pointers[key] = value;
            }
        }
        history::current_message_id(&pointers).or_else(|| {
            // No pointer at all: the legacy `messages` list decides.
            let messages = self.top_value("messages")?;
            history::current_message_id(&json!({"messages": messages}))
        })
    }

    /// The chat as JSON text: untouched values exactly as they were stored, in stored order.
    pub fn to_text(&self) -> Option<String> {
        let messages = object_text(self.messages.iter().map(|(key, raw)| (key, raw.get())))?;
        let history = object_text(self.history.iter().map(|(key, raw)| {
            (key, if key == "messages" { messages.as_str() } else { raw.get() })
        }))?;
        object_text(self.top.iter().map(|(key, raw)| (key, if key == "history" { history.as_str() } else { raw.get() })))
    }
}

/// A value as raw JSON text.
fn raw(value: &Json) -> Option<Box<RawValue>> {
    serde_json::value::to_raw_value(value).ok()
}

/// `{"key":value,…}` from keys and the JSON text of their values.
fn object_text<'a>(entries: impl Iterator<Item = (&'a String, &'a str)>) -> Option<String> {
    let mut text = String::from("{");
    for (index, (key, value)) in entries.enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(&serde_json::to_string(key).ok()?);
        text.push(':');
        text.push_str(value);
    }
    text.push('}');
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, parent: Option<&str>, children: &[&str], role: &str) -> Json {
        json!({"id": id, "parentId": parent, "childrenIds": children, "role": role, "content": format!("text of {id}"), "timestamp": 1})
    }

    fn chat() -> Json {
        json!({"title": "T\u{e9}", "models": ["m"], "history": {"messages": {
            "a": message("a", None, &["b"], "user"),
            "b": message("b", Some("a"), &[], "assistant"),
        }, "currentId": "b"}, "messages": [], "timestamp": 5})
    }

    /// What the full parse does with the same write: the reference.
    fn full(chat: &Json, patch: &Patch) -> Json {
        let mut chat = chat.clone();
        patches::fold(&mut chat, std::slice::from_ref(patch));
        chat
    }

    fn patch(id: &str, value: Json, is_new: bool) -> Patch {
        Patch { message_id: id.into(), patch: value.as_object().cloned().unwrap_or_default(), is_new, seq: 0 }
    }

    #[test]
    fn an_untouched_chat_is_written_back_as_stored() {
        // Python's separators and escapes stay as they were.
        let stored = r#"{"title": "T\u00e9", "history": {"messages": {"a": {"id": "a", "role": "user"}}, "currentId": "a"}}"#;
        let split = SplitChat::parse(stored).unwrap_or_else(|| panic!("splits"));
        let text = split.to_text().unwrap_or_default();
        assert_eq!(text, r#"{"title":"T\u00e9","history":{"messages":{"a":{"id": "a", "role": "user"}},"currentId":"a"}}"#);
        assert_eq!(serde_json::from_str::<Json>(&text).ok(), serde_json::from_str::<Json>(stored).ok());
        assert_eq!(split.stored_title(), "T\u{e9}");
        assert_eq!(split.current_message_id().as_deref(), Some("a"));
    }

    #[test]
    fn writes_match_the_full_parse() {
        let chat = chat();
        let writes = [
            patch("b", json!({"content": "edited", "meta": {"voice": 1}}), false),
            patch("c", json!({"id": "c", "parentId": "b", "childrenIds": [], "role": "user", "content": "new", "timestamp": 9}), true),
            patch("d", json!({"id": "d", "parentId": null, "childrenIds": [], "role": "user", "content": "root", "timestamp": 9}), true),
            patch("gone", json!({"content": "x"}), false),
        ];
        for write in writes {
            let mut split = SplitChat::parse(&chat.to_string()).unwrap_or_else(|| panic!("splits"));
            assert_eq!(split.needs_no_repair(), Some(true));
            split.apply(&write).unwrap_or_else(|| panic!("applies"));
            let text = split.to_text().unwrap_or_default();
            let written: Json = serde_json::from_str(&text).unwrap_or_default();
            let expected = full(&chat, &write);
            assert_eq!(written, expected, "{}", write.message_id);
            // Same key order too (the comparison above ignores it).
            assert_eq!(text, expected.to_string(), "{}", write.message_id);
            assert_eq!(split.current_message_id(), history::current_message_id(&expected));
        }
    }

    #[test]
    fn a_history_the_repair_would_change_is_noticed() {
        let mut unlinked = chat();
        unlinked["history"]["messages"]["a"]["childrenIds"] = json!([]);
        let mut not_a_leaf = chat();
        not_a_leaf["history"]["currentId"] = json!("a");
        for broken in [unlinked, not_a_leaf] {
            let split = SplitChat::parse(&broken.to_string()).unwrap_or_else(|| panic!("splits"));
            assert_eq!(split.needs_no_repair(), Some(false), "{broken}");
        }
        let duplicate = r#"{"history": {"messages": {"a": {"id": "a", "id": "b"}}}}"#;
        let split = SplitChat::parse(duplicate).unwrap_or_else(|| panic!("splits"));
        assert_eq!(split.needs_no_repair(), None, "duplicate keys: take the full parse");
    }

    #[test]
    fn other_shapes_are_left_to_the_full_parse() {
        for text in ["[]", "{}", r#"{"history": []}"#, r#"{"history": {"messages": []}}"#, "not json", ""] {
            assert!(SplitChat::parse(text).is_none(), "{text}");
        }
    }
}
