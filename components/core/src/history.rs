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

/// The `title` column Open WebUI's message writes store: `chat.get('title', 'New Chat')`
/// with NUL bytes removed (a non-string title is kept as its JSON text).
pub fn stored_title(chat: &Json) -> String {
    match chat.get("title") {
        None => "New Chat".to_owned(),
        Some(Json::String(title)) => strip_nul_str(title),
        Some(other) => other.to_string(),
    }
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

/// `_add_child_id_to_parent`: appends `child_id` to the parent's `childrenIds` (created if
/// missing) unless it is there already. Returns whether anything changed.
pub fn add_child(messages: &mut Map<String, Json>, parent_id: Option<&str>, child_id: &str) -> bool {
    add_child_to_parent(messages, parent_id, child_id)
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

/// The `meta` an update leaves on an existing message (`upsert_message_to_history`): voice and
/// task-id updates merge into the stored meta; any other meta replaces it but keeps the stored
/// `voice` and `task_id`. `None` when the update carries no object meta (nothing to adjust).
pub fn merged_meta(existing: Option<&Json>, incoming: Option<&Json>) -> Option<Json> {
    let Some(Json::Object(incoming)) = incoming else { return None };
    let empty = Map::new();
    let existing = existing.and_then(Json::as_object).unwrap_or(&empty);
    let mut meta = Map::new();
    if incoming.keys().all(|key| key == "voice" || key == "task_id") {
        meta.extend(existing.iter().map(|(k, v)| (k.clone(), v.clone())));
    } else {
        for key in ["voice", "task_id"] {
            if let Some(value) = existing.get(key) {
                meta.insert(key.into(), value.clone());
            }
        }
    }
    meta.extend(incoming.iter().map(|(k, v)| (k.clone(), v.clone())));
    Some(Json::Object(meta))
}

/// The role a new message gets (`upsert_message_to_history`): as given, else the first
/// output item's role, else the inverse of the parent's role, else `assistant`.
pub fn new_message_role(message: &Map<String, Json>, parent_role: Option<&str>) -> Json {
    if let Some(role) = message.get("role").filter(|role| truthy(role)) {
        return role.clone();
    }
    let output_role = message
        .get("output")
        .and_then(Json::as_array)
        .and_then(|items| items.iter().find_map(|item| item.get("role").filter(|role| truthy(role)).cloned()));
    if let Some(role) = output_role {
        return role;
    }
    json!(match parent_role {
        Some("user") => "assistant",
        Some("assistant") => "user",
        _ => "assistant",
    })
}

/// The whole message `upsert_message_to_history` stores for a message id that was absent:
/// the update, then `id`, `parentId`, `childrenIds`, `role` and `timestamp` (in that order).
pub fn new_message(id: &str, update: &Map<String, Json>, parent_id: Option<&str>, parent_role: Option<&str>, now: i64) -> Map<String, Json> {
    let mut message = update.clone();
    let id_value = update.get("id").filter(|value| truthy(value)).cloned().unwrap_or_else(|| json!(id));
    let parent = match update.get("parentId") {
        Some(value) if !value.is_null() => value.clone(),
        _ => parent_id.map_or(Json::Null, |parent| json!(parent)),
    };
    let children = update.get("childrenIds").filter(|value| value.is_array()).cloned().unwrap_or_else(|| json!([]));
    let role = new_message_role(update, parent_role);
    let timestamp = update.get("timestamp").filter(|value| truthy(value)).cloned().unwrap_or_else(|| json!(now));
    message.insert("id".into(), id_value);
    message.insert("parentId".into(), parent);
    message.insert("childrenIds".into(), children);
    message.insert("role".into(), role);
    message.insert("timestamp".into(), timestamp);
    message
}

/// `delete_message_from_history`: removes the message and its direct children, re-parents
/// the grandchildren to the message's parent, and moves `currentId` down the last-child
/// chain from that parent. Returns the deleted ids (empty when the message is absent).
pub fn delete_message(history: &mut Map<String, Json>, message_id: &str) -> Vec<String> {
    let Some(Json::Object(messages)) = history.get_mut("messages") else { return Vec::new() };
    let Some(Json::Object(message)) = messages.get(message_id) else { return Vec::new() };
    let parent_id = message.get("parentId").and_then(Json::as_str).map(str::to_owned);
    let ids = |value: Option<&Json>| -> Vec<String> {
        value.and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).map(str::to_owned).collect()
    };
    let child_ids: Vec<String> = ids(message.get("childrenIds")).into_iter().filter(|id| messages.contains_key(id)).collect();
    let grandchild_ids: Vec<String> = child_ids
        .iter()
        .flat_map(|child| ids(messages.get(child).and_then(|child| child.get("childrenIds"))))
        .filter(|id| messages.contains_key(id))
        .collect();
    if let Some(Json::Object(parent)) = parent_id.as_deref().and_then(|id| messages.get_mut(id)) {
        let mut children: Vec<Json> = ids(parent.get("childrenIds")).into_iter().filter(|id| id != message_id).map(Json::String).collect();
        children.extend(grandchild_ids.iter().cloned().map(Json::String));
        parent.insert("childrenIds".into(), Json::Array(children));
    }
    for grandchild in &grandchild_ids {
        if let Some(Json::Object(grandchild)) = messages.get_mut(grandchild) {
            grandchild.insert("parentId".into(), parent_id.clone().map_or(Json::Null, Json::String));
        }
    }
    let mut deleted = vec![message_id.to_owned()];
    deleted.extend(child_ids.iter().filter(|id| id.as_str() != message_id).cloned());
    deleted.dedup();
    for id in &deleted {
        messages.shift_remove(id);
    }
    let mut current = parent_id.clone();
    let mut children: Vec<String> = match &current {
        None => messages
            .iter()
            .filter(|(_, message)| message.get("parentId").is_none_or(Json::is_null))
            .map(|(id, _)| id.clone())
            .collect(),
        Some(id) => ids(messages.get(id).and_then(|message| message.get("childrenIds"))),
    };
    let mut visited = HashSet::new();
    while let Some(last) = children.last().cloned() {
        if !visited.insert(last.clone()) {
            break;
        }
        children = ids(messages.get(&last).and_then(|message| message.get("childrenIds")));
        current = Some(last);
    }
    let current = current.filter(|id| messages.contains_key(id));
    history.insert("currentId".into(), current.map_or(Json::Null, Json::String));
    deleted
}

/// `get_message_list`: the branch from the root to `message_id`, following `parentId`.
pub fn message_list<'a>(messages: &'a Map<String, Json>, message_id: Option<&str>) -> Vec<&'a Json> {
    let mut list = Vec::new();
    let mut seen = HashSet::new();
    let mut next = message_id.map(str::to_owned);
    while let Some(id) = next.take() {
        let Some(message) = messages.get(&id).filter(|message| truthy(message)) else { break };
        if !seen.insert(id) {
            break;
        }
        list.push(message);
        next = message.get("parentId").and_then(Json::as_str).filter(|id| !id.is_empty()).map(str::to_owned);
    }
    list.reverse();
    list
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
    fn meta_rule_keeps_voice_and_task_id() {
        let existing = json!({"voice": 1, "task_id": "t", "other": 2});
        assert_eq!(merged_meta(Some(&existing), Some(&json!({"voice": 9}))), Some(json!({"voice": 9, "task_id": "t", "other": 2})));
        assert_eq!(merged_meta(Some(&existing), Some(&json!({"x": 1}))), Some(json!({"voice": 1, "task_id": "t", "x": 1})));
        assert_eq!(merged_meta(None, Some(&json!({"voice": 9}))), Some(json!({"voice": 9})));
        assert_eq!(merged_meta(Some(&existing), None), None);
    }

    #[test]
    fn new_message_shape_and_role() {
        let update = json!({"content": "x"}).as_object().cloned().unwrap_or_default();
        let message = new_message("m", &update, Some("p"), Some("user"), 7);
        assert_eq!(Json::Object(message.clone()), json!({"content": "x", "id": "m", "parentId": "p", "childrenIds": [], "role": "assistant", "timestamp": 7}));
        assert_eq!(new_message("m", &update, None, Some("assistant"), 7)["role"], "user");
        assert_eq!(new_message("m", &update, None, None, 7)["role"], "assistant");
    }

    #[test]
    fn delete_reparents_grandchildren_and_descends() {
        let mut history = json!({"currentId": "d", "messages": {
            "a": {"id": "a", "parentId": null, "childrenIds": ["b"]},
            "b": {"id": "b", "parentId": "a", "childrenIds": ["c", "x"]},
            "c": {"id": "c", "parentId": "b", "childrenIds": ["d"]},
            "x": {"id": "x", "parentId": "b", "childrenIds": []},
            "d": {"id": "d", "parentId": "c", "childrenIds": []}
        }});
        let map = history.as_object_mut().map(std::mem::take).unwrap_or_default();
        let mut map = map;
        let deleted = delete_message(&mut map, "b");
        assert_eq!(deleted, ["b", "c", "x"]);
        let history = Json::Object(map);
        assert_eq!(history["messages"]["a"]["childrenIds"], json!(["d"]));
        assert_eq!(history["messages"]["d"]["parentId"], "a");
        assert_eq!(history["currentId"], "d");
        let mut empty = json!({"messages": {}}).as_object().cloned().unwrap_or_default();
        assert!(delete_message(&mut empty, "zz").is_empty());
    }

    #[test]
    fn message_list_walks_to_the_root() {
        let messages = json!({"a": {"id": "a"}, "b": {"parentId": "a"}, "c": {"parentId": "b"}}).as_object().cloned().unwrap_or_default();
        let ids: Vec<Json> = message_list(&messages, Some("c")).iter().map(|m| m.get("parentId").cloned().unwrap_or(Json::Null)).collect();
        assert_eq!(ids, [Json::Null, json!("a"), json!("b")]);
        assert!(message_list(&messages, Some("zz")).is_empty());
    }

    #[test]
    fn strips_nul_everywhere() {
        let mut value = json!({"a\u{0}": ["x\u{0}y", {"k": "\u{0}"}]});
        strip_nul(&mut value);
        assert_eq!(value, json!({"a": ["xy", {"k": ""}]}));
    }
}
