//! Search snippets exactly as Open WebUI cuts them (spec §4 "Snippet"): a window of up to
//! 200 characters around the first needle found, whitespace collapsed, `...` marks.

/// Window length in characters.
pub const MAX_LENGTH: usize = 200;

/// The snippet for `needle` in `content`, or `None` when it does not occur.
pub fn cut(content: &str, needle: &str) -> Option<String> {
    let lowered_text = content.to_lowercase();
    if !lowered_text.contains(needle) {
        return None;
    }
    let original: Vec<char> = content.chars().collect();
    let lowered: Vec<char> = lowered_text.chars().collect();
    let needle: Vec<char> = needle.chars().collect();
    // Lower-casing can change the length of a few characters; positions are taken from the
    // lower-cased text as Python does and clamped to the original.
    let index = find(&lowered, &needle)?;
    let length = original.len();
    let mut start = index.saturating_sub(MAX_LENGTH / 2);
    let mut end = (start + MAX_LENGTH).min(length);
    if index + needle.len() > end {
        end = (index + needle.len()).min(length);
        start = end.saturating_sub(MAX_LENGTH);
    }
    let start = start.min(length);
    let window: String = original[start..end.max(start)].iter().collect();
    let collapsed = window.split_whitespace().collect::<Vec<_>>().join(" ");
    let prefix = if start > 0 { "..." } else { "" };
    let suffix = if end < length { "..." } else { "" };
    Some(format!("{prefix}{collapsed}{suffix}"))
}

fn find(haystack: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The first snippet over `needles` (outer loop) and `contents` (inner loop), like
/// `chat_search_snippet`.
pub fn first<'a>(needles: &[String], contents: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
    needles
        .iter()
        .find_map(|needle| contents.clone().find_map(|content| cut(content, needle)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_content_is_whole() {
        assert_eq!(cut("Hello  big\nworld", "big").as_deref(), Some("Hello big world"));
        assert_eq!(cut("abc", "zzz"), None);
    }

    #[test]
    fn long_content_gets_a_window_with_marks() {
        let content = format!("{}needle{}", "a".repeat(300), "b".repeat(300));
        let snippet = cut(&content, "needle").unwrap_or_default();
        assert!(snippet.starts_with("...") && snippet.ends_with("..."));
        assert_eq!(snippet.chars().count(), 206);
        assert!(snippet.contains("needle"));
        // Python: start = 300 - 100 = 200, end = 400 → 'a'*100 + 'needle' + 'b'*94.
        assert_eq!(snippet, format!("...{}needle{}...", "a".repeat(100), "b".repeat(94)));
    }

    #[test]
    fn needle_near_the_end_shifts_the_window() {
        let content = format!("{}NEEDLE", "x".repeat(250));
        // index 250, start 150, end 256 → whole tail, no suffix.
        assert_eq!(cut(&content, "needle"), Some(format!("...{}NEEDLE", "x".repeat(100))));
    }
}
