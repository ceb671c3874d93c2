//! Spin component for the chat collection: `/api/v1/chats/` (list, delete all), `/list`,
//! `/new`, `/read`, `/pinned`, `/archived`, `/archived/count`, `/all/...`,
//! `/archive/all`, `/unarchive/all` and the other static paths (see spin.toml).
//!
//! Open WebUI matches (method, path) in declaration order, which a path-only Spin router
//! cannot express (`POST /pinned` is an update of chat "pinned"), so the matching lives in
//! one place, the core's router, and gives the same answer whichever component is hit.

use spin_sdk::http::{IntoResponse, Request};

/// Entry point.
#[spin_sdk::http_service]
async fn handle(request: Request) -> impl IntoResponse {
    spin_adapter::serve(request, chat_core::chats::router::dispatch).await
}
