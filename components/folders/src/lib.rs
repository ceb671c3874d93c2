//! Spin component for `/api/v1/folders/...`: create, list, rename, move and delete the
//! folders that a chat's `folder_id` refers to.

use spin_sdk::http::{IntoResponse, Request};

/// Entry point.
#[spin_sdk::http_service]
async fn handle(request: Request) -> impl IntoResponse {
    spin_adapter::serve(request, chat_core::folders::dispatch).await
}
