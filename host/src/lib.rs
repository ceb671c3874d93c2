//! The native host: runs the HTTP components of a Spin manifest (`spin.toml`) the way
//! `spin up` (Spin 4.1) does, on Wasmtime 48, with libSQL behind `spin:sqlite`.
//!
//! One module per job:
//! - [`manifest`]: reading `spin.toml`;
//! - [`router`]: Spin's HTTP routing rules;
//! - [`http_trigger`]: the HTTP server, Spin's request headers, 404/500 behaviour;
//! - [`runtime`]: engine, compilation, linking, instance reuse; [`cache`]: compiled artefacts;
//! - [`runtime_config`]: the database of a Spin runtime config file (`--runtime-config-file`);
//! - [`sqlite`], [`variables`], [`outbound_http`]: the host side of what components import;
//! - [`realtime`]: the realtime relay (WebSockets, rooms, the long-lived component, Redis);
//! - [`serve`]: wires them together for `host serve` and `host realtime`.
//!
//! The binary (`src/main.rs`) is only the command line around [`serve::serve`] and
//! [`serve::realtime`].

#![deny(missing_docs)]

pub mod bindings;
pub mod cache;
pub mod http_trigger;
pub mod malloc;
pub mod manifest;
pub mod outbound_http;
pub mod realtime;
pub mod router;
pub mod runtime;
pub mod runtime_config;
pub mod serve;
pub mod sqlite;
pub mod variables;

/// Converts a `wasmtime::Error` (which is not `std::error::Error` unless Wasmtime's `anyhow`
/// feature is on) into an `anyhow::Error`, keeping the whole cause chain in the message.
pub(crate) fn wasmtime_error(e: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}
