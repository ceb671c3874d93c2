//! `spin:variables@3.0.0`: application and component variables, resolved like Spin does.
//!
//! Application variables (`[variables]`) get their value from, in order: `--var name=value`,
//! the environment variable `SPIN_VARIABLE_<NAME>` (upper-cased name), and the manifest
//! `default`. One project rule on top: `webui_secret_key` also falls back to `WEBUI_SECRET_KEY`
//! (Open WebUI's own variable) before its default, and the host may supply defaults of its own
//! for variables it knows (the realtime relay's URL and token in `host serve`), which beat the
//! manifest default but not `--var` or the environment. A `required` variable with no value is
//! a startup error.
//!
//! A component sees only the variables declared in its `[component.<id>.variables]` table;
//! each is a template (`"literal {{ app_var }} literal"`) over application variables. All values
//! here are static for the life of the process, so every template is resolved once at startup.
//! At run time `get` answers `invalid-name` for a malformed name and `undefined` for a name the
//! component does not declare, with Spin's messages.

use crate::bindings::spin::variables::variables::{self as wit, Error};
use crate::manifest::Manifest;
use crate::runtime::HostState;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::sync::Arc;
use wasmtime::component::{Accessor, HasData, Linker};

/// Where application variable values come from besides the manifest defaults.
#[derive(Debug, Clone, Default)]
pub struct VariableSources {
    /// `--var name=value` pairs (highest priority).
    pub cli: HashMap<String, String>,
    /// The process environment (normally `std::env::vars()`).
    pub env: HashMap<String, String>,
    /// Values the host knows better than the manifest default (e.g. `realtime_url`).
    pub host_defaults: HashMap<String, String>,
}

impl VariableSources {
    /// CLI pairs plus the real process environment.
    pub fn from_process(cli: HashMap<String, String>) -> Self {
        Self {
            cli,
            env: std::env::vars().collect(),
            host_defaults: HashMap::new(),
        }
    }
}

/// The resolved variables of every component: component id → name → value.
#[derive(Debug, Clone, Default)]
pub struct ResolvedVariables {
    app: HashMap<String, Option<String>>,
    by_component: HashMap<String, Arc<ComponentVariables>>,
}

/// The resolved variables one component may read.
#[derive(Debug, Default)]
pub struct ComponentVariables {
    component_id: String,
    values: HashMap<String, String>,
}

impl ResolvedVariables {
    /// Resolves every application variable and every component template, or explains why not.
    pub fn resolve(manifest: &Manifest, sources: &VariableSources) -> Result<Self> {
        let mut app: HashMap<String, Option<String>> = HashMap::new();
        for (name, decl) in &manifest.variables {
            validate_name(name).map_err(|e| anyhow::anyhow!("invalid variable name {e}"))?;
            let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
            let value = sources
                .cli
                .get(name)
                .or_else(|| sources.env.get(&env_name))
                .or_else(|| {
                    (name == "webui_secret_key")
                        .then(|| sources.env.get("WEBUI_SECRET_KEY"))
                        .flatten()
                })
                .or_else(|| sources.host_defaults.get(name))
                .cloned()
                .or_else(|| decl.default.clone());
            if value.is_none() && decl.required {
                bail!(
                    "required variable {name:?} has no value: pass --var {name}=... or set {env_name}"
                );
            }
            app.insert(name.clone(), value);
        }
        for name in sources.cli.keys() {
            if !manifest.variables.contains_key(name) {
                tracing::warn!("--var {name}: no such variable in the manifest; ignored");
            }
        }
        let mut by_component = HashMap::new();
        for (id, component) in &manifest.components {
            let mut values = HashMap::new();
            for (name, template) in &component.variables {
                validate_name(name).map_err(|e| {
                    anyhow::anyhow!("component {id:?}: invalid variable name {e}")
                })?;
                let value = render(template, &app)
                    .with_context(|| format!("component {id:?}, variable {name:?}"))?;
                values.insert(name.clone(), value);
            }
            by_component.insert(
                id.clone(),
                Arc::new(ComponentVariables {
                    component_id: id.clone(),
                    values,
                }),
            );
        }
        Ok(Self { app, by_component })
    }

    /// Renders a template over the application variables (used for `allowed_outbound_hosts`).
    pub fn render(&self, template: &str) -> Result<String> {
        render(template, &self.app)
    }

    /// An application variable: `None` if the manifest does not declare it, `Some(None)` if it
    /// is declared without a value.
    pub fn app(&self, name: &str) -> Option<Option<&str>> {
        self.app.get(name).map(Option::as_deref)
    }

    /// The names of all application variables.
    pub fn app_names(&self) -> impl Iterator<Item = &str> {
        self.app.keys().map(String::as_str)
    }

    /// The variables of one component (empty if it declares none).
    pub fn component(&self, id: &str) -> Arc<ComponentVariables> {
        self.by_component.get(id).cloned().unwrap_or_else(|| {
            Arc::new(ComponentVariables {
                component_id: id.to_string(),
                values: HashMap::new(),
            })
        })
    }
}

impl ComponentVariables {
    /// Looks a variable up with Spin's error semantics.
    pub fn get(&self, name: &str) -> Result<String, Error> {
        validate_name(name).map_err(Error::InvalidName)?;
        self.values.get(name).cloned().ok_or_else(|| {
            Error::Undefined(format!(
                "no variable for {:?}.{:?}",
                self.component_id, name
            ))
        })
    }
}

/// Renders a Spin template: literal text with `{{ name }}` substitutions.
fn render(template: &str, app: &HashMap<String, Option<String>>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{") {
            let Some((expr, tail)) = after.split_once("}}") else {
                bail!("invalid template {template:?}: unmatched '{{{{'");
            };
            let key = expr.trim();
            validate_name(key).map_err(|e| anyhow::anyhow!("invalid template {template:?}: {e}"))?;
            match app.get(key) {
                Some(Some(v)) => out.push_str(v),
                Some(None) => bail!("application variable {key:?} has no value"),
                None => bail!("template refers to undeclared application variable {key:?}"),
            }
            rest = tail;
        } else if let Some(idx) = rest.find("{{") {
            out.push_str(&rest[..idx]);
            rest = &rest[idx..];
        } else {
            out.push_str(rest);
            rest = "";
        }
    }
    Ok(out)
}

/// Spin's variable-name rules; the error text matches Spin's `invalid-name` payload.
fn validate_name(key: &str) -> Result<(), String> {
    let reason = if key.is_empty() {
        Some("must not be empty".to_string())
    } else if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Some(format!(
            "invalid character {c:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lowercase ASCII letter".to_string())
    } else if !key.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("must end with a lowercase ASCII letter or digit".to_string())
    } else if key.contains("__") {
        Some("must not contain multiple consecutive underscores".to_string())
    } else {
        None
    };
    match reason {
        Some(r) => Err(format!("{key:?}: {r}")),
        None => Ok(()),
    }
}

/// Marker tying the `spin:variables` bindings to the per-store [`ComponentVariables`].
pub struct Variables;

impl HasData for Variables {
    type Data<'a> = &'a ComponentVariables;
}

impl wit::Host for &ComponentVariables {}

impl<T: Send> wit::HostWithStore<T> for Variables {
    async fn get(
        accessor: &Accessor<T, Self>,
        name: String,
    ) -> wasmtime::Result<Result<String, Error>> {
        Ok(accessor.with(|mut access| access.get().get(&name)))
    }
}

/// Adds `spin:variables@3.0.0` to the linker.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<HostState, Variables>(linker, |s| s.variables.as_ref())
}

/// Parses `name=value` (the `--var` syntax).
pub fn parse_cli_var(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected name=value, got {s:?}"))?;
    Ok((k.trim().to_string(), v.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn manifest() -> Manifest {
        Manifest::parse(
            r#"
spin_manifest_version = 2
[variables]
webui_secret_key = { required = true }
greeting = { default = "hello" }
name = { default = "world" }
[component.c]
source = "c.wasm"
[component.c.variables]
message = "{{ greeting }}, {{name}}!"
secret = "{{ webui_secret_key }}"
"#,
            PathBuf::from("."),
        )
        .unwrap()
    }

    #[test]
    fn precedence_cli_env_default() {
        let m = manifest();
        let mut sources = VariableSources::default();
        assert!(ResolvedVariables::resolve(&m, &sources).is_err(), "required");
        sources
            .env
            .insert("WEBUI_SECRET_KEY".into(), "from-webui".into());
        let r = ResolvedVariables::resolve(&m, &sources).unwrap();
        assert_eq!(r.component("c").get("secret").unwrap(), "from-webui");
        assert_eq!(r.component("c").get("message").unwrap(), "hello, world!");
        sources
            .env
            .insert("SPIN_VARIABLE_WEBUI_SECRET_KEY".into(), "from-spin".into());
        sources.env.insert("SPIN_VARIABLE_NAME".into(), "env".into());
        let r = ResolvedVariables::resolve(&m, &sources).unwrap();
        assert_eq!(r.component("c").get("secret").unwrap(), "from-spin");
        assert_eq!(r.component("c").get("message").unwrap(), "hello, env!");
        sources.cli.insert("name".into(), "cli".into());
        let r = ResolvedVariables::resolve(&m, &sources).unwrap();
        assert_eq!(r.component("c").get("message").unwrap(), "hello, cli!");
        // A host default beats the manifest default, not the environment or --var.
        sources.host_defaults.insert("greeting".into(), "host".into());
        sources.host_defaults.insert("name".into(), "host".into());
        let r = ResolvedVariables::resolve(&m, &sources).unwrap();
        assert_eq!(r.component("c").get("message").unwrap(), "host, cli!");
        assert_eq!(r.app("greeting"), Some(Some("host")));
        assert_eq!(r.app("nope"), None);
    }

    #[test]
    fn errors_like_spin() {
        let m = manifest();
        let mut sources = VariableSources::default();
        sources.cli.insert("webui_secret_key".into(), "k".into());
        let r = ResolvedVariables::resolve(&m, &sources).unwrap();
        let c = r.component("c");
        assert!(matches!(c.get("Bad"), Err(Error::InvalidName(_))));
        assert!(matches!(c.get("greeting"), Err(Error::Undefined(_))));
    }

    #[test]
    fn templates() {
        let mut app = HashMap::new();
        app.insert("a".to_string(), Some("1".to_string()));
        assert_eq!(render("x{{a}}y{{ a }}", &app).unwrap(), "x1y1");
        assert!(render("{{ a", &app).is_err());
        assert!(render("{{ b }}", &app).is_err());
        assert_eq!(render("plain", &app).unwrap(), "plain");
    }
}
