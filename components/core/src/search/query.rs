//! Parsing Open WebUI's search text into filters and text needles (spec §4).

use crate::tags::normalise;

/// Words with these prefixes are filters, never searched for.
pub const FILTER_PREFIXES: [&str; 5] = ["tag:", "folder:", "pinned:", "archived:", "shared:"];

/// A parsed search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchQuery {
    /// Tag ids that must all be present (`tag:`), normalised.
    pub tags: Vec<String>,
    /// `tag:none` was given: only chats without tags.
    pub untagged: bool,
    /// Folder names (`folder:`), as typed.
    pub folders: Vec<String>,
    /// `pinned:true|false`.
    pub pinned: Option<bool>,
    /// `archived:true|false`.
    pub archived: Option<bool>,
    /// `shared:true|false`.
    pub shared: Option<bool>,
    /// The remaining words joined by single spaces (lower-cased), possibly empty.
    pub phrase: String,
    /// The distinct `[a-z0-9]+` runs of the phrase, without one equal to the whole phrase.
    pub terms: Vec<String>,
}

/// Strips NUL bytes, lower-cases and trims, as `sanitize_text_for_db(text).lower().strip()`.
pub fn clean(text: &str) -> String {
    text.replace('\0', "").to_lowercase().trim().to_owned()
}

/// `chat_search_terms`: distinct runs of ASCII lower-case letters and digits, in order.
pub fn terms_of(text: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    let lowered = text.to_lowercase();
    for run in lowered.split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit())) {
        if !run.is_empty() && !terms.iter().any(|term| term == run) {
            terms.push(run.to_owned());
        }
    }
    terms
}

fn flag(words: &[&str], name: &str) -> Option<bool> {
    if words.contains(&format!("{name}:true").as_str()) {
        Some(true)
    } else if words.contains(&format!("{name}:false").as_str()) {
        Some(false)
    } else {
        None
    }
}

/// Parses search text; `None` when nothing is left after cleaning (empty text).
pub fn parse(text: &str) -> Option<SearchQuery> {
    let cleaned = clean(text);
    if cleaned.is_empty() {
        return None;
    }
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let tags: Vec<String> = words
        .iter()
        .filter(|word| word.starts_with("tag:"))
        .map(|word| normalise(&word.replace("tag:", "")))
        .collect();
    let folders = words
        .iter()
        .filter(|word| word.starts_with("folder:"))
        .map(|word| word.replace("folder:", ""))
        .collect();
    let phrase = words
        .iter()
        .filter(|word| !FILTER_PREFIXES.iter().any(|prefix| word.starts_with(prefix)))
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let terms = terms_of(&phrase).into_iter().filter(|term| *term != phrase).collect();
    Some(SearchQuery {
        untagged: tags.iter().any(|tag| tag == "none"),
        tags,
        folders,
        pinned: flag(&words, "pinned"),
        archived: flag(&words, "archived"),
        shared: flag(&words, "shared"),
        phrase,
        terms,
    })
}

/// Open WebUI's folder-name normalisation: `_` and whitespace runs become one space,
/// trimmed and lower-cased.
pub fn normalise_folder_name(name: &str) -> String {
    name.replace('_', " ").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_phrase() {
        let query = parse("  Hello World tag:Work tag:Side_Project pinned:true archived:maybe folder:My_Stuff ").unwrap_or_default();
        assert_eq!(query.phrase, "hello world");
        assert_eq!(query.terms, ["hello", "world"]);
        assert_eq!(query.tags, ["work", "side_project"]);
        assert_eq!(query.pinned, Some(true));
        assert_eq!(query.archived, None, "unknown values are dropped");
        assert_eq!(query.folders, ["my_stuff"]);
        assert!(!query.untagged);
    }

    #[test]
    fn single_word_has_no_terms_and_none_tag() {
        let query = parse("tag:none rust").unwrap_or_default();
        assert!(query.untagged);
        assert_eq!(query.phrase, "rust");
        assert!(query.terms.is_empty());
        assert_eq!(parse(" \t\0 "), None);
        let punctuated = parse("c++ tips!").unwrap_or_default();
        assert_eq!(punctuated.terms, ["c", "tips"]);
    }

    #[test]
    fn folder_names() {
        assert_eq!(normalise_folder_name("  My__Stuff   here "), "my stuff here");
    }
}
