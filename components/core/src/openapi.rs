//! `GET /api/v1/chats/openapi.json`: the OpenAPI 3.1 document of every route this server
//! answers (`docs/openapi.json`, written by `scripts/gen-openapi`), embedded at build time.
//!
//! The tests below keep it honest: every (method, path) the routers match is in the
//! document, every documented operation is matched by a router, and the chats part equals
//! the route table of `docs/compatibility.md`.

use crate::http::Response;

/// The document, as served.
pub const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

/// 200 with the document, `application/json`. No credential is needed.
pub fn response() -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: DOCUMENT.as_bytes().to_vec(),
        stream: None,
    }
}

#[cfg(test)]
mod tests {
    use super::DOCUMENT;
    use serde_json::Value as Json;
    use std::collections::BTreeSet;

    const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    /// `METHOD /a/*/b`: a route with its parameters as `*`, relative to `prefix`.
    fn shape(method: &str, segments: &[String]) -> String {
        format!("{method} /{}", segments.join("/"))
    }

    fn path_segments(path: &str) -> Vec<String> {
        path.split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| if segment.starts_with('{') { "*".to_owned() } else { segment.to_owned() })
            .collect()
    }

    /// The documented operations under `prefix`.
    fn documented(prefix: &str) -> BTreeSet<String> {
        let document: Json = serde_json::from_str(DOCUMENT).unwrap_or_default();
        let mut out = BTreeSet::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            let Some(rest) = path.strip_prefix(prefix) else {
                continue;
            };
            for method in item.as_object().into_iter().flat_map(|item| item.keys()) {
                out.insert(shape(&method.to_uppercase(), &path_segments(rest)));
            }
        }
        out
    }

    /// Splits `text` at top-level (outside brackets and strings) occurrences of `separator`.
    fn split_top(text: &str, separator: &str) -> Vec<String> {
        let (mut parts, mut current, mut depth, mut in_string) = (Vec::new(), String::new(), 0, false);
        let mut rest = text;
        while let Some(character) = rest.chars().next() {
            if !in_string && depth == 0 && rest.starts_with(separator) {
                parts.push(std::mem::take(&mut current));
                rest = &rest[separator.len()..];
                continue;
            }
            match character {
                '"' => in_string = !in_string,
                '[' if !in_string => depth += 1,
                ']' if !in_string => depth -= 1,
                _ => {}
            }
            current.push(character);
            rest = &rest[character.len_utf8()..];
        }
        parts.push(current);
        parts
    }

    /// Every `("METHOD", pattern)` a router source matches, as shapes. Slice patterns
    /// (`["all", id]`) and string patterns (`"/signup"`) are both understood.
    fn routed(source: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for method in METHODS {
            let needle = format!("(\"{method}\", ");
            for (start, _) in source.match_indices(&needle) {
                let rest = &source[start + needle.len()..];
                let (mut depth, mut in_string, mut end) = (0, false, rest.len());
                for (index, character) in rest.char_indices() {
                    match character {
                        '"' => in_string = !in_string,
                        '[' if !in_string => depth += 1,
                        ']' if !in_string => depth -= 1,
                        ')' if !in_string && depth == 0 => {
                            end = index;
                            break;
                        }
                        _ => {}
                    }
                }
                for alternative in split_top(&rest[..end], " | ") {
                    let alternative = alternative.trim();
                    let segments: Vec<String> = if let Some(list) = alternative.strip_prefix('[') {
                        let list = list.strip_suffix(']').unwrap_or(list);
                        split_top(list, ", ")
                            .into_iter()
                            .filter(|element| !element.is_empty())
                            .map(|element| match element.strip_prefix('"') {
                                Some(literal) => literal.trim_end_matches('"').to_owned(),
                                None => "*".to_owned(),
                            })
                            .collect()
                    } else {
                        path_segments(alternative.trim_matches('"'))
                    };
                    out.insert(shape(method, &segments));
                }
            }
        }
        out
    }

    /// The chats routes listed in docs/compatibility.md's route table.
    fn compatibility_table() -> BTreeSet<String> {
        include_str!("../../../docs/compatibility.md")
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let (method, path) = (cells.get(1)?, cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?);
                METHODS.contains(method).then(|| shape(method, &path_segments(path)))
            })
            .collect()
    }

    #[test]
    fn the_document_is_openapi_3_1() {
        let document: Json = serde_json::from_str(DOCUMENT).unwrap_or_default();
        assert_eq!(document["openapi"], "3.1.0");
    }

    #[test]
    fn chats_router_and_document_agree() {
        let routed = routed(include_str!("chats/router.rs"));
        assert!(routed.len() > 50, "the router parser found only {routed:?}");
        assert_eq!(routed, documented("/api/v1/chats"));
    }

    #[test]
    fn folders_router_and_document_agree() {
        assert_eq!(routed(include_str!("folders/mod.rs")), documented("/api/v1/folders"));
    }

    #[test]
    fn auths_router_and_document_agree() {
        assert_eq!(routed(include_str!("auth/routes.rs")), documented("/api/v1/auths"));
    }

    #[test]
    fn compatibility_table_and_document_agree() {
        assert_eq!(compatibility_table(), documented("/api/v1/chats"));
    }
}
