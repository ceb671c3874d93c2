//! Spin component for per-message writes: `/api/v1/chats/:id/messages/...` (upsert,
//! delete, realtime event). Kept apart from the `chat` component because it is the hot
//! write path during streaming, so Spin can scale and limit it on its own.
//!
//! Dispatch is the core's router (see the `chats` component for why).

use spin_sdk::http::{IntoResponse, Request};

/// Entry point.
#[spin_sdk::http_service]
async fn handle(request: Request) -> impl IntoResponse {
    spin_adapter::serve(request, chat_core::chats::router::dispatch).await
}
