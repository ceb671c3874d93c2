//! Framework-neutral HTTP request and response values.
//!
//! Component adapters convert Spin's request into [`Request`] and [`Response`] back into
//! Spin's; the core never sees Spin types. Query strings are parsed with FastAPI's rules
//! (422 with pydantic's error objects on bad values).

use crate::error::{ApiError, ApiResult};
use serde::Serialize;
use serde_json::{Value as Json, json};

/// An incoming request, as the core sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Upper-case method, e.g. `GET`.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Request {
    /// Builds a request from a method, a path with optional `?query`, headers and body.
    pub fn new(method: &str, path_and_query: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            query: parse_query(query),
            headers: headers
                .into_iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value))
                .collect(),
            body,
        }
    }

    /// First header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A path parameter as Spin passes it (`spin-path-match-<name>` header).
    pub fn param(&self, name: &str) -> String {
        self.header(&format!("spin-path-match-{name}"))
            .map(percent_decode)
            .unwrap_or_default()
    }

    /// The value of a cookie.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(key, _)| key == "cookie")
            .flat_map(|(_, value)| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }

    /// Last value of a query parameter (Starlette keeps the last one).
    pub fn query_raw(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Optional integer query parameter; a bad value is FastAPI's 422.
    pub fn query_int(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.query_raw(name) {
            None => Ok(None),
            Some(raw) => raw.trim().parse::<i64>().map(Some).map_err(|_| {
                ApiError::validation(vec![json!({
                    "type": "int_parsing",
                    "loc": ["query", name],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "input": raw,
                })])
            }),
        }
    }

    /// Optional boolean query parameter with pydantic's accepted spellings.
    pub fn query_bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.query_raw(name) {
            None => Ok(None),
            Some(raw) => match raw.to_ascii_lowercase().as_str() {
                "1" | "true" | "t" | "yes" | "y" | "on" => Ok(Some(true)),
                "0" | "false" | "f" | "no" | "n" | "off" => Ok(Some(false)),
                _ => Err(ApiError::validation(vec![json!({
                    "type": "bool_parsing",
                    "loc": ["query", name],
                    "msg": "Input should be a valid boolean, unable to interpret input",
                    "input": raw,
                })])),
            },
        }
    }

    /// Optional string query parameter.
    pub fn query_str(&self, name: &str) -> Option<String> {
        self.query_raw(name).map(str::to_owned)
    }
}

/// An outgoing response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Extra headers (content type included).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response with the given status.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body,
            },
            Err(_) => Self::error(&ApiError::bad_request(crate::error::E_DEFAULT)),
        }
    }

    /// 200 with a JSON body.
    pub fn ok<T: Serialize + ?Sized>(value: &T) -> Self {
        Self::json(200, value)
    }

    /// The `{"detail": ...}` answer for an error.
    pub fn error(error: &ApiError) -> Self {
        Self::json(error.status, &error.body())
    }

    /// Turns a handler result into a response.
    pub fn from_result<T: Serialize>(result: ApiResult<T>) -> Self {
        match result {
            Ok(value) => Self::ok(&value),
            Err(error) => Self::error(&error),
        }
    }

    /// 404 `{"detail":"Not Found"}` for an unknown path (FastAPI without the SPA mount).
    pub fn not_found() -> Self {
        Self::error(&ApiError::not_found("Not Found"))
    }

    /// 405 `{"detail":"Method Not Allowed"}`.
    pub fn method_not_allowed() -> Self {
        Self::error(&ApiError::new(405, "Method Not Allowed"))
    }
}

/// Parses `a=1&b=x%20y` into decoded pairs (`+` is a space, as in forms).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&key.replace('+', " ")),
                percent_decode(&value.replace('+', " ")),
            )
        })
        .collect()
}

/// Decodes `%XX` escapes; invalid escapes are kept as they are, invalid UTF-8 is replaced.
pub fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
            if let Some(byte) = hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a JSON request body the way FastAPI does for a required body model: an empty
/// body is 422 `missing`, malformed JSON is 422 `json_invalid`, a non-object is 422
/// `model_attributes_type`.
pub fn json_object_body(body: &[u8]) -> ApiResult<serde_json::Map<String, Json>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::missing(&["body"], Json::Null));
    }
    let value: Json = serde_json::from_slice(body).map_err(|error| {
        ApiError::validation(vec![json!({
            "type": "json_invalid",
            "loc": ["body", error.column().saturating_sub(1)],
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": json_error_text(&error)},
        })])
    })?;
    match value {
        Json::Object(map) => Ok(map),
        other => Err(ApiError::validation(vec![json!({
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": other,
        })])),
    }
}

/// Like [`json_object_body`] for an optional body: empty means `None`.
pub fn optional_json_object_body(body: &[u8]) -> ApiResult<Option<serde_json::Map<String, Json>>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    json_object_body(body).map(Some)
}

fn json_error_text(error: &serde_json::Error) -> String {
    match error.classify() {
        serde_json::error::Category::Eof => "Expecting value".into(),
        _ => "Expecting property name enclosed in double quotes".into(),
    }
}
