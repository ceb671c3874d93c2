//! What every Spin component of this app shares, so that a component's own file is only
//! its routing table:
//! - [`AppDatabase`]: the core [`Database`] over Spin SQLite (`spin:sqlite@3.1.0`,
//!   [`SpinDatabase`]), or over a libSQL server's HTTP API when the variable `db_url` is set
//!   ([`hrana`]);
//! - the app's Spin variables, read once per instance into core settings;
//! - [`serve`]: Spin request → core request → handler → Spin response, with the
//!   database opened and the schema ensured once per instance.
#![deny(missing_docs)]

pub mod hrana;

use async_trait::async_trait;
use chat_core::db::{Database, DbError, Row, Value};
use chat_core::http::{Request, Response};
use chat_core::settings::{Settings, VARIABLE_NAMES};
use chat_core::events::Publisher;
use chat_core::export::{self, ChunkSink, StreamJob};
use chat_core::{ApiError, Ctx, schema};
use http_body_util::BodyExt;
use spin_sdk::http::{HeaderMap, HeaderName, HeaderValue, IntoResponse, StatusCode};
use spin_sdk::sqlite;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The core database over one Spin SQLite connection.
pub struct SpinDatabase {
    connection: sqlite::Connection,
}

impl SpinDatabase {
    /// Opens the `default` database.
    pub async fn open_default() -> Result<Self, DbError> {
        let connection = sqlite::Connection::open_default()
            .await
            .map_err(|error| DbError(error.to_string()))?;
        Ok(Self { connection })
    }
}

chat_core::spin_sqlite_value_conversions!(sqlite::Value);

#[async_trait(?Send)]
impl Database for SpinDatabase {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let result = self
            .connection
            .execute(sql, params.iter().map(to_spin))
            .await
            .map_err(|error| DbError(error.to_string()))?;
        let rows = result.collect().await.map_err(|error| DbError(error.to_string()))?;
        Ok(rows
            .into_iter()
            .map(|row| Row(row.values.into_iter().map(from_spin).collect()))
            .collect())
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        self.query(sql, params).await?;
        Ok(self.connection.changes().await)
    }
}

/// The database a request uses: Spin SQLite's `default` database, or a libSQL server over
/// Hrana (outbound HTTP) when the variable `db_url` is set and not empty (`db_token`: its auth
/// token).
pub enum AppDatabase {
    /// Spin SQLite.
    Spin(SpinDatabase),
    /// A libSQL server over HTTP.
    Hrana(chat_core::db::hrana::HranaDatabase<hrana::SpinHttp>),
}

impl AppDatabase {
    /// Opens the database the variables select.
    pub async fn open() -> Result<Self, DbError> {
        match &variables().await.db_server {
            None => Ok(Self::Spin(SpinDatabase::open_default().await?)),
            Some((url, token)) => Ok(Self::Hrana(hrana::open(url, token.clone())?)),
        }
    }

    /// Ends the request's use of the database: closes the libSQL stream (rolling back what is
    /// left open); nothing to do for Spin SQLite, whose connection closes when dropped.
    pub async fn finish(self) {
        if let Self::Hrana(db) = self
            && let Err(error) = db.close().await
        {
            eprintln!("closing the libSQL stream: {error}");
        }
    }

    fn inner(&self) -> &dyn Database {
        match self {
            Self::Spin(db) => db,
            Self::Hrana(db) => db,
        }
    }
}

#[async_trait(?Send)]
impl Database for AppDatabase {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        self.inner().query(sql, params).await
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        self.inner().execute(sql, params).await
    }

    async fn execute_script(&self, sql: &str) -> Result<(), DbError> {
        self.inner().execute_script(sql).await
    }
}

/// Publishes message events to the realtime relay with one outbound HTTP request each
/// (`POST realtime_url`, `Authorization: Bearer realtime_token`), as any Spin component
/// may (Spin's `allowed_outbound_hosts` must allow the relay's origin). The variables are
/// read only when an event is published, so other requests pay nothing; a component
/// without `realtime_url` publishes nothing.
pub struct HttpPublisher;

#[async_trait(?Send)]
impl Publisher for HttpPublisher {
    async fn publish(&self, event: String) -> Result<(), String> {
        let Some(url) = spin_sdk::variables::get("realtime_url").await.ok().filter(|url| !url.trim().is_empty()) else {
            return Ok(());
        };
        let token = spin_sdk::variables::get("realtime_token").await.unwrap_or_default();
        let request = spin_sdk::http::Request::post(url)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(spin_sdk::http::FullBody::new(bytes::Bytes::from(event)))
            .map_err(|error| error.to_string())?;
        let response = spin_sdk::http::send(request).await.map_err(|error| format!("{error:?}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("relay answered {}", response.status()))
        }
    }
}

/// What the app's Spin variables say, read on an instance's first request and kept for its
/// life: reading them on every request cost eleven host calls, more than the route's own
/// work on small reads. An instance lives for a bounded number of requests, so a changed
/// variable reaches new instances within that bound.
struct Variables {
    /// The core settings (missing variables take Open WebUI's defaults).
    settings: Settings,
    /// `db_url` and `db_token` when `db_url` is set; `None`: Spin SQLite.
    db_server: Option<(String, String)>,
}

/// This instance's [`Variables`].
async fn variables() -> Rc<Variables> {
    if let Some(variables) = VARIABLES.with_borrow(Clone::clone) {
        return variables;
    }
    let variables = Rc::new(Variables { settings: read_settings().await, db_server: read_db_server().await });
    VARIABLES.set(Some(variables.clone()));
    variables
}

/// Reads the variables [`Settings`] is made of.
async fn read_settings() -> Settings {
    let mut values = Vec::with_capacity(VARIABLE_NAMES.len());
    for name in VARIABLE_NAMES {
        values.push((*name, spin_sdk::variables::get(*name).await.ok()));
    }
    Settings::from_lookup(|name| {
        values
            .iter()
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value.clone())
    })
}

/// Reads `db_url` and `db_token`: `None` when `db_url` is empty.
async fn read_db_server() -> Option<(String, String)> {
    let url = spin_sdk::variables::get("db_url").await.unwrap_or_default();
    if url.trim().is_empty() {
        return None;
    }
    let token = spin_sdk::variables::get("db_token").await.unwrap_or_default();
    Some((url, token.trim().to_owned()))
}

thread_local! {
    /// Set once this instance has checked the schema; Spin reuses instances.
    static SCHEMA_READY: Cell<bool> = const { Cell::new(false) };
    /// This instance's [`Variables`], once read.
    static VARIABLES: RefCell<Option<Rc<Variables>>> = const { RefCell::new(None) };
}

/// Bodies are read whole, so they are capped here too (DESIGN.md: 16 MiB → 413): Spin
/// itself sets no limit, and our host's cap may be configured higher.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Converts Spin's request into the core's, reading the body (at most [`MAX_BODY_BYTES`],
/// else 413).
pub async fn core_request(request: spin_sdk::http::Request) -> Result<Request, ApiError> {
    let (parts, body) = request.into_parts();
    let body = http_body_util::Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                ApiError::new(413, format!("Request body is too large (the limit is {MAX_BODY_BYTES} bytes)."))
            } else {
                ApiError::bad_request(error.to_string())
            }
        })?
        .to_bytes()
        .to_vec();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    Ok(Request::new(parts.method.as_str(), path_and_query, headers, body))
}

/// Converts the core's response into Spin's. A streamed response gets its headers now
/// and its body from a task that runs the export job on its own connection.
pub fn spin_response(response: Response) -> impl IntoResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.append(name, value);
        }
    }
    let body = match response.stream {
        None => spin_sdk::http::box_body(spin_sdk::http::FullBody::new(bytes::Bytes::from(response.body))),
        Some(job) => {
            let (sender, body) = spin_sdk::http::body::stream::<bytes::Bytes>();
            spin_sdk::wasip3::spawn(run_stream_job(job, sender));
            spin_sdk::http::box_body(body)
        }
    };
    (status, headers, body)
}

/// Feeds an export job's chunks into the response body.
struct BodySink(futures::channel::mpsc::Sender<bytes::Bytes>);

#[async_trait(?Send)]
impl ChunkSink for BodySink {
    async fn send(&mut self, chunk: Vec<u8>) -> bool {
        futures::SinkExt::send(&mut self.0, bytes::Bytes::from(chunk)).await.is_ok()
    }
}

async fn run_stream_job(job: StreamJob, sender: futures::channel::mpsc::Sender<bytes::Bytes>) {
    let db = match AppDatabase::open().await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("export: {error}");
            return;
        }
    };
    let variables = variables().await;
    let ctx = Ctx::new(&db, &variables.settings);
    if let Err(error) = export::run(&ctx, &job, &mut BodySink(sender)).await {
        // The status line is already sent; ending the body early is all that is left.
        eprintln!("export: {error}");
    }
    db.finish().await;
}

/// Runs one request: opens the database, ensures the schema (once per instance), builds
/// the context and calls `route`, which maps the request onto core handlers.
pub async fn serve<F>(request: spin_sdk::http::Request, route: F) -> impl IntoResponse
where
    F: AsyncFnOnce(&Ctx<'_>, &Request) -> Response,
{
    spin_response(handle(request, route).await)
}

async fn handle<F>(request: spin_sdk::http::Request, route: F) -> Response
where
    F: AsyncFnOnce(&Ctx<'_>, &Request) -> Response,
{
    let request = match core_request(request).await {
        Ok(request) => request,
        Err(error) => return Response::error(&error),
    };
    let db = match AppDatabase::open().await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("{error}");
            return Response::error(&chat_core::ApiError::new(503, "Database unavailable"));
        }
    };
    if !SCHEMA_READY.get() {
        if let Err(error) = schema::ensure(&db).await {
            eprintln!("schema: {error}");
            finish_later(db);
            return Response::error(&chat_core::ApiError::new(503, "Database unavailable"));
        }
        SCHEMA_READY.set(true);
    }
    let variables = variables().await;
    let ctx = Ctx::new(&db, &variables.settings).with_publisher(&HttpPublisher);
    let response = route(&ctx, &request).await;
    finish_later(db);
    response
}

/// Finishes with the database after the response has left (a libSQL stream's `close` is one
/// more round trip the client need not wait for).
fn finish_later(db: AppDatabase) {
    if matches!(db, AppDatabase::Hrana(_)) {
        spin_sdk::wasip3::spawn(db.finish());
    }
}
