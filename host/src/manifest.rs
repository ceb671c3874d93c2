//! Reading a Spin application manifest (`spin.toml`, `spin_manifest_version = 2`).
//!
//! Only the parts that describe how HTTP components run are interpreted: `[application]`,
//! `[variables]`, `[[trigger.http]]` and `[component.<id>]` (source, SQLite databases, allowed
//! outbound hosts, component variables, environment). Everything else Spin knows about
//! (`[component.<id>.build]`, key-value stores, files, …) is accepted and ignored, so that the
//! very same file keeps working under `spin up`.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parsed manifest, together with the directory relative paths in it refer to.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The directory containing the manifest file; `source` paths are relative to it.
    pub base_dir: PathBuf,
    /// `[application]`.
    pub application: Application,
    /// `[variables]`: the application variables, by name.
    pub variables: BTreeMap<String, VariableDecl>,
    /// `[[trigger.http]]`, in file order.
    pub http_triggers: Vec<HttpTrigger>,
    /// `[component.<id>]`, by id.
    pub components: BTreeMap<String, ComponentDecl>,
}

/// `[application]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Application {
    /// Application name.
    #[serde(default)]
    pub name: Option<String>,
    /// Application version.
    #[serde(default)]
    pub version: Option<String>,
    /// `[application.trigger.http]`.
    #[serde(default)]
    pub trigger: ApplicationTriggers,
}

/// `[application.trigger]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApplicationTriggers {
    /// `[application.trigger.http]`.
    #[serde(default)]
    pub http: ApplicationHttp,
}

/// `[application.trigger.http]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApplicationHttp {
    /// The base path all routes are relative to (default `/`).
    #[serde(default)]
    pub base: Option<String>,
}

/// One `[variables]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    /// The value used when no provider has one.
    #[serde(default)]
    pub default: Option<String>,
    /// Startup fails if no provider has a value.
    #[serde(default)]
    pub required: bool,
    /// The value must not be logged.
    #[serde(default)]
    pub secret: bool,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone)]
pub struct HttpTrigger {
    /// The route pattern, or `None` for `route = { private = true }` (reachable only by
    /// service chaining, which this host does not implement).
    pub route: Option<String>,
    /// The id of the component that serves the route.
    pub component: String,
}

/// One `[component.<id>]` table.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ComponentDecl {
    /// `source = "path.wasm"`, relative to the manifest's directory.
    pub source: ComponentSource,
    /// SQLite database labels the component may open.
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// Outbound network destinations the component may reach, in Spin's syntax.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Component variables: name → template over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Environment variables visible to the component through WASI.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

/// Where a component's Wasm comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ComponentSource {
    /// A local file.
    Local(String),
    /// A remote (`{ url, digest }`) or registry source; not supported by this host.
    Other(toml::Table),
}

impl Default for ComponentSource {
    fn default() -> Self {
        Self::Local(String::new())
    }
}

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    #[serde(default)]
    application: Application,
    #[serde(default)]
    variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, ComponentDecl>,
}

#[derive(Deserialize, Default)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
}

#[derive(Deserialize)]
struct RawHttpTrigger {
    route: RawRoute,
    component: toml::Value,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Route(String),
    Private { private: bool },
}

impl Manifest {
    /// Reads and validates the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base_dir = if base_dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base_dir
        };
        Self::parse(&text, base_dir).with_context(|| format!("invalid manifest {}", path.display()))
    }

    /// Parses manifest text; relative paths will be resolved against `base_dir`.
    pub fn parse(text: &str, base_dir: PathBuf) -> Result<Self> {
        let raw: RawManifest = toml::from_str(text)?;
        match raw.spin_manifest_version {
            toml::Value::Integer(2) => {}
            toml::Value::String(ref s) if s == "2" => {}
            other => bail!("unsupported spin_manifest_version {other}: this host reads version 2"),
        }
        let mut http_triggers = Vec::new();
        for t in raw.trigger.http {
            let component = match t.component {
                toml::Value::String(id) => id,
                _ => bail!("inline trigger components are not supported; use `component = \"id\"`"),
            };
            if !raw.component.contains_key(&component) {
                bail!("trigger refers to unknown component {component:?}");
            }
            let route = match t.route {
                RawRoute::Route(r) => Some(r),
                RawRoute::Private { private: true } => None,
                RawRoute::Private { private: false } => bail!(
                    "route must be a string pattern or '{{ private = true }}': '{component}' has {{ private = false }}"
                ),
            };
            http_triggers.push(HttpTrigger { route, component });
        }
        for (id, c) in &raw.component {
            match &c.source {
                ComponentSource::Local(p) if !p.is_empty() => {}
                ComponentSource::Local(_) => bail!("component {id:?} has an empty source"),
                ComponentSource::Other(_) => {
                    bail!("component {id:?}: only local file sources are supported")
                }
            }
        }
        Ok(Self {
            base_dir,
            application: raw.application,
            variables: raw.variables,
            http_triggers,
            components: raw.component,
        })
    }

    /// The route base path (`[application.trigger.http] base`, default `/`).
    pub fn base(&self) -> &str {
        self.application
            .trigger
            .http
            .base
            .as_deref()
            .unwrap_or("/")
    }

    /// The absolute (or manifest-relative) path of a component's `.wasm` file.
    pub fn component_path(&self, id: &str) -> Option<PathBuf> {
        match &self.components.get(id)?.source {
            ComponentSource::Local(p) => Some(self.base_dir.join(p)),
            ComponentSource::Other(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_parts_we_use() -> Result<()> {
        let m = Manifest::parse(
            r#"
spin_manifest_version = 2
[application]
name = "chats"
[variables]
webui_secret_key = { required = true, secret = true }
enable_x = { default = "true" }
[[trigger.http]]
route = "/api/v1/chats/..."
component = "chats"
[[trigger.http]]
route = { private = true }
component = "chats"
[component.chats]
source = "target/wasm32-wasip2/release/chats.wasm"
sqlite_databases = ["default"]
allowed_outbound_hosts = ["http://127.0.0.1:3001"]
[component.chats.variables]
secret = "{{ webui_secret_key }}"
[component.chats.build]
command = "cargo build"
"#,
            PathBuf::from("/app"),
        )?;
        assert_eq!(m.http_triggers.len(), 2);
        assert_eq!(m.http_triggers[1].route, None);
        assert!(m.variables["webui_secret_key"].required);
        assert_eq!(m.components["chats"].sqlite_databases, vec!["default"]);
        assert_eq!(
            m.component_path("chats"),
            Some(PathBuf::from("/app/target/wasm32-wasip2/release/chats.wasm"))
        );
        assert_eq!(m.base(), "/");
        Ok(())
    }

    #[test]
    fn rejects_unknown_component_and_old_versions() {
        assert!(
            Manifest::parse(
                "spin_manifest_version = 2\n[[trigger.http]]\nroute = \"/\"\ncomponent = \"x\"\n",
                PathBuf::from(".")
            )
            .is_err()
        );
        assert!(Manifest::parse("spin_manifest_version = 1\n", PathBuf::from(".")).is_err());
    }
}
