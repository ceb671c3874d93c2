//! What a libSQL server's errors mean for the statement that got them, and which statements
//! start or end a transaction: the two facts a client needs to decide whether running a
//! statement again is safe.
//!
//! sqld (measured with 0.24) drops a stream that sat idle or waited too long for the write
//! lock (`STREAM_EXPIRED`), takes the write lock back from a transaction that held it over
//! its timeout (`TRANSACTION_TIMEOUT`), interrupts statements (`SQLITE_INTERRUPT`) and
//! answers `SQLITE_BUSY` when the lock stays taken. In each case the statement did not run,
//! but a new attempt is only harmless when nothing else of an open transaction was lost with
//! it: outside a transaction, or right after its `BEGIN` (which is then run again first).
//!
//! Such a statement is tried again with growing pauses ([`Backoff`]) for a little longer than
//! sqld's transaction timeout: after a client died inside a transaction, sqld holds the write
//! lock (and interrupts readers) for up to that long, and one more attempt was not enough.

use std::time::Duration;

/// Why a libSQL server did not run a statement, when running it again may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// The stream is gone (it expired): whatever it held is rolled back on the server.
    Stream,
    /// The stream lives but the statement did not run: the write lock was busy, the server
    /// interrupted the statement, or it rolled the stream's transaction back to hand the lock
    /// to a waiter.
    Statement,
}

impl Loss {
    /// Classifies a Hrana error code (`STREAM_EXPIRED`, `SQLITE_BUSY`, …); `None` for errors
    /// where the statement may have run or will fail again (constraints, syntax, transport).
    pub fn of_code(code: &str) -> Option<Self> {
        match code {
            "STREAM_EXPIRED" => Some(Self::Stream),
            "TRANSACTION_TIMEOUT" => Some(Self::Statement),
            code if code.starts_with("SQLITE_BUSY") || code.starts_with("SQLITE_INTERRUPT") => {
                Some(Self::Statement)
            }
            _ => None,
        }
    }
}

/// How long both libSQL clients wait for the server to answer one request before giving it
/// up as lost: far above sqld's own waits (5 s transaction timeout, 1 s for a free
/// connection), so only a server that stopped answering hits it. sqld 0.24.32 can stop
/// running writes for good (`scripts/sqld-wedge-repro`); a request then fails with a clear
/// error instead of hanging.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The pauses between attempts at a statement the server did not run: 5 ms, doubling up to
/// 400 ms, for 10 s in all (sqld's transaction timeout is 5 s).
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    left: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: Duration::from_millis(5), left: Duration::from_secs(10) }
    }
}

impl Backoff {
    /// The pause before the next attempt; `None` once the time for attempts is spent.
    pub fn next_pause(&mut self) -> Option<Duration> {
        if self.left.is_zero() {
            return None;
        }
        let pause = self.next.min(self.left);
        self.left -= pause;
        self.next = (self.next * 2).min(Duration::from_millis(400));
        Some(pause)
    }
}

/// Whether, and how, a statement the server did not run is tried again: decided once before
/// the first attempt from where the stream stands, then asked after each failure. Both
/// libSQL clients (the host's remote connections, the components' Hrana client) run their
/// attempts through it.
#[derive(Debug)]
pub struct Retry {
    /// What a new attempt needs first: `Some(None)` outside a transaction, `Some(Some(begin))`
    /// right after the transaction's `BEGIN` (run it again first); `None` when statements of
    /// the transaction would be lost, or the statement ends the transaction (a lost `COMMIT`
    /// lost its statements; a lost `ROLLBACK` has nothing to undo).
    replay: Option<Option<String>>,
    backoff: Backoff,
}

/// What to do before the next attempt ([`Retry::after`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Attempt {
    /// Wait this long first.
    pub pause: Duration,
    /// Roll back what the stream may still hold of the `BEGIN` (its stream lives on).
    pub roll_back_first: bool,
    /// Run this `BEGIN` again before the statement.
    pub begin: Option<String>,
}

impl Retry {
    /// For a statement of kind `control` on a stream whose open transaction started with
    /// `begin` (`None`: no transaction) and has run `statements_since_begin` statements since.
    pub fn new(begin: Option<&str>, statements_since_begin: usize, control: Option<TransactionControl>) -> Self {
        let ends_transaction = matches!(control, Some(TransactionControl::Commit | TransactionControl::Rollback));
        let replay = match begin {
            _ if ends_transaction => None,
            None => Some(None),
            Some(begin) if statements_since_begin == 0 => Some(Some(begin.to_owned())),
            Some(_) => None,
        };
        Self { replay, backoff: Backoff::default() }
    }

    /// After a failed attempt that lost `loss` (`None`: the statement may have run, or will
    /// fail again): the next attempt, or `None` to give the error back.
    pub fn after(&mut self, loss: Option<Loss>) -> Option<Attempt> {
        let loss = loss?;
        let begin = self.replay.clone()?;
        let pause = self.backoff.next_pause()?;
        Some(Attempt { pause, roll_back_first: loss == Loss::Statement && begin.is_some(), begin })
    }
}

/// Statements that start or end a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionControl {
    /// `BEGIN …`.
    Begin,
    /// `COMMIT` or `END`.
    Commit,
    /// `ROLLBACK` (not `ROLLBACK TO` a savepoint).
    Rollback,
}

impl TransactionControl {
    /// Reads the first keywords of `sql`, after blanks and `--` comment lines.
    pub fn of(sql: &str) -> Option<Self> {
        let mut rest = sql.trim_start();
        while let Some(comment) = rest.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, next)| next).trim_start();
        }
        let mut words = rest
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|word| !word.is_empty())
            .map(str::to_ascii_uppercase);
        match words.next().as_deref() {
            Some("BEGIN") => Some(Self::Begin),
            Some("COMMIT" | "END") => Some(Self::Commit),
            Some("ROLLBACK") => {
                let mut next = words.next();
                if next.as_deref() == Some("TRANSACTION") {
                    next = words.next();
                }
                (next.as_deref() != Some("TO")).then_some(Self::Rollback)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TransactionControl::{self, Begin, Commit, Rollback};
    use super::*;

    #[test]
    fn losses_are_read_from_codes() {
        let cases = [
            ("STREAM_EXPIRED", Some(Loss::Stream)),
            ("TRANSACTION_TIMEOUT", Some(Loss::Statement)),
            ("SQLITE_BUSY", Some(Loss::Statement)),
            ("SQLITE_BUSY_SNAPSHOT", Some(Loss::Statement)),
            ("SQLITE_INTERRUPT", Some(Loss::Statement)),
            ("SQLITE_CONSTRAINT_PRIMARYKEY", None),
            ("SQL_PARSE_ERROR", None),
            ("", None),
        ];
        for (code, expected) in cases {
            assert_eq!(Loss::of_code(code), expected, "{code}");
        }
    }

    #[test]
    fn retries_only_what_loses_nothing() {
        let first = Duration::from_millis(5);
        let mut outside = Retry::new(None, 0, None);
        assert_eq!(outside.after(None), None, "the statement may have run");
        assert_eq!(outside.after(Some(Loss::Statement)), Some(Attempt { pause: first, roll_back_first: false, begin: None }));
        let mut after_begin = Retry::new(Some("BEGIN IMMEDIATE"), 0, None);
        let again = Some(Attempt { pause: first, roll_back_first: true, begin: Some("BEGIN IMMEDIATE".into()) });
        assert_eq!(after_begin.after(Some(Loss::Statement)), again);
        let mut lost_stream = Retry::new(Some("BEGIN"), 0, None);
        assert_eq!(lost_stream.after(Some(Loss::Stream)).map(|attempt| attempt.roll_back_first), Some(false), "nothing left to roll back");
        assert_eq!(Retry::new(Some("BEGIN"), 1, None).after(Some(Loss::Stream)), None, "a statement of the transaction would be lost");
        assert_eq!(Retry::new(Some("BEGIN"), 0, Some(TransactionControl::Commit)).after(Some(Loss::Statement)), None);
        assert_eq!(Retry::new(None, 0, Some(TransactionControl::Rollback)).after(Some(Loss::Stream)), None);
    }

    #[test]
    fn backoff_doubles_and_stops_after_ten_seconds() {
        let mut backoff = Backoff::default();
        let pauses: Vec<Duration> = std::iter::from_fn(|| backoff.next_pause()).collect();
        assert_eq!(pauses[..4], [5, 10, 20, 40].map(Duration::from_millis));
        assert!(pauses.iter().all(|pause| *pause <= Duration::from_millis(400)));
        assert_eq!(pauses.iter().sum::<Duration>(), Duration::from_secs(10));
    }

    #[test]
    fn transaction_control_is_read_from_the_first_keywords() {
        let cases = [
            ("BEGIN IMMEDIATE", Some(Begin)),
            ("  begin", Some(Begin)),
            ("-- note\nBEGIN;", Some(Begin)),
            ("COMMIT", Some(Commit)),
            ("end transaction", Some(Commit)),
            ("ROLLBACK", Some(Rollback)),
            ("ROLLBACK TRANSACTION", Some(Rollback)),
            ("ROLLBACK TO sp1", None),
            ("ROLLBACK TRANSACTION TO SAVEPOINT sp1", None),
            ("SELECT 'BEGIN'", None),
            ("UPDATE chat SET title = 'COMMIT'", None),
        ];
        for (sql, expected) in cases {
            assert_eq!(TransactionControl::of(sql), expected, "{sql}");
        }
    }
}
