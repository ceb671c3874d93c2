//! What every handler receives: the database, the configuration and the clock.

use crate::db::Database;
use crate::events::{NoPublisher, Publisher};
use crate::settings::Settings;

/// The per-request context handed to core handlers.
pub struct Ctx<'a> {
    /// The caller's database connection.
    pub db: &'a dyn Database,
    /// Resolved configuration.
    pub settings: &'a Settings,
    /// "Now" in epoch seconds, fixed for the request.
    pub now: i64,
    /// Where message events go after they are stored (the realtime relay).
    pub publisher: &'a dyn Publisher,
}

impl<'a> Ctx<'a> {
    /// A context with the current wall-clock time that publishes nothing.
    pub fn new(db: &'a dyn Database, settings: &'a Settings) -> Self {
        Self { db, settings, now: now_seconds(), publisher: &NoPublisher }
    }

    /// The same context publishing through `publisher`.
    pub fn with_publisher(self, publisher: &'a dyn Publisher) -> Self {
        Self { publisher, ..self }
    }
}

/// The current time in epoch seconds.
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

/// A fresh uuid4 string (chat ids, share tokens, user ids).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
