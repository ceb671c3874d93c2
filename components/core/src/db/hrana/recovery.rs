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
