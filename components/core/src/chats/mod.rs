//! The `/api/v1/chats` routes, one module per group of related routes (spec §2).
//!
//! Each public function is one route: it authenticates, parses, applies and returns the
//! JSON Open WebUI would. Components only map paths and methods onto these.

pub mod create;
pub mod delete;
pub mod flags;
pub mod get;
pub mod list;
pub mod model;
pub mod read_state;
pub mod router;
pub mod update;

