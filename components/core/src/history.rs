//! The chat JSON's message history: Open WebUI's algorithms for `currentId` repair,
//! `current_message_id`, merging histories, upserting and stamping messages (spec §3.6).
//!
//! All functions work on `serde_json` values with insertion order preserved, because
//! Open WebUI's results depend on dict order (e.g. `childrenIds` follow map order).

use serde_json::{Map, Value as Json, json};
use std::collections::HashSet;

/// Removes NUL characters from every string (keys included), as `sanitize_data_for_db`.
pub fn strip_nul(value: &mut Json) {
    match value {
        Json::String(text) if text.contains('\0') => *text = text.replace('\0', ""),
        Json::Array(items) => items.iter_mut().for_each(strip_nul),
        Json::Object(map) => {
            if map.keys().any(|key| key.contains('\0')) {
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    strip_nul(&mut item);
                    map.insert(key.replace('\0', ""), item);
                }
            } else {
                map.values_mut().for_each(strip_nul);
            }
        }
        _ => {}
    }
}

/// Removes NUL characters from one string.
pub fn strip_nul_str(text: &str) -> String {
    text.replace('\0', "")
}

/// Python truthiness for "first non-empty" choices.
fn non_empty_str(value: Option<&Json>) -> Option<&str> {
    value.and_then(Json::as_str).filter(|text| !text.is_empty())
}

/// `get_current_message_id`: `history.currentId`, `currentId`, `branchPointMessageId`, or
/// the last legacy `messages[]` entry with an id.
pub fn current_message_id(chat: &Json) -> Option<String> {
    let history = chat.get("history").filter(|history| history.is_object());
    let direct = non_empty_str(history.and_then(|history| history.get("currentId")))
        .or_else(|| non_empty_str(chat.get("currentId")))
        .or_else(|| non_empty_str(chat.get("branchPointMessageId")));
    if let Some(id) = direct {
        return Some(id.to_owned());
    }
    chat.get("messages")
        .and_then(Json::as_array)?
        .iter()
        .rev()
        .find_map(|message| non_empty_str(message.get("id")))
        .map(str::to_owned)
}

fn add_child_to_parent(messages: &mut Map<String, Json>, parent_id: Option<&str>, child_id: &str) -> bool {
    let Some(Json::Object(parent)) = parent_id.and_then(|id| messages.get_mut(id)) else {
        return false;
    };
    if !parent.get("childrenIds").is_some_and(Json::is_array) {
        parent.insert("childrenIds".into(), json!([]));
    }
    match parent.get_mut("childrenIds") {
        Some(Json::Array(children)) if !children.iter().any(|id| id == child_id) => {
            children.push(json!(child_id));
            true
        }
        _ => false,
    }
}

fn last_descendant_id(messages: &Map<String, Json>, start: &str) -> String {
    let mut seen = HashSet::new();
    let mut current = start.to_owned();
    while let Some(message) = messages.get(&current) {
        if !seen.insert(current.clone()) {
            break;
        }
        let children = message.get("childrenIds").and_then(Json::as_array);
        let next = children.into_iter().flatten().rev().find_map(|child| {
            let child_id = child.as_str()?;
            let child = messages.get(child_id)?;
            (child.is_object()
                && !seen.contains(child_id)
                && child.get("id").and_then(Json::as_str) == Some(child_id)
                && child.get("role").is_some_and(truthy)
                && child.get("parentId").and_then(Json::as_str) == Some(current.as_str()))
            .then(|| child_id.to_owned())
        });
        match next {
            Some(next) => current = next,
            None => break,
        }
    }
    current
}

fn truthy(value: &Json) -> bool {
    crate::permissions::truthy(value)
}

fn timestamp(message: &Json) -> f64 {
    message.get("timestamp").and_then(Json::as_f64).unwrap_or(0.0)
}

/// `_repair_chat_current_id`: links children into parents and moves `currentId` to the
/// deepest valid descendant (or the newest leaf). Returns whether anything changed.
pub fn repair_current_id(chat: &mut Json) -> bool {
    let Some(Json::Object(history)) = chat.get_mut("history") else {
        return false;
    };
    let current_id = history.get("currentId").and_then(Json::as_str).map(str::to_owned);
    let Some(Json::Object(messages)) = history.get_mut("messages") else {
        return false;
    };
    let mut changed = false;
    let links: Vec<(String, Option<String>)> = messages
        .iter()
        .filter(|(_, message)| message.is_object())
        .map(|(id, message)| (id.clone(), message.get("parentId").and_then(Json::as_str).map(str::to_owned)))
        .collect();
    for (id, parent) in links {
        changed |= add_child_to_parent(messages, parent.as_deref(), &id);
    }
    let current = current_id.as_deref().and_then(|id| messages.get(id)).filter(|message| message.is_object());
    let output_role = current
        .and_then(|message| message.get("output"))
        .and_then(Json::as_array)
        .and_then(|items| items.iter().find_map(|item| item.get("role").filter(|role| truthy(role)).cloned()));
    let bad_leaf = current.is_some_and(|message| {
        output_role.as_ref().and_then(Json::as_str) == Some("assistant")
            && message.get("parentId").is_none_or(Json::is_null)
            && !message.get("timestamp").is_some_and(truthy)
            && messages.len() > 1
    });
    let mut new_current = None;
    if let (Some(message), Some(id)) = (current, current_id.as_deref())
        && message.get("id").is_some_and(truthy)
        && message.get("role").is_some_and(truthy)
        && !bad_leaf
    {
        let last = last_descendant_id(messages, id);
        if last == id {
            return changed;
        }
        new_current = Some(last);
    }
    if new_current.is_none() {
        let mut latest: Option<(&String, f64)> = None;
        for (id, message) in messages.iter() {
            if !message.is_object() || !message.get("role").is_some_and(truthy) {
                continue;
            }
            let childless = message
                .get("childrenIds")
                .and_then(Json::as_array)
                .is_none_or(|children| children.is_empty());
            let stamp = timestamp(message);
            if childless && latest.is_none_or(|(_, best)| stamp > best) {
                latest = Some((id, stamp));
            }
        }
        let Some((latest_id, _)) = latest else {
            return changed;
        };
        if Some(latest_id.as_str()) == current_id.as_deref() {
            return changed;
        }
        new_current = Some(latest_id.clone());
    }
    if let Some(id) = new_current {
        history.insert("currentId".into(), json!(id));
        return true;
    }
    changed
}

/// Stamps authorship on every message of an incoming chat (spec §2.9 step 2): `user_id` on
/// all, and `user = {id, name}` on user messages.
pub fn stamp_authors(chat: &mut Json, user_id: &str, user_name: &str) {
    let stamp = |message: &mut Json| {
        if let Json::Object(message) = message {
            message.insert("user_id".into(), json!(user_id));
            if message.get("role").and_then(Json::as_str) == Some("user") {
                message.insert("user".into(), json!({"id": user_id, "name": user_name}));
            }
        }
    };
    if let Some(Json::Object(messages)) = chat.get_mut("history").and_then(|history| history.get_mut("messages")) {
        messages.values_mut().for_each(stamp);
    }
    if let Some(Json::Array(messages)) = chat.get_mut("messages") {
        messages.iter_mut().for_each(stamp);
    }
}

/// `merge_history`: incoming messages replace stored ones wholesale, `childrenIds` are
/// recomputed from `parentId` in merged order, `currentId` falls back as Open WebUI does.
pub fn merge_history(existing: Option<&Json>, incoming: Option<&Json>) -> Json {
    let empty = Map::new();
    let as_map = |history: Option<&Json>| history.and_then(Json::as_object).unwrap_or(&empty).clone();
    let existing_history = as_map(existing);
    let incoming_history = as_map(incoming);
    let messages_of = |history: &Map<String, Json>| history.get("messages").and_then(Json::as_object).cloned().unwrap_or_default();
    let mut merged = messages_of(&existing_history);
    for (id, message) in messages_of(&incoming_history) {
        merged.insert(id, message);
    }
    let mut merged: Map<String, Json> = merged
        .into_iter()
        .filter(|(_, message)| message.is_object())
        .map(|(id, mut message)| {
            message["childrenIds"] = json!([]);
            (id, message)
        })
        .collect();
    let links: Vec<(String, Option<String>)> = merged
        .iter()
        .map(|(id, message)| (id.clone(), message.get("parentId").and_then(Json::as_str).map(str::to_owned)))
        .collect();
    for (id, parent) in links {
        if let Some(Json::Array(children)) = parent
            .as_deref()
            .and_then(|parent| merged.get_mut(parent))
            .and_then(|parent| parent.get_mut("childrenIds"))
        {
            children.push(json!(id));
        }
    }
    let pick = |history: &Map<String, Json>| {
        history
            .get("currentId")
            .and_then(Json::as_str)
            .filter(|id| merged.contains_key(*id))
            .map(str::to_owned)
    };
    let current = pick(&incoming_history).or_else(|| pick(&existing_history));
    let mut result = existing_history;
    for (key, value) in incoming_history {
        result.insert(key, value);
    }
    result.insert("messages".into(), Json::Object(merged));
    result.insert("currentId".into(), current.map_or(Json::Null, Json::String));
    Json::Object(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_message_id_order() {
        assert_eq!(current_message_id(&json!({"history": {"currentId": "a"}, "currentId": "b"})), Some("a".into()));
        assert_eq!(current_message_id(&json!({"history": {"currentId": ""}, "currentId": "b"})), Some("b".into()));
        assert_eq!(current_message_id(&json!({"messages": [{"id": "x"}, {"id": "y"}, {}]})), Some("y".into()));
        assert_eq!(current_message_id(&json!({})), None);
    }

    #[test]
    fn repair_descends_to_last_child() {
        let mut chat = json!({"history": {"currentId": "a", "messages": {
            "a": {"id": "a", "role": "user", "parentId": null},
            "b": {"id": "b", "role": "assistant", "parentId": "a"},
            "c": {"id": "c", "role": "assistant", "parentId": "a"}
        }}});
        assert!(repair_current_id(&mut chat));
        assert_eq!(chat["history"]["currentId"], "c");
        assert_eq!(chat["history"]["messages"]["a"]["childrenIds"], json!(["b", "c"]));
    }

    #[test]
    fn repair_picks_newest_leaf_when_current_missing() {
        let mut chat = json!({"history": {"currentId": "zz", "messages": {
            "a": {"id": "a", "role": "user", "timestamp": 5, "childrenIds": []},
            "b": {"id": "b", "role": "user", "timestamp": 9, "childrenIds": []}
        }}});
        assert!(repair_current_id(&mut chat));
        assert_eq!(chat["history"]["currentId"], "b");
    }

    #[test]
    fn merge_keeps_stored_messages_and_recomputes_children() {
        let stored = json!({"currentId": "b", "messages": {
            "a": {"id": "a", "parentId": null, "childrenIds": ["b"]},
            "b": {"id": "b", "parentId": "a", "content": "old"}
        }});
        let incoming = json!({"currentId": "c", "messages": {
            "b": {"id": "b", "parentId": "a", "content": "new"},
            "c": {"id": "c", "parentId": "a"}
        }});
        let merged = merge_history(Some(&stored), Some(&incoming));
        assert_eq!(merged["currentId"], "c");
        assert_eq!(merged["messages"]["b"]["content"], "new");
        assert_eq!(merged["messages"]["a"]["childrenIds"], json!(["b", "c"]));
        let keys: Vec<_> = merged["messages"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
        assert_eq!(keys, vec!["a", "b", "c"]);
    }

    #[test]
    fn strips_nul_everywhere() {
        let mut value = json!({"a\u{0}": ["x\u{0}y", {"k": "\u{0}"}]});
        strip_nul(&mut value);
        assert_eq!(value, json!({"a": ["xy", {"k": ""}]}));
    }
}
