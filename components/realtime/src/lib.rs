//! The realtime relay component: world `realtime` of `wit/realtime.wit`, a thin adapter
//! around [`chat_core::realtime::Relay`], which holds all the protocol logic.
//!
//! The host keeps one instance for the life of the process and serialises every call, so
//! the relay's state lives in a thread-local here: the one place in this codebase where
//! state in statics is intended. The core API is async, but every future it builds is
//! ready at once (the SQLite functions used are the synchronous ones), so a trivial
//! executor drives it.
//!
//! The relay creates no tables: the HTTP components own the schema (a token can only
//! exist once they have run), and a second party running DDL at start-up would race them
//! on a fresh database.

#[allow(unsafe_code, missing_docs, reason = "generated bindings: the canonical ABI glue")]
mod bindings {
    wit_bindgen::generate!({
        world: "realtime",
        path: "../../wit",
        generate_all,
    });
}
mod db;
mod host;

use bindings::exports::owui::realtime::handlers::{Connection, Guest, Upgrade};
use chat_core::realtime::{self, Relay, RelayConfig};
use chat_core::settings::Settings;
use chat_core::Ctx;
use db::SqliteDatabase;
use futures::executor::block_on;
use host::HostSockets;
use std::cell::RefCell;

/// Everything the instance keeps between calls.
struct State {
    relay: Relay,
    db: SqliteDatabase,
    settings: Settings,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// An environment variable, empty counting as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

/// Core settings from Open WebUI's environment variable names: each Spin variable name is
/// the lower-cased env name (`WEBUI_SECRET_KEY` → `webui_secret_key`), and the secret falls
/// back to the deprecated `WEBUI_JWT_SECRET_KEY` as in Open WebUI.
fn settings_from_env() -> Settings {
    Settings::from_lookup(|name| {
        let value = env(&name.to_ascii_uppercase());
        match name {
            "webui_secret_key" => value.or_else(|| env("WEBUI_JWT_SECRET_KEY")),
            _ => value,
        }
    })
}

/// Runs `work` with the instance state and a context for "now", creating the state on
/// first use.
fn with_state(work: impl FnOnce(&mut Relay, &Ctx<'_>)) {
    STATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let state = slot.get_or_insert_with(|| State {
            relay: Relay::new(RelayConfig::from_lookup(env)),
            db: SqliteDatabase::new("default"),
            settings: settings_from_env(),
        });
        let ctx = Ctx::new(&state.db, &state.settings);
        work(&mut state.relay, &ctx);
    });
}

struct Component;

impl Guest for Component {
    fn on_open(conn: Connection, request: Upgrade) {
        let request = realtime::Upgrade { path: request.path, query: request.query, headers: request.headers };
        with_state(|relay, _| relay.on_open(&mut HostSockets, conn, &request));
    }

    fn on_text(conn: Connection, frame: String) {
        with_state(|relay, ctx| block_on(relay.on_text(&mut HostSockets, ctx, conn, &frame)));
    }

    fn on_close(conn: Connection) {
        with_state(|relay, ctx| block_on(relay.on_close(&mut HostSockets, ctx, conn)));
    }

    fn on_publish(event: String) {
        with_state(|relay, _| {
            relay.on_publish(&mut HostSockets, &event);
        });
    }

    fn on_tick(now_ms: u64) {
        with_state(|relay, ctx| block_on(relay.on_tick(&mut HostSockets, ctx, now_ms)));
    }
}

/// The export glue, generated like the bindings.
#[allow(unsafe_code, reason = "generated bindings: the canonical ABI glue")]
mod export {
    use super::Component;
    crate::bindings::export!(Component with_types_in crate::bindings);
}
