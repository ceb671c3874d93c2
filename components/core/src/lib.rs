//! Open WebUI's chats API, written once: models, SQL, auth, permissions, history
//! algorithms and errors. No Spin types appear here; components adapt requests to
//! [`http::Request`] and call the route functions in [`chats`] and [`auth::session`].
#![deny(missing_docs)]

pub mod access;
pub mod auth;
pub mod chats;
pub mod config;
pub mod context;
pub mod db;
pub mod error;
pub mod events;
pub mod export;
pub mod folders;
pub mod form;
pub mod grants;
pub mod groups;
pub mod history;
pub mod http;
pub mod limits;
pub mod message_map;
pub mod message_upsert;
pub mod messages;
pub mod openapi;
pub mod patches;
pub mod permissions;
pub mod realtime;
pub mod schema;
pub mod search;
pub mod settings;
pub mod split_chat;
pub mod tags;
pub mod users;

pub use context::Ctx;
pub use error::{ApiError, ApiResult};

/// Splits a path remainder like `/a%20b/c/` into decoded segments. The leading slash and
/// one trailing slash are dropped (so `/api/v1/chats` and `/api/v1/chats/` both give none);
/// other empty segments are kept, so `DELETE /api/v1/chats//` is chat `""` (not found),
/// never "all chats".
pub fn percent_segments(rest: &str) -> Vec<String> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Vec::new();
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.split('/').map(http::percent_decode).collect()
}

#[cfg(test)]
mod tests {
    use super::percent_segments;

    #[test]
    fn segments_keep_inner_empty_ones() {
        assert!(percent_segments("").is_empty());
        assert!(percent_segments("/").is_empty());
        assert_eq!(percent_segments("//"), [""]);
        assert_eq!(percent_segments("/a%20b/c/"), ["a b", "c"]);
        assert_eq!(percent_segments("/a//b"), ["a", "", "b"]);
    }
}
