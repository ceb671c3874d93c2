//! Spin component for one chat: `/api/v1/chats/:id` (GET, POST, DELETE) and its
//! sub-resources `/:id/pinned`, `/:id/pin`, `/:id/archive`, `/:id/unread`.
//!
//! Dispatch is the core's router (see the `chats` component for why).

use spin_sdk::http::{IntoResponse, Request};

/// Entry point.
#[spin_sdk::http_service]
async fn handle(request: Request) -> impl IntoResponse {
    spin_adapter::serve(request, chat_core::chats::router::dispatch).await
}
