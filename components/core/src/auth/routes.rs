//! Routing of `/api/v1/auths/...`. Like Open WebUI's auth router, every answer carries
//! `Cache-Control: no-store`, and request validation failures become 422
//! `Invalid authentication request.`; successful sign-ins also set the `token` cookie.

use super::session::{self, Session};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::http::{Request, Response};

/// Dispatches a request whose path starts with `/api/v1/auths`.
pub async fn dispatch(ctx: &Ctx<'_>, request: &Request) -> Response {
    let rest = request.path.trim_start_matches("/api/v1/auths");
    let mut response = match (request.method.as_str(), rest) {
        ("GET", "" | "/") => Response::from_result(session::session_user(ctx, request).await),
        ("POST", "/signup") => session_response(session::signup(ctx, request).await),
        ("POST", "/signin") => session_response(session::signin(ctx, request).await),
        ("POST", "/add") => Response::from_result(session::add_user(ctx, request).await),
        (_, "" | "/" | "/signup" | "/signin" | "/add") => Response::method_not_allowed(),
        _ => Response::not_found(),
    };
    if response.status == 422 {
        response = Response::error(&ApiError::new(422, "Invalid authentication request."));
    }
    response.headers.push(("cache-control".into(), "no-store".into()));
    response
}

fn session_response(result: Result<Session, ApiError>) -> Response {
    match result {
        Ok(session) => {
            let mut response = Response::ok(&session.body);
            let max_age = session.max_age.map(|age| format!("; Max-Age={age}")).unwrap_or_default();
            response.headers.push((
                "set-cookie".into(),
                format!("token={}; HttpOnly{max_age}; Path=/; SameSite=lax", session.token),
            ));
            response
        }
        Err(error) => Response::error(&error),
    }
}
