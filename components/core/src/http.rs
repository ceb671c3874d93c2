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
    /// The body (empty when `stream` is set).
    pub body: Vec<u8>,
    /// A body too large to build in memory: the adapter sends the headers, then runs this
    /// job with [`crate::export::run`] and streams its chunks.
    pub stream: Option<crate::export::StreamJob>,
}

impl Response {
    /// A JSON response with the given status.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body,
                stream: None,
            },
            Err(_) => Self::error(&ApiError::bad_request(crate::error::E_DEFAULT)),
        }
    }

    /// 200 with a body produced later by `job`, chunk by chunk.
    pub fn streamed(content_type: &str, extra_headers: Vec<(String, String)>, job: crate::export::StreamJob) -> Self {
        let mut headers = vec![("content-type".to_owned(), content_type.to_owned())];
        headers.extend(extra_headers);
        Self { status: 200, headers, body: Vec::new(), stream: Some(job) }
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

/// A request body as FastAPI sees it before validating it against a model: absent,
/// decoded JSON, or (for a non-JSON content type) the raw text.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body bytes.
    Empty,
    /// A decoded JSON document.
    Json(Json),
    /// The body of a request whose content type is not JSON.
    Text(String),
}

impl Request {
    /// Decodes the body (FastAPI's first step, before authentication): malformed JSON is a
    /// 422 `json_invalid` here, whatever the credentials; JSON nested deeper than
    /// [`crate::limits::MAX_JSON_DEPTH`] a 400.
    pub fn body(&self) -> ApiResult<Body> {
        if self.body.is_empty() {
            return Ok(Body::Empty);
        }
        let json_type = self.header("content-type").is_none_or(|value| {
            let media = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
        });
        if !json_type {
            return Ok(Body::Text(String::from_utf8_lossy(&self.body).into_owned()));
        }
        if crate::limits::nests_deeper_than(&self.body, crate::limits::MAX_JSON_DEPTH) {
            return Err(crate::limits::too_deep());
        }
        serde_json::from_slice(&self.body).map(Body::Json).map_err(|error| {
            let text = String::from_utf8_lossy(&self.body);
            let (position, message) = python_json_error(&text, &error);
            ApiError::validation(vec![json!({
                "type": "json_invalid",
                "loc": ["body", position],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": message},
            })])
        })
    }
}

impl Body {
    /// The body as a required model object (pydantic's 422s for missing or non-object).
    pub fn object(self) -> ApiResult<serde_json::Map<String, Json>> {
        match self {
            // FastAPI treats a JSON `null` body like no body: a required model is missing.
            Body::Empty | Body::Json(Json::Null) => Err(ApiError::missing(&["body"], Json::Null)),
            Body::Json(Json::Object(map)) => Ok(map),
            Body::Json(other) => Err(not_an_object(other)),
            Body::Text(text) => Err(not_an_object(Json::String(text))),
        }
    }

    /// The body as an optional model object (`None` when absent or JSON `null`).
    pub fn optional_object(self) -> ApiResult<Option<serde_json::Map<String, Json>>> {
        match self {
            Body::Empty | Body::Json(Json::Null) => Ok(None),
            other => other.object().map(Some),
        }
    }
}

fn not_an_object(input: Json) -> ApiError {
    ApiError::validation(vec![json!({
        "type": "model_attributes_type",
        "loc": ["body"],
        "msg": "Input should be a valid dictionary or object to extract fields from",
        "input": input,
    })])
}

/// Python's `json` error for a document serde_json rejected: the character offset and the
/// message FastAPI reports (`Expecting value`, `Expecting ',' delimiter`, …).
fn python_json_error(text: &str, error: &serde_json::Error) -> (usize, &'static str) {
    let eof = error.classify() == serde_json::error::Category::Eof;
    let position = if eof {
        text.chars().count()
    } else {
        let line_start: usize = text.split('\n').take(error.line().saturating_sub(1)).map(|line| line.chars().count() + 1).sum();
        line_start + error.column().saturating_sub(1)
    };
    let before: String = text.chars().take(position).collect();
    let previous = before.trim_end().chars().last();
    let detail = error.to_string();
    let message = if detail.contains("key must be a string") {
        "Expecting property name enclosed in double quotes"
    } else if detail.contains("while parsing an object") {
        match previous {
            Some('{' | ',') => "Expecting property name enclosed in double quotes",
            Some(':') => "Expecting value",
            _ => "Expecting ',' delimiter",
        }
    } else if detail.contains("while parsing a list") {
        match previous {
            Some('[' | ',') => "Expecting value",
            _ => "Expecting ',' delimiter",
        }
    } else if detail.contains("expected `,`") {
        "Expecting ',' delimiter"
    } else if detail.contains("expected `:`") {
        "Expecting ':' delimiter"
    } else if detail.contains("trailing") {
        "Extra data"
    } else if detail.contains("while parsing a string") {
        "Unterminated string starting at"
    } else if detail.contains("control character") {
        "Invalid control character at"
    } else {
        "Expecting value"
    };
    (position, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: &str) -> Json {
        let request = Request::new("POST", "/x", vec![], body.as_bytes().to_vec());
        match request.body() {
            Err(error) => error.detail[0].clone(),
            Ok(_) => Json::Null,
        }
    }

    #[test]
    fn json_errors_read_like_pythons() {
        // Values observed from FastAPI 0.136 / Python 3.11's json module.
        assert_eq!(decode("{")["loc"], json!(["body", 1]));
        assert_eq!(decode("{")["ctx"]["error"], "Expecting property name enclosed in double quotes");
        assert_eq!(decode("{\"chat\":")["ctx"]["error"], "Expecting value");
        assert_eq!(decode("{\"chat\":")["loc"], json!(["body", 8]));
        assert_eq!(decode("{\"a\": 1} x")["ctx"]["error"], "Extra data");
        assert_eq!(decode("[1 2]")["ctx"]["error"], "Expecting ',' delimiter");
    }

    #[test]
    fn query_and_percent_decoding() {
        let request = Request::new("GET", "/x?page=2&q=a%20b+c&page=3", vec![], vec![]);
        assert_eq!(request.query_int("page"), Ok(Some(3)));
        assert_eq!(request.query_str("q").as_deref(), Some("a b c"));
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(request.query_bool("missing"), Ok(None));
    }
}
