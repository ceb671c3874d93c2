//! Fork's branch copy (`utils/chat_fork.build_fork_history` and the clean-up after it,
//! spec §2.38), as pure functions over a message map: walk `parentId` from the source
//! message to the root and copy that single branch as a linear history.

use crate::error::ApiError;
use serde_json::{Map, Value as Json, json};
use std::collections::HashSet;

/// Why a branch cannot be copied, with the status and detail Open WebUI answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchError {
    /// The map is empty (400).
    NoMessages,
    /// The source or an ancestor is not in the map (404).
    MessageNotFound,
    /// A `parentId` chain loops (400).
    Cycle,
}

impl From<BranchError> for ApiError {
    fn from(error: BranchError) -> Self {
        match error {
            BranchError::NoMessages => ApiError::bad_request("chat has no messages to fork"),
            BranchError::MessageNotFound => ApiError::not_found("message not found"),
            BranchError::Cycle => ApiError::bad_request("message branch contains a cycle"),
        }
    }
}

/// A copied branch: `history` is `{messages, currentId: source}` and `messages` the same
/// messages root first (the fork's legacy `messages` list).
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// `{"messages": {...}, "currentId": source}`.
    pub history: Json,
    /// The branch in order, root first.
    pub messages: Vec<Json>,
}

/// The ids from `source` up to the root, source first. A falsy `parentId` ends the walk;
/// a truthy one that is not a key of the map (a number, say) is a missing message.
fn ancestry(messages: &Map<String, Json>, source: &str) -> Result<Vec<String>, BranchError> {
    if messages.is_empty() {
        return Err(BranchError::NoMessages);
    }
    let mut seen = HashSet::new();
    let mut chain = Vec::new();
    let mut next = Some(source.to_owned());
    while let Some(id) = next.take() {
        if !seen.insert(id.clone()) {
            return Err(BranchError::Cycle);
        }
        let message = messages.get(&id).filter(|message| message.is_object()).ok_or(BranchError::MessageNotFound)?;
        next = match message.get("parentId") {
            Some(Json::String(parent)) if !parent.is_empty() => Some(parent.clone()),
            Some(parent) if crate::permissions::truthy(parent) => return Err(BranchError::MessageNotFound),
            _ => None,
        };
        chain.push(id);
    }
    Ok(chain)
}

/// `build_fork_history`: copies the branch ending at `source`. Each copy keeps its keys in
/// place and gets `id` = its key, `parentId` = the previous copy and `childrenIds` = the
/// next one (`[]` on the last).
pub fn build(messages: &Map<String, Json>, source: &str) -> Result<Branch, BranchError> {
    let chain = ancestry(messages, source)?;
    let mut copied = Map::new();
    let mut parent: Option<String> = None;
    for id in chain.iter().rev() {
        let mut message = messages.get(id).cloned().unwrap_or_else(|| json!({}));
        if let Json::Object(map) = &mut message {
            map.insert("id".into(), json!(id));
            map.insert("parentId".into(), parent.as_ref().map_or(Json::Null, |parent| json!(parent)));
            map.insert("childrenIds".into(), json!([]));
        }
        if let Some(Json::Object(previous)) = parent.as_ref().and_then(|parent| copied.get_mut(parent)) {
            previous.insert("childrenIds".into(), json!([id]));
        }
        copied.insert(id.clone(), message);
        parent = Some(id.clone());
    }
    let order: Vec<String> = chain.into_iter().rev().collect();
    Ok(Branch { history: json!({"messages": copied, "currentId": source}), messages: Vec::new() }.with_ordered_list(&order))
}

impl Branch {
    /// Recomputes `messages` from `history`, in `order` (root first).
    fn with_ordered_list(mut self, order: &[String]) -> Self {
        let map = &self.history["messages"];
        self.messages = order.iter().filter_map(|id| map.get(id).cloned()).collect();
        self
    }

    /// The fork's per-message clean-up: gives each message its `user` object back from the
    /// source history when the ids match (rows carry no `user`), and marks unfinished
    /// assistant messages done unless a tool call in their output still awaits a decision
    /// (those stay resumable).
    pub fn settle(mut self, source_history: &Json) -> Self {
        let order: Vec<String> = self.messages.iter().filter_map(|m| m["id"].as_str().map(str::to_owned)).collect();
        if let Some(Json::Object(messages)) = self.history.get_mut("messages") {
            for message in messages.values_mut() {
                settle_message(message, source_history);
            }
        }
        self.with_ordered_list(&order)
    }
}

fn settle_message(message: &mut Json, source_history: &Json) {
    let id = message.get("id").and_then(Json::as_str).unwrap_or_default();
    let author = source_history.get("messages").and_then(|messages| messages.get(id)).and_then(|source| source.get("user"));
    if let Some(author @ Json::Object(fields)) = author
        && fields.get("id") == message.get("user_id")
    {
        message["user"] = author.clone();
    }
    if message.get("role").and_then(Json::as_str) != Some("assistant") || message.get("done") != Some(&Json::Bool(false)) {
        return;
    }
    let awaiting_tool = message.get("output").and_then(Json::as_array).is_some_and(|items| {
        items.iter().any(|item| {
            item.get("type").and_then(Json::as_str) == Some("function_call")
                && matches!(item.get("status").and_then(Json::as_str), Some("pending" | "queued" | "requires_approval"))
        })
    });
    if !awaiting_tool {
        message["done"] = json!(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(value: Json) -> Map<String, Json> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn tree() -> Map<String, Json> {
        map(json!({
            "a": {"id": "a", "parentId": null, "childrenIds": ["b", "c"], "role": "user", "content": "q"},
            "b": {"id": "b", "parentId": "a", "childrenIds": [], "role": "assistant", "content": "one"},
            "c": {"id": "c", "parentId": "a", "childrenIds": ["d"], "role": "assistant", "content": "two", "done": false},
            "d": {"parentId": "c", "childrenIds": [], "role": "user", "content": "more"}
        }))
    }

    #[test]
    fn copies_only_the_branch_root_first() {
        let branch = build(&tree(), "d").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(branch.history["currentId"], "d");
        let ids: Vec<&str> = branch.history["messages"].as_object().into_iter().flatten().map(|(k, _)| k.as_str()).collect();
        assert_eq!(ids, ["a", "c", "d"]);
        assert_eq!(branch.history["messages"]["a"]["childrenIds"], json!(["c"]));
        assert_eq!(branch.history["messages"]["c"]["parentId"], "a");
        assert_eq!(branch.history["messages"]["d"], json!({"parentId": "c", "childrenIds": [], "role": "user", "content": "more", "id": "d"}));
        let list: Vec<Json> = ["a", "c", "d"].iter().map(|id| branch.history["messages"][id].clone()).collect();
        assert_eq!(branch.messages, list, "the list holds the same copies");
    }

    #[test]
    fn errors_match_open_webui() {
        assert_eq!(build(&Map::new(), "a"), Err(BranchError::NoMessages));
        assert_eq!(build(&tree(), "zz"), Err(BranchError::MessageNotFound));
        let mut broken = tree();
        broken["c"]["parentId"] = json!("gone");
        assert_eq!(build(&broken, "d"), Err(BranchError::MessageNotFound));
        broken["c"]["parentId"] = json!(7);
        assert_eq!(build(&broken, "d"), Err(BranchError::MessageNotFound));
        broken["c"]["parentId"] = json!("d");
        assert_eq!(build(&broken, "d"), Err(BranchError::Cycle));
        broken["a"] = json!("not a message");
        broken["c"]["parentId"] = json!("a");
        assert_eq!(build(&broken, "c"), Err(BranchError::MessageNotFound));
        assert_eq!(ApiError::from(BranchError::Cycle), ApiError::bad_request("message branch contains a cycle"));
        assert_eq!(ApiError::from(BranchError::MessageNotFound).status, 404);
    }

    #[test]
    fn settle_restores_users_and_finishes_stale_messages() {
        let mut messages = tree();
        messages["a"]["user_id"] = json!("u1");
        messages["c"]["output"] = json!([{"type": "function_call", "status": "completed"}]);
        let source = json!({"messages": {"a": {"user": {"id": "u1", "name": "Uma"}}, "c": {"user": {"id": "other"}}}});
        let branch = build(&messages, "c").unwrap_or_else(|e| panic!("{e:?}")).settle(&source);
        assert_eq!(branch.history["messages"]["a"]["user"], json!({"id": "u1", "name": "Uma"}));
        assert!(branch.history["messages"]["c"].get("user").is_none(), "ids differ");
        assert_eq!(branch.history["messages"]["c"]["done"], true);
        assert_eq!(branch.messages[1]["done"], true, "the list follows the history");

        messages["c"]["output"] = json!([{"type": "function_call", "status": "requires_approval"}]);
        let waiting = build(&messages, "c").unwrap_or_else(|e| panic!("{e:?}")).settle(&source);
        assert_eq!(waiting.history["messages"]["c"]["done"], false, "awaiting approval stays unfinished");
        messages["b"]["done"] = json!(false);
        messages["b"]["role"] = json!("user");
        let user_message = build(&messages, "b").unwrap_or_else(|e| panic!("{e:?}")).settle(&source);
        assert_eq!(user_message.history["messages"]["b"]["done"], false, "only assistant messages are finished");
    }
}
