//! A realistic data set, generated the same way for every server and written through the
//! API's own routes (`/auths/add`, `/folders/`, `/chats/import`): in-process for ours, so
//! seeding is fast, and over HTTP for another server (`--against`).
//!
//! Text is made of pseudo-words from a fixed syllable table, so every run (and both servers)
//! see the same vocabulary: the word [`WORD`] is in about 1 chat in 10, the phrase
//! [`PHRASE`] in about 1 in 50, the tag [`TAG`] on about 1 in 8.

use crate::chats::target::Api;
use serde_json::{Map, Value, json};

/// A word in about 10% of chats (the word-search scenario).
pub const WORD: &str = "lantern";
/// A two-word phrase in about 2% of chats (the phrase-search scenario).
pub const PHRASE: &str = "quantum harbor";
/// A tag on about 12% of chats (the `tag:` filter scenario).
pub const TAG: &str = "work";
/// Tags a chat may carry.
const TAGS: [&str; 8] = ["work", "home", "ideas", "travel", "code", "health", "music", "books"];
/// Chats per import request.
const BATCH: usize = 100;

/// What to generate.
#[derive(Clone, Debug)]
pub struct SeedParams {
    /// Users (the first is the benchmark's admin).
    pub users: usize,
    /// Chats per user.
    pub chats_per_user: usize,
    /// Messages per chat.
    pub messages_per_chat: usize,
    /// Bytes of text per message, about.
    pub message_bytes: usize,
    /// Folders per user.
    pub folders_per_user: usize,
    /// Fraction of chats in a folder.
    pub folder_fraction: f64,
    /// Fraction of chats pinned.
    pub pinned_fraction: f64,
    /// Fraction of chats archived.
    pub archived_fraction: f64,
}

/// What the scenarios need to know about a seeded server.
#[derive(Clone, Debug, Default)]
pub struct Seeded {
    /// The benchmark user's token (the admin).
    pub token: String,
    /// Ids of the benchmark user's ordinary chats (not archived), for `GET /{id}` and writes.
    pub chat_ids: Vec<String>,
    /// A 10-message chat and the id of its last message.
    pub small: (String, String),
    /// A 2,000-message chat and the id of its last message.
    pub big: (String, String),
    /// Chats written in total (all users).
    pub chats: usize,
}

/// A small deterministic generator (xorshift64*), so both servers get the same data.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A uuid4-shaped id.
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "ra", "su", "to", "vi", "ze", "po", "qua", "dri", "sel", "mon", "tar", "bel", "cor", "fin",
    "gal", "hem", "jor", "lum", "nov", "pex",
];

/// Text of about `bytes` bytes; `word` and `phrase` switch in the marked words.
pub fn text(rng: &mut Rng, bytes: usize, word: bool, phrase: bool) -> String {
    let mut out = String::with_capacity(bytes + 16);
    if phrase {
        out.push_str(PHRASE);
        out.push(' ');
    }
    while out.len() < bytes {
        let syllables = 1 + rng.below(3);
        for _ in 0..syllables {
            out.push_str(SYLLABLES[rng.below(SYLLABLES.len())]);
        }
        out.push(if rng.below(12) == 0 { '.' } else { ' ' });
        if out.ends_with('.') {
            out.push(' ');
        }
    }
    if word {
        out.push_str(WORD);
    }
    out
}

/// An Open WebUI chat object (`history` and the legacy `messages` list) with `n` messages
/// alternating user/assistant in one branch; returns it and the last message's id.
pub fn chat_json(rng: &mut Rng, title: &str, n: usize, bytes: usize, word: bool, phrase: bool, start: i64) -> (Value, String) {
    let mut messages = Map::new();
    let mut list = Vec::with_capacity(n);
    let mut parent: Option<String> = None;
    let word_at = if word { rng.below(n.max(1)) } else { usize::MAX };
    let phrase_at = if phrase { rng.below(n.max(1)) } else { usize::MAX };
    let ids: Vec<String> = (0..n).map(|_| rng.uuid()).collect();
    for (i, id) in ids.iter().enumerate() {
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        let mut message = json!({
            "id": id,
            "parentId": parent,
            "childrenIds": ids.get(i + 1).map(|next| vec![next.clone()]).unwrap_or_default(),
            "role": role,
            "content": text(rng, bytes, i == word_at, i == phrase_at),
            "timestamp": start + i as i64,
        });
        if role == "assistant" {
            message["model"] = json!("bench-model");
            message["done"] = json!(true);
        } else {
            message["models"] = json!(["bench-model"]);
        }
        list.push(message.clone());
        messages.insert(id.clone(), message);
        parent = Some(id.clone());
    }
    let last = ids.last().cloned().unwrap_or_default();
    let chat = json!({
        "title": title,
        "models": ["bench-model"],
        "params": {},
        "history": {"messages": messages, "currentId": last},
        "messages": list,
        "tags": [],
        "timestamp": start * 1000,
    });
    (chat, last)
}

/// Seeds `api` as `admin_token`'s server: extra users, their folders and chats, and the
/// benchmark's small and big chats. The admin is user 1.
pub async fn seed(api: &Api, admin_token: &str, params: &SeedParams, seed: u64) -> Result<Seeded, String> {
    let mut rng = Rng::new(seed);
    let mut tokens = vec![admin_token.to_owned()];
    let run = rng.next_u64() % 1_000_000;
    for user in 1..params.users {
        let email = format!("bench{user}-{run}@example.com");
        let body = json!({"name": format!("Bench {user}"), "email": email, "password": "Passw0rd!", "role": "user"});
        let (status, value) = api.call("POST", "/api/v1/auths/add", Some(admin_token), Some(&body)).await?;
        let token = value["token"].as_str().filter(|_| status == 200);
        tokens.push(token.ok_or_else(|| format!("add user answered {status}: {value:.200}"))?.to_owned());
    }
    let mut seeded = Seeded { token: admin_token.to_owned(), ..Seeded::default() };
    let now = chat_core::context::now_seconds();
    for (index, token) in tokens.iter().enumerate() {
        let mut folders = Vec::new();
        for folder in 0..params.folders_per_user {
            let body = json!({"name": format!("Folder {folder} {run}")});
            let (status, value) = api.call("POST", "/api/v1/folders/", Some(token), Some(&body)).await?;
            folders.push(value["id"].as_str().filter(|_| status == 200).ok_or_else(|| format!("create folder answered {status}: {value:.200}"))?.to_owned());
        }
        let mut done = 0;
        while done < params.chats_per_user {
            let count = BATCH.min(params.chats_per_user - done);
            let mut items = Vec::with_capacity(count);
            let mut archived = Vec::with_capacity(count);
            for i in 0..count {
                let n = done + i;
                let created = now - 365 * 86_400 + (n as i64 * 31_536_000 / params.chats_per_user.max(1) as i64);
                let (word, phrase) = (rng.chance(0.1), rng.chance(0.02));
                let title = format!("Chat {n} of user {index}");
                let (chat, _) = chat_json(&mut rng, &title, params.messages_per_chat, params.message_bytes, word, phrase, created);
                let mut tags: Vec<&str> = Vec::new();
                if rng.chance(0.12) {
                    tags.push(TAG);
                }
                for _ in 0..rng.below(3) {
                    let tag = TAGS[1 + rng.below(TAGS.len() - 1)];
                    if !tags.contains(&tag) {
                        tags.push(tag);
                    }
                }
                let is_archived = rng.chance(params.archived_fraction);
                archived.push(is_archived);
                let folder = (!folders.is_empty() && rng.chance(params.folder_fraction)).then(|| folders[rng.below(folders.len())].clone());
                items.push(json!({
                    "chat": chat,
                    "meta": {"tags": tags},
                    "pinned": rng.chance(params.pinned_fraction),
                    "archived": is_archived,
                    "folder_id": folder,
                    "created_at": created,
                    "updated_at": created + rng.below(86_400) as i64,
                }));
            }
            let ids = import(api, token, items).await?;
            if index == 0 {
                seeded.chat_ids.extend(ids.into_iter().zip(archived).filter(|(_, archived)| !archived).map(|(id, _)| id));
            }
            done += count;
            seeded.chats += count;
        }
    }
    for (size, slot) in [(10, 0), (2000, 1)] {
        let (chat, last) = chat_json(&mut rng, &format!("bench-{size}"), size, params.message_bytes, false, false, now);
        let ids = import(api, admin_token, vec![json!({"chat": chat, "meta": {}, "created_at": now, "updated_at": now})]).await?;
        let id = ids.into_iter().next().ok_or("import returned no chat")?;
        if slot == 0 {
            seeded.small = (id, last);
        } else {
            seeded.big = (id, last);
        }
        seeded.chats += 1;
    }
    Ok(seeded)
}

async fn import(api: &Api, token: &str, chats: Vec<Value>) -> Result<Vec<String>, String> {
    let body = json!({ "chats": chats });
    let (status, value) = api.call("POST", "/api/v1/chats/import", Some(token), Some(&body)).await?;
    let created = value.as_array().filter(|_| status == 200).ok_or_else(|| format!("import answered {status}: {value:.300}"))?;
    Ok(created.iter().filter_map(|chat| chat["id"].as_str().map(str::to_owned)).collect())
}
