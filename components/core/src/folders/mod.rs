//! `/api/v1/folders/...`: the folder routes a client needs to organise chats (Open WebUI's
//! `routers/folders.py`), matched in Open WebUI's declaration order.
//!
//! Folder sharing management (`GET /shared`, `POST /{id}/access/update`,
//! `GET /{id}/shared/chats`) is not served yet and answers 501; grants written by Open WebUI
//! are honoured by the access checks all the same.

pub mod create;
pub mod delete;
pub mod get;
pub mod guard;
pub mod list;
pub mod model;
pub mod read;
pub mod tree;
pub mod update;

use crate::context::Ctx;
use crate::error::ApiError;
use crate::http::{Request, Response};
use crate::percent_segments;

/// Dispatches a request whose path starts with `/api/v1/folders`.
pub async fn dispatch(ctx: &Ctx<'_>, request: &Request) -> Response {
    let rest = request.path.trim_start_matches("/api/v1/folders");
    let segments = percent_segments(rest);
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (request.method.as_str(), parts.as_slice()) {
        ("GET", []) => Response::from_result(list::list(ctx, request).await),
        ("POST", []) => Response::from_result(create::create(ctx, request).await),
        ("GET", ["shared"]) | ("POST", [_, "access", "update"]) | ("GET", [_, "shared", "chats"]) => {
            Response::error(&ApiError::new(501, "This route is not implemented by this server yet."))
        }
        ("GET", [id]) => Response::from_result(get::get(ctx, request, id).await),
        ("POST", [id, "update"]) => Response::from_result(update::update(ctx, request, id).await),
        ("POST", [id, "update", "parent"]) => Response::from_result(update::move_folder(ctx, request, id).await),
        ("POST", [id, "update", "expanded"]) => Response::from_result(update::set_expanded(ctx, request, id).await),
        ("POST", [id, "read"]) => Response::from_result(read::mark_read(ctx, request, id).await),
        ("DELETE", [id]) => Response::from_result(delete::delete(ctx, request, id).await),
        (_, [] | [_] | [_, "update" | "read"] | [_, "update", "parent" | "expanded"] | [_, "access", "update"] | [_, "shared", "chats"]) => {
            Response::method_not_allowed()
        }
        _ => Response::not_found(),
    }
}
