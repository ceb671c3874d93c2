//! The floor: the same core routes behind a plain hyper HTTP/1 server, no Wasm. Timing the
//! host and this server with the same load generator at concurrency 1 isolates what the Wasm
//! layer (instantiate, route, headers, host calls, tear-down) adds per request.
//!
//! It runs on its own thread with a single-threaded runtime, because the core's futures are
//! not `Send` (one connection to the database, requests one at a time).

use bench::chats::native::NativeApi;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use std::convert::Infallible;
use std::rc::Rc;

/// Starts the server on `listener`'s address with the database at `db_path`; returns when
/// it is accepting connections. It lives until the process ends.
pub fn spawn(db_path: String, secret: String) -> Result<String, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let address = listener.local_addr().map_err(|e| format!("bind: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| format!("listener: {e}"))?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                let _ = ready_tx.send(Err(format!("runtime: {e}")));
                return;
            }
        };
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async move {
            let api = match NativeApi::open(&db_path, &secret).await {
                Ok(api) => Rc::new(api),
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let listener = match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => listener,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("listener: {e}")));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let api = Rc::clone(&api);
                tokio::task::spawn_local(async move {
                    let service = service_fn(move |request| handle(Rc::clone(&api), request));
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
    });
    ready_rx.recv().map_err(|_| "the floor server thread ended".to_owned())??;
    Ok(format!("http://{address}"))
}

async fn handle(api: Rc<NativeApi>, request: hyper::Request<hyper::body::Incoming>) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|collected| collected.to_bytes().to_vec()).unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let request = chat_core::http::Request::new(parts.method.as_str(), path, headers, body);
    let response = api.dispatch(&request).await;
    let mut builder = hyper::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name, value);
    }
    Ok(builder.body(Full::new(Bytes::from(response.body))).unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new()))))
}
