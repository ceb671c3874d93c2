//! Input limits Open WebUI does not have (it accepts whatever fits in memory). Each is set
//! far above what Open WebUI's UI sends, answers a clear 400 `{"detail": ...}`, and is
//! listed in `docs/reliability.md`.

use crate::error::{ApiError, ApiResult};
use serde_json::Value as Json;

/// Deepest nesting of arrays and objects accepted in a request body. Stored documents embed
/// a body a few levels down (a message under `history.messages`, a status under
/// `statusHistory`), and every stored document must stay readable with serde_json's
/// recursion limit of 128; Open WebUI's own chats nest about a dozen levels.
pub const MAX_JSON_DEPTH: usize = 64;

/// Longest chat title a request may set, in characters. Open WebUI stores the whole first
/// message as the title when title generation is off or fails, and its UI sends that title
/// back (rename, import of an export), so the cap is that of a very long prompt, not of a
/// typed title; it still keeps a 60-title page to a few megabytes.
pub const MAX_TITLE_CHARS: usize = 100_000;

/// Most tags one chat may carry (Open WebUI's UI adds them one by one; automatic tagging
/// adds a handful).
pub const MAX_TAGS_PER_CHAT: usize = 1_000;

/// Longest tag name, in characters.
pub const MAX_TAG_NAME_CHARS: usize = 1_000;

/// Largest page a client may ask for where it chooses the size (`limit` of `POST /tags`);
/// larger requests, and "no limit" (0), get this many rows.
pub const MAX_PAGE_SIZE: i64 = 1_000;

/// Does the JSON text nest arrays and objects deeper than `max`? A byte scan that skips
/// string contents, so it costs O(length) and no recursion, whatever the input.
pub fn nests_deeper_than(json: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in json {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The 400 for a body nested deeper than [`MAX_JSON_DEPTH`].
pub fn too_deep() -> ApiError {
    ApiError::bad_request(format!("JSON nesting is deeper than {MAX_JSON_DEPTH} levels"))
}

/// Checks a title a request sets (a string in `chat.title`, the clone form's `title`).
pub fn check_title(title: Option<&Json>) -> ApiResult<()> {
    match title.and_then(Json::as_str) {
        Some(title) if title.chars().count() > MAX_TITLE_CHARS => {
            Err(ApiError::bad_request(format!("Title is longer than {MAX_TITLE_CHARS} characters")))
        }
        _ => Ok(()),
    }
}

/// Checks a tag name a request adds.
pub fn check_tag_name(name: &str) -> ApiResult<()> {
    if name.chars().count() > MAX_TAG_NAME_CHARS {
        return Err(ApiError::bad_request(format!("Tag name is longer than {MAX_TAG_NAME_CHARS} characters")));
    }
    Ok(())
}

/// Checks the number of tags a chat would carry.
pub fn check_tag_count(count: usize) -> ApiResult<()> {
    if count > MAX_TAGS_PER_CHAT {
        return Err(ApiError::bad_request(format!("A chat can have at most {MAX_TAGS_PER_CHAT} tags")));
    }
    Ok(())
}

/// A client's page size, bounded: `None`, 0 or negative (Open WebUI's "no limit") and
/// anything over [`MAX_PAGE_SIZE`] become [`MAX_PAGE_SIZE`].
pub fn page_size(requested: Option<i64>, default: i64) -> i64 {
    match requested.unwrap_or(default) {
        size if size <= 0 || size > MAX_PAGE_SIZE => MAX_PAGE_SIZE,
        size => size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert!(!nests_deeper_than(br#"{"a": [1, {"b": "[[[[[[["}]}"#, 3));
        assert!(nests_deeper_than(br#"{"a": [1, {"b": [[]]}]}"#, 3));
        assert!(!nests_deeper_than(br#"["\"[[[[", "\\", [[]]]"#, 3));
        let deep = format!("{}{}", "[".repeat(MAX_JSON_DEPTH), "]".repeat(MAX_JSON_DEPTH));
        assert!(!nests_deeper_than(deep.as_bytes(), MAX_JSON_DEPTH));
        assert!(nests_deeper_than(format!("[{deep}]").as_bytes(), MAX_JSON_DEPTH));
        assert!(nests_deeper_than("[".repeat(1_000_000).as_bytes(), MAX_JSON_DEPTH), "unbalanced input is fine");
    }

    #[test]
    fn titles_tags_and_pages() {
        assert_eq!(check_title(Some(&json!("x".repeat(MAX_TITLE_CHARS)))), Ok(()));
        assert_eq!(check_title(Some(&json!("é".repeat(MAX_TITLE_CHARS + 1)))).map_err(|e| e.status), Err(400));
        assert_eq!(check_title(Some(&json!(5))), Ok(()), "non-strings are the create route's business");
        assert_eq!(check_title(None), Ok(()));
        assert_eq!(check_tag_name(&"t".repeat(MAX_TAG_NAME_CHARS)), Ok(()));
        assert!(check_tag_name(&"t".repeat(MAX_TAG_NAME_CHARS + 1)).is_err());
        assert_eq!(check_tag_count(MAX_TAGS_PER_CHAT), Ok(()));
        assert!(check_tag_count(MAX_TAGS_PER_CHAT + 1).is_err());
        assert_eq!((page_size(None, 50), page_size(Some(0), 50), page_size(Some(7), 50)), (50, MAX_PAGE_SIZE, 7));
        assert_eq!((page_size(Some(-1), 50), page_size(Some(i64::MAX), 50)), (MAX_PAGE_SIZE, MAX_PAGE_SIZE));
    }
}
