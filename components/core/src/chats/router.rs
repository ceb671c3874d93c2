//! Maps `/api/v1/chats/...` onto the route functions in Open WebUI's declaration order
//! (spec §2.0): first match wins, so `GET /pinned` is the pinned list while `GET /foo` is
//! chat `foo`. Spin routes by path only, so every component hands its requests here and
//! the answer for any (method, path) is the same whichever component received it.

use super::{create, delete, flags, get, list, read_state, update};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::http::{Request, Response};
use crate::percent_segments;

/// Dispatches a request whose path starts with `/api/v1/chats`.
pub async fn dispatch(ctx: &Ctx<'_>, request: &Request) -> Response {
    let rest = request.path.trim_start_matches("/api/v1/chats");
    let segments = percent_segments(rest);
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = request.method.as_str();
    match (method, parts.as_slice()) {
        ("GET", [] | ["list"]) => Response::from_result(list::list(ctx, request).await),
        ("POST", ["read"]) => Response::from_result(read_state::mark_all_read(ctx, request).await),
        ("DELETE", []) => Response::from_result(delete::delete_all(ctx, request).await),
        ("POST", ["new"]) => Response::from_result(create::create(ctx, request).await),
        ("GET", ["pinned"]) => Response::from_result(list::pinned(ctx, request).await),
        ("GET", ["all", "archived"]) => Response::from_result(list::all_archived(ctx, request).await),
        ("GET", ["archived"]) => Response::from_result(list::archived(ctx, request).await),
        ("GET", ["archived", "count"]) => Response::from_result(list::archived_count(ctx, request).await),
        ("POST", ["archive", "all"]) => Response::from_result(flags::archive_all(ctx, request).await),
        ("POST", ["unarchive", "all"]) => Response::from_result(flags::unarchive_all(ctx, request).await),
        _ if not_yet_served(method, &parts) => {
            Response::error(&ApiError::new(501, "This route is not implemented by this server yet."))
        }
        ("GET", [id]) => Response::from_result(get::get_chat(ctx, request, id).await),
        ("POST", [id]) => Response::from_result(update::update_chat(ctx, request, id).await),
        ("DELETE", [id]) => Response::from_result(delete::delete_chat(ctx, request, id).await),
        ("GET", [id, "pinned"]) => Response::from_result(get::get_pinned(ctx, request, id).await),
        ("POST", [id, "pin"]) => Response::from_result(flags::toggle_pin(ctx, request, id).await),
        ("POST", [id, "archive"]) => Response::from_result(flags::toggle_archive(ctx, request, id).await),
        ("POST", [id, "unread"]) => Response::from_result(read_state::mark_unread(ctx, request, id).await),
        (_, [] | [_] | [_, "pinned" | "pin" | "archive" | "unread"]) => Response::method_not_allowed(),
        _ => Response::not_found(),
    }
}

/// Open WebUI routes this build does not serve yet. They are matched before the `/{id}`
/// routes, exactly where Open WebUI declares them, so they never fall through to a chat id.
fn not_yet_served(method: &str, parts: &[&str]) -> bool {
    matches!(
        (method, parts),
        ("GET", ["stats", "usage" | "export"])
            | ("GET", ["stats", "export", _])
            | ("GET", ["list", "user", _])
            | ("POST", ["import"])
            | ("GET" | "POST", ["config"])
            | ("GET", ["search"])
            | ("GET", ["folder", _] | ["folder", _, "list"])
            | ("GET", ["all"] | ["all", "tags" | "db"])
            | ("DELETE", ["share", "all"])
            | ("GET", ["shared"])
            | ("GET", ["share", _])
            | ("POST", ["tags"])
            | ("POST", [_, "compact"])
            | ("PATCH", [_, "params"])
            | ("POST" | "DELETE", [_, "messages", _])
            | ("POST", [_, "messages", _, "event" | "resolve"])
            | ("POST", [_, "fork" | "clone" | "share" | "folder" | "tags"])
            | ("POST", [_, "clone", "shared"])
            | ("DELETE", [_, "share" | "tags"])
            | ("POST", ["shared", _, "access", "update"])
            | ("GET", ["shared", _, "access"])
            | ("GET", [_, "tags"])
    )
}
