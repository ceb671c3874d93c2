//! Maps `/api/v1/chats/...` onto the route functions in Open WebUI's declaration order
//! (spec §2.0): first match wins, so `GET /pinned` is the pinned list while `GET /foo` is
//! chat `foo`. Spin routes by path only, so every component hands its requests here and
//! the answer for any (method, path) is the same whichever component received it.

use super::{clone, create, delete, flags, folder, fork, get, list, read_state, search, share_access, share_link, sharing, tagging, transfer, update};
use super::{chat_config, compact, message_event, messages, params, stats};
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
        // Ours, first so that `GET /{id}` never takes "openapi.json" for a chat id.
        ("GET", ["openapi.json"]) => crate::openapi::response(),
        ("GET", [] | ["list"]) => Response::from_result(list::list(ctx, request).await),
        ("POST", ["read"]) => Response::from_result(read_state::mark_all_read(ctx, request).await),
        ("GET", ["stats", "usage"]) => Response::from_result(stats::usage(ctx, request).await),
        ("GET", ["stats", "export"]) => stats::export(ctx, request).await,
        ("GET", ["stats", "export", chat_id]) => Response::from_result(stats::export_one(ctx, request, chat_id).await),
        ("DELETE", []) => Response::from_result(delete::delete_all(ctx, request).await),
        ("POST", ["new"]) => Response::from_result(create::create(ctx, request).await),
        ("POST", ["import"]) => Response::from_result(transfer::import(ctx, request).await),
        ("GET", ["config"]) => Response::from_result(chat_config::get_config(ctx, request).await),
        ("POST", ["config"]) => Response::from_result(chat_config::set_config(ctx, request).await),
        ("GET", ["search"]) => Response::from_result(search::search(ctx, request).await),
        ("GET", ["folder", folder_id]) => Response::from_result(folder::chats_in_subtree(ctx, request, folder_id).await),
        ("GET", ["folder", folder_id, "list"]) => Response::from_result(folder::chat_list(ctx, request, folder_id).await),
        ("GET", ["pinned"]) => Response::from_result(list::pinned(ctx, request).await),
        ("GET", ["list", "user", user_id]) => Response::from_result(list::list_for_user(ctx, request, user_id).await),
        ("GET", ["all"]) => list::export_all(ctx, request).await,
        ("GET", ["all", "archived"]) => Response::from_result(list::all_archived(ctx, request).await),
        ("GET", ["all", "tags"]) => Response::from_result(tagging::all_tags(ctx, request).await),
        ("GET", ["all", "db"]) => list::export_db(ctx, request).await,
        ("GET", ["archived"]) => Response::from_result(list::archived(ctx, request).await),
        ("GET", ["archived", "count"]) => Response::from_result(list::archived_count(ctx, request).await),
        ("POST", ["archive", "all"]) => Response::from_result(flags::archive_all(ctx, request).await),
        ("POST", ["unarchive", "all"]) => Response::from_result(flags::unarchive_all(ctx, request).await),
        ("DELETE", ["share", "all"]) => Response::from_result(sharing::unshare_all(ctx, request).await),
        ("GET", ["shared"]) => Response::from_result(sharing::list_shared(ctx, request).await),
        ("GET", ["share", share_id]) => Response::from_result(share_link::get_shared_chat(ctx, request, share_id).await),
        ("POST", ["tags"]) => Response::from_result(tagging::chats_by_tag(ctx, request).await),
        _ if not_yet_served(method, &parts) => {
            Response::error(&ApiError::new(501, "This route is not implemented by this server yet."))
        }
        ("POST", [id, "compact"]) => Response::from_result(compact::compact(ctx, request, id).await),
        ("GET", [id]) => Response::from_result(get::get_chat(ctx, request, id).await),
        ("POST", [id]) => Response::from_result(update::update_chat(ctx, request, id).await),
        ("PATCH", [id, "params"]) => Response::from_result(params::update_params(ctx, request, id).await),
        ("POST", [id, "messages", message_id]) => Response::from_result(messages::upsert_message(ctx, request, id, message_id).await),
        ("DELETE", [id, "messages", message_id]) => Response::from_result(messages::delete_message(ctx, request, id, message_id).await),
        ("POST", [id, "messages", message_id, "event"]) => {
            Response::from_result(message_event::send_event(ctx, request, id, message_id).await)
        }
        ("DELETE", [id]) => Response::from_result(delete::delete_chat(ctx, request, id).await),
        ("GET", [id, "pinned"]) => Response::from_result(get::get_pinned(ctx, request, id).await),
        ("POST", [id, "pin"]) => Response::from_result(flags::toggle_pin(ctx, request, id).await),
        ("POST", [id, "fork"]) => Response::from_result(fork::fork_chat(ctx, request, id).await),
        ("POST", [id, "clone"]) => Response::from_result(clone::clone_chat(ctx, request, id).await),
        ("POST", [id, "clone", "shared"]) => Response::from_result(clone::clone_shared(ctx, request, id).await),
        ("POST", [id, "archive"]) => Response::from_result(flags::toggle_archive(ctx, request, id).await),
        ("POST", [id, "share"]) => Response::from_result(sharing::share_chat(ctx, request, id).await),
        ("DELETE", [id, "share"]) => Response::from_result(sharing::unshare_chat(ctx, request, id).await),
        ("POST", ["shared", id, "access", "update"]) => Response::from_result(share_access::update_access(ctx, request, id).await),
        ("GET", ["shared", id, "access"]) => Response::from_result(share_access::get_access(ctx, request, id).await),
        ("POST", [id, "unread"]) => Response::from_result(read_state::mark_unread(ctx, request, id).await),
        ("POST", [id, "folder"]) => Response::from_result(folder::move_chat(ctx, request, id).await),
        ("GET", [id, "tags"]) => Response::from_result(tagging::chat_tags(ctx, request, id).await),
        ("POST", [id, "tags"]) => Response::from_result(tagging::add_tag(ctx, request, id).await),
        ("DELETE", [id, "tags"]) => Response::from_result(tagging::remove_tag(ctx, request, id).await),
        ("DELETE", [id, "tags", "all"]) => Response::from_result(tagging::remove_all_tags(ctx, request, id).await),
        (_, [] | [_] | [_, "pinned" | "pin" | "archive" | "unread"]) => Response::method_not_allowed(),
        (_, [_, "folder" | "tags"] | [_, "tags", "all"] | ["folder", _] | ["folder", _, "list"]) => Response::method_not_allowed(),
        (_, [_, "fork" | "clone" | "share"] | [_, "clone", "shared"] | ["share", _]) => Response::method_not_allowed(),
        (_, ["shared", _, "access"] | ["shared", _, "access", "update"]) => Response::method_not_allowed(),
        (_, [_, "messages", _] | [_, "messages", _, "event"] | [_, "compact" | "params"]) => Response::method_not_allowed(),
        (_, ["stats", "usage" | "export"] | ["stats", "export", _]) => Response::method_not_allowed(),
        _ => Response::not_found(),
    }
}

/// Open WebUI routes this build does not serve yet. They are matched before the `/{id}`
/// routes, exactly where Open WebUI declares them, so they never fall through to a chat id.
fn not_yet_served(method: &str, parts: &[&str]) -> bool {
    matches!(
        (method, parts),
        ("POST", [_, "messages", _, "resolve"])
    )
}
