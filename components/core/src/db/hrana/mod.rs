//! [`Database`] over a libSQL server (sqld, Turso) speaking Hrana over HTTP
//! (`POST {url}/v2/pipeline`), for components whose host offers outbound HTTP but no Spin
//! SQLite (edge function hosts).
//!
//! The protocol lives here once; how the bytes travel does not: a [`HranaTransport`] sends
//! one request and returns the answer (outbound HTTP in a Spin component, a canned reply in
//! the unit tests).
//!
//! One [`HranaDatabase`] is one Hrana *stream*, the server-side twin of one SQLite
//! connection: statements on it share its transaction, so `BEGIN IMMEDIATE` … `COMMIT`
//! through [`Database::execute`] is a transaction on the server, as on a file. The server
//! ties requests to the stream by a *baton* it hands out with every answer; this value keeps
//! it (and the `base_url` the server may redirect to) between requests. A new stream's
//! first pipeline carries `PRAGMA foreign_keys=OFF` ahead of the first statement (sqld turns
//! foreign keys on; Open WebUI and Spin's SQLite run with them off), so opening costs no
//! round trip of its own. Each statement is one round trip; a script is one `batch`.
//! [`HranaDatabase::close`] ends the stream (rolling back what is left open); a stream never
//! closed expires on the server after about 10 s of idleness.
//!
//! When the server did not run a statement and nothing was lost with it (see
//! [`recovery`]), the statement is run once more: on a new stream if the old one expired,
//! after the transaction's `BEGIN` again if it was the first statement after it.

pub mod proto;
pub mod recovery;
#[cfg(test)]
mod tests;

use super::{Database, DbError, Row, Value, split_statements};
use async_trait::async_trait;
use proto::{Batch, PipelineRequest, PipelineResponse, StmtResult, Stmt, StreamRequest, StreamResponse, StreamResult};
use recovery::{Loss, Retry, TransactionControl};
use std::cell::{Cell, RefCell};

/// The first statement on every new stream.
pub const FOREIGN_KEYS_OFF: &str = "PRAGMA foreign_keys=OFF";

/// An HTTP answer: status code and body.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends one Hrana pipeline request. Implementations add the server's auth token
/// (`Authorization: Bearer …`) and `Content-Type: application/json`.
#[async_trait(?Send)]
pub trait HranaTransport {
    /// POSTs the JSON `body` to `url`; `Err` when no answer came (connection refused, …).
    async fn post(&self, url: &str, body: Vec<u8>) -> Result<HttpReply, String>;

    /// Waits `how_long` before a statement the server did not run is tried again
    /// ([`recovery::Backoff`]).
    async fn pause(&self, how_long: std::time::Duration);
}

/// The server's URL in the form pipelines are sent to: `libsql://` becomes `https://`
/// (as libSQL clients read it), a trailing `/` is dropped. Anything but `http(s)://` is an
/// error.
pub fn server_url(url: &str) -> Result<String, DbError> {
    let url = url.trim().trim_end_matches('/');
    let url = match url.strip_prefix("libsql://") {
        Some(rest) => format!("https://{rest}"),
        None => url.to_owned(),
    };
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| DbError(format!("libSQL server URL {url:?} must start with http://, https:// or libsql://")))?;
    if rest.is_empty() {
        return Err(DbError(format!("libSQL server URL {url:?} has no host")));
    }
    Ok(url)
}

/// What this side knows about its stream on the server.
#[derive(Debug, Default)]
struct Stream {
    /// The baton for the next request; `None`: no stream yet (the next pipeline opens one).
    baton: Option<String>,
    /// Where the server asked the next requests to go (else the configured URL).
    base_url: Option<String>,
    /// The `BEGIN …` of the open transaction, if one is open.
    begin: Option<String>,
    /// Statements run in the open transaction after its `BEGIN`.
    in_transaction_statements: usize,
}

/// Why a pipeline or a statement failed.
#[derive(Debug)]
enum Failure {
    /// No answer.
    Transport(String),
    /// The server refused the whole pipeline (an HTTP error status): the stream is gone.
    Pipeline { status: u16, error: proto::Error },
    /// An answer that is not Hrana.
    Protocol(String),
    /// The statement failed; the stream lives on.
    Statement(proto::Error),
}

impl Failure {
    /// Whether the statement was not run, and how much was lost with it.
    fn loss(&self) -> Option<Loss> {
        match self {
            // sqld had no connection free for a new stream (`Timed out while opening database
            // connection`, its --max-concurrent-connections): nothing ran.
            Self::Pipeline { status: 429, .. } => Some(Loss::Stream),
            // Whatever the code says, this side has forgotten the stream.
            Self::Pipeline { error, .. } => error.code.as_deref().and_then(Loss::of_code).map(|_| Loss::Stream),
            Self::Statement(error) => error.code.as_deref().and_then(Loss::of_code),
            Self::Transport(_) | Self::Protocol(_) => None,
        }
    }
}

impl From<Failure> for DbError {
    fn from(failure: Failure) -> Self {
        let describe = |error: &proto::Error| match &error.code {
            Some(code) => format!("{code}: {}", error.message),
            None => error.message.clone(),
        };
        DbError(match failure {
            Failure::Transport(error) => format!("libSQL server unreachable: {error}"),
            Failure::Pipeline { status: status @ (401 | 403), error } => {
                format!("libSQL server refused the request (HTTP {status}; check db_token): {}", describe(&error))
            }
            Failure::Pipeline { status, error } => format!("libSQL server answered HTTP {status}: {}", describe(&error)),
            Failure::Protocol(error) => format!("libSQL server: {error}"),
            Failure::Statement(error) => describe(&error),
        })
    }
}

/// What to run.
enum Work<'a> {
    /// One statement.
    Statement { sql: &'a str, params: &'a [Value], want_rows: bool },
    /// Statements without parameters, each only if the one before succeeded.
    Script(Vec<&'a str>),
}

impl Work<'_> {
    fn control(&self) -> Option<TransactionControl> {
        match self {
            Self::Statement { sql, .. } => TransactionControl::of(sql),
            Self::Script(_) => None,
        }
    }

    fn request(&self) -> StreamRequest<'_> {
        match self {
            Self::Statement { sql, params, want_rows } => {
                StreamRequest::Execute { stmt: Stmt::new(sql, params, *want_rows) }
            }
            Self::Script(statements) => StreamRequest::Batch {
                batch: Batch::chain(statements.iter().map(|sql| Stmt::new(sql, &[], false))),
            },
        }
    }
}

/// Marks the stream busy while a pipeline is in flight; clears the mark when dropped.
struct InFlight<'a>(&'a Cell<bool>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// The core [`Database`] over one Hrana stream on a libSQL server. Statements must be awaited
/// one at a time (as on any connection); a second one started while one is in flight fails.
pub struct HranaDatabase<T> {
    transport: T,
    url: String,
    stream: RefCell<Stream>,
    in_flight: Cell<bool>,
    /// Why the server gave no answer, once it did not: later statements fail at once with it
    /// instead of each waiting out the transport's timeout again.
    unanswered: RefCell<Option<String>>,
}

impl<T: HranaTransport> HranaDatabase<T> {
    /// A client for the server at `url` (see [`server_url`]); nothing is sent until the first
    /// statement.
    pub fn new(url: &str, transport: T) -> Result<Self, DbError> {
        Ok(Self {
            transport,
            url: server_url(url)?,
            stream: RefCell::new(Stream::default()),
            in_flight: Cell::new(false),
            unanswered: RefCell::new(None),
        })
    }

    /// Ends the stream on the server, rolling back a transaction left open. Does nothing when
    /// no stream is open. The value can be used again afterwards (on a new stream).
    pub async fn close(&self) -> Result<(), DbError> {
        let (open, in_transaction) = {
            let stream = self.stream.borrow();
            (stream.baton.is_some(), stream.begin.is_some())
        };
        if !open {
            return Ok(());
        }
        let mut requests = Vec::with_capacity(2);
        if in_transaction {
            requests.push(StreamRequest::Execute { stmt: Stmt::new("ROLLBACK", &[], false) });
        }
        requests.push(StreamRequest::Close);
        let result = self.pipeline(requests).await;
        *self.stream.borrow_mut() = Stream::default();
        result.map(drop).map_err(DbError::from)
    }

    /// Whether a stream is open on the server.
    pub fn is_open(&self) -> bool {
        self.stream.borrow().baton.is_some()
    }

    /// Sends one pipeline on the stream and returns one result per request. Keeps the baton
    /// and base URL the server hands back; forgets the stream when the pipeline failed as a
    /// whole or the server closed it.
    async fn pipeline(&self, requests: Vec<StreamRequest<'_>>) -> Result<Vec<StreamResult>, Failure> {
        if let Some(error) = self.unanswered.borrow().clone() {
            return Err(Failure::Transport(error));
        }
        if self.in_flight.replace(true) {
            return Err(Failure::Protocol("a statement was started while another one was in flight on the same stream".into()));
        }
        let _in_flight = InFlight(&self.in_flight);
        let count = requests.len();
        let (body, url) = {
            let stream = self.stream.borrow();
            let body = serde_json::to_vec(&PipelineRequest { baton: stream.baton.as_deref(), requests })
                .map_err(|error| Failure::Protocol(format!("request not encoded: {error}")))?;
            (body, format!("{}/v2/pipeline", stream.base_url.as_deref().unwrap_or(&self.url)))
        };
        let answer = match self.transport.post(&url, body).await {
            Err(error) => {
                *self.unanswered.borrow_mut() = Some(error.clone());
                Err(Failure::Transport(error))
            }
            Ok(reply) if reply.status != 200 => Err(Failure::Pipeline { status: reply.status, error: http_error(&reply.body) }),
            Ok(reply) => serde_json::from_slice::<PipelineResponse>(&reply.body)
                .map_err(|error| Failure::Protocol(format!("unreadable pipeline response: {error}")))
                .and_then(|response| {
                    if response.results.len() == count {
                        Ok(response)
                    } else {
                        Err(Failure::Protocol(format!("{} results for {count} requests", response.results.len())))
                    }
                }),
        };
        let mut stream = self.stream.borrow_mut();
        match answer {
            Ok(response) => {
                match response.baton {
                    Some(baton) => {
                        stream.baton = Some(baton);
                        if response.base_url.is_some() {
                            stream.base_url = response.base_url;
                        }
                    }
                    None => *stream = Stream::default(),
                }
                Ok(response.results)
            }
            Err(failure) => {
                *stream = Stream::default();
                Err(failure)
            }
        }
    }

    /// Runs `work` once: on a new stream, `PRAGMA foreign_keys=OFF` goes first in the same
    /// pipeline. Tracks the transaction state for [`HranaDatabase::run`].
    async fn run_once(&self, work: &Work<'_>) -> Result<StmtResult, Failure> {
        let fresh = !self.is_open();
        let mut requests = Vec::with_capacity(2);
        if fresh {
            requests.push(StreamRequest::Execute { stmt: Stmt::new(FOREIGN_KEYS_OFF, &[], false) });
        }
        requests.push(work.request());
        let mut results = self.pipeline(requests).await?.into_iter();
        if fresh
            && let Some(setup) = results.next()
            && let Err(failure) = statement_result(setup)
        {
            // A stream with foreign keys on must not serve Open WebUI's data: abandon it (the
            // server expires it), whatever became of the statement.
            *self.stream.borrow_mut() = Stream::default();
            return Err(match failure {
                Failure::Statement(error) => {
                    Failure::Statement(proto::Error { message: format!("{FOREIGN_KEYS_OFF}: {}", error.message), ..error })
                }
                other => other,
            });
        }
        let result = results
            .next()
            .ok_or_else(|| Failure::Protocol("no result".into()))
            .and_then(statement_result);
        let mut stream = self.stream.borrow_mut();
        match (&result, work.control(), work) {
            (Ok(_), Some(TransactionControl::Begin), Work::Statement { sql, .. }) => {
                stream.begin = Some((*sql).to_owned());
                stream.in_transaction_statements = 0;
            }
            (Ok(_), Some(TransactionControl::Commit), _) => stream.begin = None,
            // A failed `ROLLBACK` means no transaction was left either.
            (_, Some(TransactionControl::Rollback), _) => stream.begin = None,
            _ if stream.begin.is_some() => stream.in_transaction_statements += 1,
            _ => {}
        }
        result
    }

    /// Runs `work`, again with growing pauses while the server did not run it and nothing was
    /// lost ([`Retry`]).
    async fn run(&self, work: Work<'_>) -> Result<StmtResult, DbError> {
        let mut retry = {
            let stream = self.stream.borrow();
            Retry::new(stream.begin.as_deref(), stream.in_transaction_statements, work.control())
        };
        let mut result = self.run_once(&work).await;
        loop {
            let failure = match result {
                Ok(result) => return Ok(result),
                Err(failure) => failure,
            };
            let Some(attempt) = retry.after(failure.loss()) else {
                return Err(failure.into());
            };
            if attempt.roll_back_first {
                let rollback = Work::Statement { sql: "ROLLBACK", params: &[], want_rows: false };
                let _ = self.run_once(&rollback).await;
            }
            self.transport.pause(attempt.pause).await;
            result = match &attempt.begin {
                Some(begin) => match self.run_once(&Work::Statement { sql: begin, params: &[], want_rows: false }).await {
                    Ok(_) => self.run_once(&work).await,
                    Err(failure) => Err(failure),
                },
                None => self.run_once(&work).await,
            };
        }
    }
}

/// A single request's outcome as a statement result (a batch's: the first failed step, else
/// the rows changed by all steps).
fn statement_result(result: StreamResult) -> Result<StmtResult, Failure> {
    match result {
        StreamResult::Ok { response: StreamResponse::Execute { result } } => Ok(result),
        StreamResult::Ok { response: StreamResponse::Batch { result } } => {
            if let Some(error) = result.step_errors.into_iter().flatten().next() {
                return Err(Failure::Statement(error));
            }
            let affected_row_count = result.step_results.iter().flatten().map(|step| step.affected_row_count).sum();
            Ok(StmtResult { rows: Vec::new(), affected_row_count })
        }
        StreamResult::Ok { response: StreamResponse::Other } => Err(Failure::Protocol("unexpected response type".into())),
        StreamResult::Error { error } => Err(Failure::Statement(error)),
        StreamResult::Other => Err(Failure::Protocol("request skipped by the server".into())),
    }
}

/// The error in an HTTP error answer: sqld sends `{"message", "code"}`, proxies send text.
fn http_error(body: &[u8]) -> proto::Error {
    serde_json::from_slice::<proto::Error>(body)
        .ok()
        .filter(|error| !error.message.is_empty() || error.code.is_some())
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            proto::Error { message: text.chars().take(300).collect(), code: None }
        })
}

#[async_trait(?Send)]
impl<T: HranaTransport> Database for HranaDatabase<T> {
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let result = self.run(Work::Statement { sql, params, want_rows: true }).await?;
        result
            .rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(proto::Value::into_db)
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
                    .map_err(|error| DbError(format!("libSQL server: {error}")))
            })
            .collect()
    }

    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        Ok(self.run(Work::Statement { sql, params, want_rows: false }).await?.affected_row_count)
    }

    /// One round trip for the whole script: a batch whose steps stop at the first error.
    async fn execute_script(&self, sql: &str) -> Result<(), DbError> {
        let statements: Vec<&str> = split_statements(sql).collect();
        if statements.is_empty() {
            return Ok(());
        }
        self.run(Work::Script(statements)).await.map(drop)
    }
}
