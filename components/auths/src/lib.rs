//! Spin component for `/api/v1/auths/...`: signup, signin, the session user and admin
//! "add user", enough for clients to obtain Open WebUI-compatible tokens.

use spin_sdk::http::{IntoResponse, Request};

/// Entry point: every path under `/api/v1/auths` goes to the core's auth router.
#[spin_sdk::http_service]
async fn handle(request: Request) -> impl IntoResponse {
    spin_adapter::serve(request, chat_core::auth::routes::dispatch).await
}
