//! Native tests of the whole relay: a fake host ([`FakeHost`]) that records frames and keeps
//! rooms like the real one, an in-memory database with Open WebUI's schema, and tokens
//! minted the way the HTTP side mints them.

mod chat_events;
mod handshake;
mod publish;
mod timers;

use super::{ConnId, Relay, RelayConfig, Sockets, Upgrade};
use crate::auth::jwt;
use crate::context::Ctx;
use crate::db::{Database, LibsqlDatabase, Value};
use crate::events::NoPublisher;
use crate::settings::Settings;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

const SECRET: &str = "relay-test-secret";
/// Wall clock (epoch s) the tests start at.
const T0: i64 = 1_700_000_000;

/// Records what the relay asks of the host.
#[derive(Default)]
pub struct FakeHost {
    frames: Vec<(ConnId, String)>,
    closed: Vec<(ConnId, u16)>,
    rooms: BTreeMap<String, BTreeSet<ConnId>>,
}

impl Sockets for FakeHost {
    fn send(&mut self, conn: ConnId, frame: &str) -> bool {
        self.frames.push((conn, frame.to_owned()));
        true
    }
    fn close(&mut self, conn: ConnId, code: u16, _reason: &str) {
        self.closed.push((conn, code));
        // The real host removes a closed connection from every room.
        self.rooms.values_mut().for_each(|members| {
            members.remove(&conn);
        });
    }
    fn join(&mut self, conn: ConnId, room: &str) {
        self.rooms.entry(room.to_owned()).or_default().insert(conn);
    }
    fn leave(&mut self, conn: ConnId, room: &str) {
        if let Some(members) = self.rooms.get_mut(room) {
            members.remove(&conn);
        }
    }
    fn broadcast(&mut self, room: &str, frame: &str, except: Option<ConnId>) -> u32 {
        let members: Vec<ConnId> = self.rooms.get(room).into_iter().flatten().copied().filter(|conn| Some(*conn) != except).collect();
        for conn in &members {
            self.frames.push((*conn, frame.to_owned()));
        }
        members.len() as u32
    }
}

/// The relay, its fake host and database, and a controllable clock.
pub struct World {
    db: LibsqlDatabase,
    settings: Settings,
    relay: Relay,
    host: FakeHost,
    /// Wall clock, epoch seconds.
    now: i64,
    /// Host clock, ms.
    clock_ms: u64,
}

fn check<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|error| panic!("{error}"))
}

impl World {
    async fn new() -> Self {
        let db = check(LibsqlDatabase::open_local(":memory:").await);
        check(crate::schema::ensure(&db).await);
        let settings = Settings::from_lookup(|name| (name == "webui_secret_key").then(|| SECRET.to_owned()));
        Self { db, settings, relay: Relay::new(RelayConfig::default()), host: FakeHost::default(), now: T0, clock_ms: 1_000 }
    }

    async fn sql(&self, sql: &str, params: &[Value]) {
        check(self.db.execute(sql, params).await);
    }

    /// Creates a user with `role` and returns a valid session token for it.
    async fn user(&self, id: &str, name: &str, role: &str) -> String {
        let stamp = format!("stamp-{id}");
        self.sql("INSERT INTO auth (id, email, password, active, session_stamp) VALUES (?, ?, '', 1, ?)", &[id.into(), format!("{id}@x").into(), stamp.as_str().into()]).await;
        self.sql("INSERT INTO \"user\" (id, name, email, role, last_active_at) VALUES (?, ?, ?, ?, 0)", &[id.into(), name.into(), format!("{id}@x").into(), role.into()]).await;
        self.token(id, &stamp, None)
    }

    fn token(&self, id: &str, stamp: &str, exp: Option<i64>) -> String {
        let mut claims = json!({"id": id, "typ": "session", "session_stamp": stamp, "jti": "j", "iat": self.now});
        if let Some(exp) = exp {
            claims["exp"] = json!(exp);
        }
        match claims {
            Json::Object(map) => jwt::encode(&map, SECRET),
            _ => String::new(),
        }
    }

    /// A saved chat owned by `owner`.
    async fn chat(&self, id: &str, owner: &str, updated_at: i64, last_read_at: Option<i64>, folder: Option<&str>) {
        self.sql(
            "INSERT INTO chat (id, user_id, title, created_at, updated_at, archived, chat, pinned, meta, folder_id, last_read_at) \
             VALUES (?, ?, 't', 0, ?, 0, '{}', 0, '{}', ?, ?)",
            &[id.into(), owner.into(), updated_at.into(), folder.into(), last_read_at.into()],
        )
        .await;
    }

    fn open(&mut self, conn: ConnId) {
        let upgrade = Upgrade { path: "/ws/socket.io/".into(), query: "EIO=4&transport=websocket".into(), headers: Vec::new() };
        self.relay.on_open(&mut self.host, conn, &upgrade);
    }

    async fn text(&mut self, conn: ConnId, frame: &str) {
        let ctx = Ctx { db: &self.db, settings: &self.settings, now: self.now, publisher: &NoPublisher };
        self.relay.on_text(&mut self.host, &ctx, conn, frame).await;
    }

    async fn close(&mut self, conn: ConnId) {
        self.host.close(conn, 1000, "");
        let ctx = Ctx { db: &self.db, settings: &self.settings, now: self.now, publisher: &NoPublisher };
        self.relay.on_close(&mut self.host, &ctx, conn).await;
    }

    /// Advances both clocks by `seconds` and ticks once.
    async fn tick(&mut self, seconds: i64) {
        self.now += seconds;
        self.clock_ms += seconds as u64 * 1000;
        let ctx = Ctx { db: &self.db, settings: &self.settings, now: self.now, publisher: &NoPublisher };
        self.relay.on_tick(&mut self.host, &ctx, self.clock_ms).await;
    }

    /// Opens `conn` and connects its Socket.IO session with `token` (if any); clears its frames.
    /// The common cast: owner Ann on connection 1, admin Ada on connection 2, Ann's chat
    /// `c1`.
    async fn ann_and_ada_on_c1(&mut self) {
        let ann = self.user("u-ann", "Ann", "user").await;
        let ada = self.user("u-ada", "Ada", "admin").await;
        self.chat("c1", "u-ann", T0, None, None).await;
        self.connect(1, Some(&ann)).await;
        self.connect(2, Some(&ada)).await;
    }

    async fn connect(&mut self, conn: ConnId, token: Option<&str>) {
        self.open(conn);
        let auth = token.map(|token| json!({"token": token}).to_string()).unwrap_or_default();
        self.text(conn, &format!("40{auth}")).await;
        self.frames(conn);
    }

    /// Sends `42<id>["name",payload]`.
    async fn emit(&mut self, conn: ConnId, ack: u64, name: &str, payload: Json) {
        self.text(conn, &format!("42{ack}{}", json!([name, payload]))).await;
    }

    /// Takes every frame queued for `conn` so far.
    fn frames(&mut self, conn: ConnId) -> Vec<String> {
        let (mine, others) = std::mem::take(&mut self.host.frames).into_iter().partition(|(to, _)| *to == conn);
        self.host.frames = others;
        mine.into_iter().map(|(_, frame)| frame).collect()
    }

    /// The `events` payloads among `conn`'s queued frames (taken).
    fn events(&mut self, conn: ConnId) -> Vec<Json> {
        self.frames(conn)
            .iter()
            .filter_map(|frame| frame.strip_prefix("42"))
            .filter_map(|json| serde_json::from_str::<Json>(json).ok())
            .filter(|packet| packet[0] == "events")
            .map(|packet| packet[1].clone())
            .collect()
    }

    fn in_room(&self, conn: ConnId, room: &str) -> bool {
        self.host.rooms.get(room).is_some_and(|members| members.contains(&conn))
    }
}
