//! Chat search (spec §4): Open WebUI's filter language, substring matching on titles and
//! message contents through FTS5 trigram indexes kept current by triggers, phrase-first
//! ordering and snippets.

pub mod index;
pub mod query;
pub mod snippet;
