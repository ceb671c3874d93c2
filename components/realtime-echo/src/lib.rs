//! A test fixture for the host's realtime relay: a component of world `owui:realtime/realtime`
//! that speaks a tiny line protocol instead of Socket.IO, so host tests can drive every host
//! import and every failure mode directly.
//!
//! Text frames it understands (anything else is echoed back as `echo:<frame>`):
//! - `join:<room>` / `leave:<room>`: join or leave a room, answer `joined:<room>` / `left:<room>`;
//! - `bcast:<room>:<text>`: broadcast `<text>` to the room except the sender, answer `bcast:<n>`;
//! - `bcastall:<room>:<text>`: the same, sender included;
//! - `close:<code>`: ask the host to close this connection with that code;
//! - `env:<NAME>`: answer `env:<NAME>=<value>` (or `env:<NAME>` when unset);
//! - `sql:<statement>`: run it on the `default` database, answer `sql:<first column of first row>`
//!   or `sqlerr:<message>`;
//! - `ticks`: answer `ticks:<n>`, the number of `on-tick` calls seen by this instance;
//! - `trap`: trap (unreachable); `loop`: spin forever (the host's watchdog must stop it).
//!
//! On open it sends `open:<conn>:<path>?<query>`; on publish it broadcasts `publish:<event>` to
//! room `events`; on close it broadcasts `closed:<conn>` to room `watchers`.

#![allow(
    missing_docs,
    unsafe_code,
    reason = "generated bindings and their export glue"
)]

use std::cell::Cell;

wit_bindgen::generate!({
    world: "realtime",
    path: "../../wit",
    generate_all,
});

use exports::owui::realtime::handlers::{Connection, Guest, Upgrade};
use owui::realtime::sockets;
use spin::sqlite::sqlite;

thread_local! {
    /// Ticks seen by this instance; a fresh instance (after a trap) starts again at 0.
    static TICKS: Cell<u64> = const { Cell::new(0) };
}

struct Echo;

impl Guest for Echo {
    fn on_open(conn: Connection, request: Upgrade) {
        sockets::send(
            conn,
            &format!("open:{conn}:{}?{}", request.path, request.query),
        );
    }

    fn on_text(conn: Connection, frame: String) {
        let reply = handle(conn, &frame);
        if let Some(reply) = reply {
            sockets::send(conn, &reply);
        }
    }

    fn on_close(conn: Connection) {
        sockets::broadcast("watchers", &format!("closed:{conn}"), None);
    }

    fn on_publish(event: String) {
        sockets::broadcast("events", &format!("publish:{event}"), None);
    }

    fn on_tick(_now_ms: u64) {
        TICKS.with(|t| t.set(t.get() + 1));
    }
}

fn handle(conn: Connection, frame: &str) -> Option<String> {
    let (cmd, arg) = frame.split_once(':').unwrap_or((frame, ""));
    match cmd {
        "join" => {
            sockets::join(conn, arg);
            Some(format!("joined:{arg}"))
        }
        "leave" => {
            sockets::leave(conn, arg);
            Some(format!("left:{arg}"))
        }
        "bcast" | "bcastall" => {
            let (room, text) = arg.split_once(':').unwrap_or((arg, ""));
            let except = (cmd == "bcast").then_some(conn);
            Some(format!("bcast:{}", sockets::broadcast(room, text, except)))
        }
        "close" => {
            sockets::close(conn, arg.parse().unwrap_or(1000), "bye");
            None
        }
        "env" => Some(match std::env::var(arg) {
            Ok(v) => format!("env:{arg}={v}"),
            Err(_) => format!("env:{arg}"),
        }),
        "sql" => Some(sql(arg)),
        "ticks" => Some(format!("ticks:{}", TICKS.with(Cell::get))),
        "trap" => std::process::abort(),
        "loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        _ => Some(format!("echo:{frame}")),
    }
}

fn sql(statement: &str) -> String {
    let result = sqlite::Connection::open("default").and_then(|db| db.execute(statement, &[]));
    match result {
        Ok(r) => {
            let first = r.rows.first().and_then(|row| row.values.first());
            let text = match first {
                Some(sqlite::Value::Integer(i)) => i.to_string(),
                Some(sqlite::Value::Real(f)) => f.to_string(),
                Some(sqlite::Value::Text(t)) => t.clone(),
                Some(sqlite::Value::Blob(b)) => format!("<{} bytes>", b.len()),
                Some(sqlite::Value::Null) | None => "null".to_string(),
            };
            format!("sql:{text}")
        }
        Err(e) => format!("sqlerr:{e:?}"),
    }
}

export!(Echo);
