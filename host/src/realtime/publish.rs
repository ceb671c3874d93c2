//! `POST /_realtime/publish`: where the HTTP components hand domain events to the relay.
//!
//! - `Authorization: Bearer <realtime_token>` is required; missing or wrong → 401. The
//!   comparison takes the same time wherever the first difference is.
//! - The body is one event, `{"chat_id", "message_id", "user_id", "data": {...}}`; what is not a
//!   JSON object with an object `data` → 422 in FastAPI's shape; over the frame cap → 413.
//! - Accepted → 202 `{"accepted": true}`: the event is queued for the component (or published
//!   to Redis, from where every relay, this one included, delivers it). Redis unreachable, or
//!   the relay stopping → 503. Publishers treat any failure as "clients will refetch".
//!
//! This path is answered before Spin routing, so no component can shadow it.

use super::Relay;
use http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};
use wasmtime_wasi_http::WasiBody;

/// The path of the publish endpoint.
pub const PATH: &str = "/_realtime/publish";

/// Why a publish could not be accepted.
#[derive(Debug)]
pub enum PublishError {
    /// Fan-out (Redis) or the relay itself is unavailable right now.
    Unavailable(String),
}

/// Handles one request to [`PATH`].
pub async fn handle(relay: &Relay, req: Request<Incoming>) -> Response<WasiBody> {
    if req.method() != Method::POST {
        let mut resp = json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"detail":"Method Not Allowed"}"#,
        );
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    match presented {
        None => {
            return json_response(
                StatusCode::UNAUTHORIZED,
                r#"{"detail":"Not authenticated"}"#,
            );
        }
        Some(token) if !constant_time_eq(token.as_bytes(), relay.token().as_bytes()) => {
            return json_response(
                StatusCode::UNAUTHORIZED,
                r#"{"detail":"Invalid realtime token"}"#,
            );
        }
        Some(_) => {}
    }
    let body = match Limited::new(req.into_body(), relay.max_frame_bytes())
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"detail":"Request body too large"}"#,
            );
        }
        Err(e) => {
            tracing::debug!("publish body not received: {e}");
            return json_response(
                StatusCode::BAD_REQUEST,
                r#"{"detail":"Request body not received"}"#,
            );
        }
    };
    let event = match parse_event(&body) {
        Ok(event) => event,
        Err(detail) => return json_response(StatusCode::UNPROCESSABLE_ENTITY, &detail.to_string()),
    };
    match relay.publish(event).await {
        Ok(()) => json_response(StatusCode::ACCEPTED, r#"{"accepted":true}"#),
        Err(PublishError::Unavailable(why)) => {
            tracing::warn!("publish refused: {why}");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "detail": format!("Realtime relay unavailable: {why}") }).to_string(),
            )
        }
    }
}

/// Validates an event; returns it as compact JSON text, or a FastAPI-shaped 422 body.
fn parse_event(body: &[u8]) -> Result<String, Value> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        json!({"detail": [{
            "type": "json_invalid",
            "loc": ["body", e.column()],
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": e.to_string()},
        }]})
    })?;
    let Some(object) = value.as_object() else {
        return Err(json!({"detail": [{
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": value,
        }]}));
    };
    if !object.get("data").is_some_and(Value::is_object) {
        return Err(json!({"detail": [{
            "type": "missing",
            "loc": ["body", "data"],
            "msg": "Field required",
            "input": value,
        }]}));
    }
    Ok(value.to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A response with a JSON body.
pub fn json_response(status: StatusCode, body: &str) -> Response<WasiBody> {
    let body = Full::new(bytes::Bytes::from(body.to_string()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn events() {
        assert!(parse_event(br#"{"chat_id":"c","data":{"type":"x"}}"#).is_ok());
        assert!(parse_event(b"{nope").is_err());
        assert!(parse_event(b"[1]").is_err());
        assert!(parse_event(br#"{"chat_id":"c"}"#).is_err());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
