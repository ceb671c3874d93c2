//! `GET /search?text=…` hands user text to the query parser: it must never panic, and what
//! it returns must hold the invariants the SQL builder relies on.
#![no_main]

use chat_core::search::query;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(parsed) = query::parse(text) {
        assert_eq!(parsed.phrase, parsed.phrase.trim(), "the phrase is trimmed");
        assert!(!parsed.phrase.contains('\0'), "NUL bytes are stripped");
        assert!(parsed.terms.iter().all(|term| !term.is_empty() && *term != parsed.phrase), "terms are non-empty runs, not the phrase");
    }
    for term in query::terms_of(text) {
        assert!(term.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "terms are [a-z0-9]+: {term:?}");
    }
});
