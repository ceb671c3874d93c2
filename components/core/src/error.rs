//! API errors in Open WebUI's shape: a status and a `{"detail": ...}` body.
//!
//! The constants are the exact `detail` strings Open WebUI 0.12.4 sends (spec §0, §1.5).

use crate::db::DbError;
use serde_json::{Value as Json, json};

/// `ERROR_MESSAGES.DEFAULT()`.
pub const E_DEFAULT: &str = "Something went wrong :/";
/// `ERROR_MESSAGES.ACCESS_PROHIBITED`.
pub const E_PROHIBITED: &str = "You do not have permission to access this resource. Please contact your administrator for assistance.";
/// `ERROR_MESSAGES.NOT_FOUND`.
pub const E_NOT_FOUND: &str = "We could not find what you're looking for :/";
/// `ERROR_MESSAGES.INVALID_TOKEN`.
pub const E_INVALID_TOKEN: &str =
    "Your session has expired or the token is invalid. Please sign in again.";
/// `ERROR_MESSAGES.UNAUTHORIZED`.
pub const E_UNAUTHORIZED: &str = "401 Unauthorized";
/// `ERROR_MESSAGES.API_KEY_NOT_ALLOWED`.
pub const E_API_KEY_NOT_ALLOWED: &str = "Use of API key is not enabled in the environment.";
/// No credential anywhere in the request.
pub const E_NOT_AUTHENTICATED: &str = "Not authenticated";

/// An error answer: HTTP status plus the `detail` value (a string, or FastAPI's list of
/// validation errors for 422).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The `detail` member of the body.
    pub detail: Json,
}

impl ApiError {
    /// An error with a plain string detail.
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: Json::String(detail.into()),
        }
    }

    /// 400 with `detail`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, detail)
    }

    /// 401 with `detail` (Open WebUI's usual answer for "no access", even for valid users).
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, detail)
    }

    /// 403 with `detail`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, detail)
    }

    /// 404 with `detail`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, detail)
    }

    /// 422 with FastAPI's list of validation errors.
    pub fn validation(errors: Vec<Json>) -> Self {
        Self {
            status: 422,
            detail: Json::Array(errors),
        }
    }

    /// 422 for one missing field at `loc` (e.g. `["body", "chat"]`).
    pub fn missing(loc: &[&str], input: Json) -> Self {
        Self::validation(vec![json!({
            "type": "missing",
            "loc": loc,
            "msg": "Field required",
            "input": input,
        })])
    }

    /// The JSON body: `{"detail": ...}`.
    pub fn body(&self) -> Json {
        json!({ "detail": self.detail })
    }
}

impl From<DbError> for ApiError {
    /// A database failure is logged by the adapter and answered with Open WebUI's generic
    /// 400, never a 500 with internals.
    fn from(error: DbError) -> Self {
        eprintln!("{error}");
        ApiError::bad_request(E_DEFAULT)
    }
}

/// Result type of every route handler.
pub type ApiResult<T> = Result<T, ApiError>;
