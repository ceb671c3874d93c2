//! The `/api/v1/chats` routes, one module per group of related routes (spec §2).
//!
//! Each public function is one route: it authenticates, parses, applies and returns the
//! JSON Open WebUI would. Components only map paths and methods onto these.

pub mod chat_config;
pub mod clone;
pub mod compact;
pub mod create;
pub mod delete;
pub mod flags;
pub mod folder;
pub mod fork;
pub mod fork_branch;
pub mod get;
pub mod list;
pub mod message_event;
pub mod messages;
pub mod model;
pub mod params;
pub mod read_state;
pub mod router;
pub mod search;
pub mod search_walk;
pub mod share_access;
pub mod share_link;
pub mod shares;
pub mod sharing;
pub mod stats;
pub mod tagging;
pub mod transfer;
pub mod update;
