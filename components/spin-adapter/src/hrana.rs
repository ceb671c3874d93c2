//! The core's Hrana client ([`HranaDatabase`]) over Spin outbound HTTP (`wasi:http`), for
//! hosts that offer outbound HTTP but no Spin SQLite. The component's
//! `allowed_outbound_hosts` must allow the server (spin.toml lists `{{ db_url }}`).

use async_trait::async_trait;
use chat_core::db::DbError;
use chat_core::db::hrana::recovery::STATEMENT_TIMEOUT;
use chat_core::db::hrana::{HranaDatabase, HranaTransport, HttpReply};
use http_body_util::BodyExt;
use spin_sdk::http::{FromResponse, Response, Uri};
use spin_sdk::wasip3::http::types::{ErrorCode, Fields, Method, Request, RequestOptions, Scheme};
use spin_sdk::wasip3::http_compat::BodyWriter;

/// Sends Hrana pipelines as `POST` requests, with `Authorization: Bearer <token>` when a token
/// is set.
pub struct SpinHttp {
    token: String,
}

impl SpinHttp {
    /// The request, and the writer its body must be fed through.
    fn request(&self, url: &str) -> Result<(Request, BodyWriter), String> {
        let uri: Uri = url.parse().map_err(|error| format!("{url:?}: {error}"))?;
        let mut headers = vec![("content-type".to_owned(), b"application/json".to_vec())];
        if !self.token.is_empty() {
            headers.push(("authorization".to_owned(), format!("Bearer {}", self.token).into_bytes()));
        }
        let headers = Fields::from_list(&headers).map_err(|error| format!("headers: {error:?}"))?;
        let (writer, contents, trailers) = BodyWriter::new();
        // A server that stopped answering fails the statement instead of hanging the request.
        let options = RequestOptions::new();
        let timeout = u64::try_from(STATEMENT_TIMEOUT.as_nanos()).unwrap_or(u64::MAX);
        options.set_first_byte_timeout(Some(timeout)).map_err(|error| format!("timeout refused: {error:?}"))?;
        let (request, _) = Request::new(headers, Some(contents), trailers, Some(options));
        let scheme = if uri.scheme_str() == Some("https") { Scheme::Https } else { Scheme::Http };
        request.set_method(&Method::Post).map_err(|()| "method refused".to_owned())?;
        request.set_scheme(Some(&scheme)).map_err(|()| "scheme refused".to_owned())?;
        request
            .set_authority(uri.authority().map(|authority| authority.as_str()))
            .map_err(|()| format!("{url:?}: authority refused"))?;
        request
            .set_path_with_query(uri.path_and_query().map(|path| path.as_str()))
            .map_err(|()| format!("{url:?}: path refused"))?;
        Ok((request, writer))
    }
}

#[async_trait(?Send)]
impl HranaTransport for SpinHttp {
    async fn post(&self, url: &str, body: Vec<u8>) -> Result<HttpReply, String> {
        let (request, writer) = self.request(url)?;
        // The body is written alongside the send, in this task. `spin_sdk::http::send` writes
        // it from a task of its own, and a task spawned from a spawned task is never polled
        // (wit-bindgen 0.57): every statement after the response had left (a streamed export,
        // closing the stream) waited forever for its body.
        let write = async move {
            let mut body = http_body_util::Full::new(bytes::Bytes::from(body));
            writer.send_http_body(&mut body).await
        };
        let (response, written) = futures::join!(spin_sdk::wasip3::http::client::send(request), write);
        let response = response.map_err(|error| match error {
            ErrorCode::ConnectionReadTimeout => format!("no answer in {STATEMENT_TIMEOUT:?}"),
            other => format!("{other:?}"),
        })?;
        written.map_err(|error| format!("sending the request body: {error}"))?;
        let response = Response::from_response(response).map_err(|error| format!("{error:?}"))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|error| format!("reading the answer: {error:?}"))?
            .to_bytes()
            .to_vec();
        Ok(HttpReply { status, body })
    }

    async fn pause(&self, how_long: std::time::Duration) {
        let nanoseconds = u64::try_from(how_long.as_nanos()).unwrap_or(u64::MAX);
        spin_sdk::wasip3::clocks::monotonic_clock::wait_for(nanoseconds).await;
    }
}

/// A Hrana client for the server at `url` with auth token `token` (empty: none).
pub fn open(url: &str, token: String) -> Result<HranaDatabase<SpinHttp>, DbError> {
    HranaDatabase::new(url, SpinHttp { token })
}
