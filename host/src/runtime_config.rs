//! Spin's runtime configuration file (`spin up --runtime-config-file FILE`), as far as this
//! host honours it: where the `default` SQLite database lives.
//!
//! `host serve --runtime-config-file runtime-config.toml` reads the same file `spin up` does,
//! with the rules of Spin's own resolver (spinframework/spin, `crates/sqlite`):
//!
//! ```toml
//! [sqlite_database.default]
//! type = "spin"                 # a local file; `path` relative to the current directory
//! path = ".data/chats.db"       # (optional `allow_attach_file = true|false`)
//!
//! [sqlite_database.default]
//! type = "libsql"               # a libSQL server (sqld, Turso)
//! url = "https://NAME.turso.io" # http:// or https:// only, as in Spin
//! token = "..."                 # required ("" for a server without auth)
//! ```
//!
//! Unknown keys in a database table are errors, as in Spin. What this host does not
//! implement (other databases than `default`, key-value stores, variable providers,
//! `outbound_http`, ...) is reported back so that the caller can warn about it, rather than
//! refused: the file stays the one Spin reads.

use crate::sqlite::DatabaseLocation;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What this host takes from a runtime configuration file.
#[derive(Default)]
pub struct RuntimeConfig {
    /// `[sqlite_database.default]`, if the file has it (else Spin's default would apply:
    /// `.spin/sqlite_db.db`; this host keeps its own `--db` default).
    pub default_database: Option<DatabaseLocation>,
    /// Tables of the file this host does not honour (`key_value_store`,
    /// `sqlite_database.<other label>`, ...), for a warning.
    pub ignored: Vec<String>,
}

/// One `[sqlite_database.<label>]` table.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum SqliteDatabase {
    Spin(SpinDatabase),
    Libsql(LibsqlDatabase),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpinDatabase {
    path: Option<std::path::PathBuf>,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted as Spin accepts it; ATTACH is not offered here"
    )]
    allow_attach_file: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LibsqlDatabase {
    url: String,
    token: String,
}

/// Reads a runtime configuration file; relative database paths resolve against `base_dir`
/// (Spin uses its current directory).
pub fn load(file: &Path, base_dir: &Path) -> Result<RuntimeConfig> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read runtime config file {}", file.display()))?;
    parse(&text, base_dir).with_context(|| format!("runtime config file {}", file.display()))
}

/// Parses the text of a runtime configuration file (see [`load`]).
pub fn parse(text: &str, base_dir: &Path) -> Result<RuntimeConfig> {
    let table: toml::Table = toml::from_str(text).context("not valid TOML")?;
    let mut config = RuntimeConfig::default();
    for (key, value) in table {
        if key != "sqlite_database" {
            config.ignored.push(key);
            continue;
        }
        let databases: BTreeMap<String, toml::Value> = value
            .try_into()
            .context("[sqlite_database] must hold tables")?;
        for (label, database) in databases {
            if label != "default" {
                config.ignored.push(format!("sqlite_database.{label}"));
                continue;
            }
            let database: SqliteDatabase =
                database.try_into().context("[sqlite_database.default]")?;
            config.default_database = Some(location(database, base_dir)?);
        }
    }
    config.ignored.sort();
    Ok(config)
}

fn location(database: SqliteDatabase, base_dir: &Path) -> Result<DatabaseLocation> {
    Ok(match database {
        SqliteDatabase::Spin(SpinDatabase {
            path: Some(path), ..
        }) => DatabaseLocation::File(if path.is_absolute() {
            path
        } else {
            base_dir.join(path)
        }),
        // Spin then keeps the database in memory; a server forgetting everything at exit is
        // not what anyone running this host wants.
        SqliteDatabase::Spin(SpinDatabase { path: None, .. }) => {
            bail!(
                "[sqlite_database.default] type \"spin\" without `path` (an in-memory database) is not supported here"
            )
        }
        SqliteDatabase::Libsql(LibsqlDatabase { url, token }) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!(
                    "libSQL url {url:?} must start with https:// or http:// (as Spin requires; write libsql://NAME as https://NAME)"
                );
            }
            DatabaseLocation::Remote { url, token }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn base() -> PathBuf {
        PathBuf::from("/srv/app")
    }

    /// The database of a parsed file as `file:PATH` or `remote:URL token:TOKEN`.
    fn database(text: &str) -> String {
        match parse(text, &base()).map(|config| config.default_database) {
            Ok(Some(DatabaseLocation::File(path))) => format!("file:{}", path.display()),
            Ok(Some(DatabaseLocation::Remote { url, token })) => {
                format!("remote:{url} token:{token}")
            }
            Ok(None) => "none".to_owned(),
            Err(error) => format!("error: {error:#}"),
        }
    }

    #[test]
    fn the_repository_files_are_understood() {
        assert_eq!(
            database(include_str!("../../runtime-config.toml")),
            "file:/srv/app/.data/chats.db"
        );
        // The libSQL one is a template for envsubst: render it as the guide does.
        let rendered = include_str!("../../runtime-config.libsql.toml")
            .replace("${LIBSQL_URL}", "https://db.example.turso.io")
            .replace("${LIBSQL_AUTH_TOKEN}", "tok");
        assert_eq!(
            database(&rendered),
            "remote:https://db.example.turso.io token:tok"
        );
        assert!(
            parse(include_str!("../../runtime-config.toml"), &base())
                .is_ok_and(|c| c.ignored.is_empty())
        );
    }

    #[test]
    fn spin_rules_are_enforced() {
        let libsql = "[sqlite_database.default]\ntype = \"libsql\"\n";
        assert!(
            database(&format!(
                "{libsql}url = \"libsql://x.turso.io\"\ntoken = \"\""
            ))
            .contains("https://")
        );
        assert!(database(&format!("{libsql}url = \"https://x\"")).contains("token"));
        assert!(
            database(&format!(
                "{libsql}url = \"https://x\"\ntoken = \"\"\nauth = 1"
            ))
            .contains("auth")
        );
        assert_eq!(
            database(&format!(
                "{libsql}url = \"http://127.0.0.1:8080\"\ntoken = \"\""
            )),
            "remote:http://127.0.0.1:8080 token:"
        );
        assert!(database("[sqlite_database.default]\ntype = \"postgres\"").contains("postgres"));
        assert!(database("[sqlite_database.default]\ntype = \"spin\"").contains("in-memory"));
        assert!(database("not toml [").contains("TOML"));
    }

    #[test]
    fn paths_and_what_is_not_honoured() {
        let text = "[sqlite_database.default]\ntype = \"spin\"\npath = \"/var/lib/chats.db\"\nallow_attach_file = true\n\
                    [sqlite_database.other]\ntype = \"spin\"\npath = \"o.db\"\n\
                    [key_value_store.default]\ntype = \"redis\"\nurl = \"redis://r\"\n";
        assert_eq!(database(text), "file:/var/lib/chats.db");
        assert!(
            parse(text, &base())
                .is_ok_and(|c| c.ignored == ["key_value_store", "sqlite_database.other"])
        );
        assert_eq!(database(""), "none");
    }
}
