//! Host-side bindings for the Spin interfaces our components import.
//!
//! Generated from the WIT vendored under `wit/deps/` (copied verbatim from the `spin-sdk` 7.0.0
//! crate; a test checks that the copies still match): `spin:sqlite@3.1.0` and
//! `spin:variables@3.0.0`. Every import is `async` on the host side (blocking SQLite work is
//! moved off the async workers) and `trappable` (a host bug traps the instance instead of
//! panicking the process).

#![allow(missing_docs, reason = "generated code")]

wasmtime::component::bindgen!({
    inline: "
        package host:spin;
        world spin-imports {
            import spin:sqlite/sqlite@3.1.0;
            import spin:variables/variables@3.0.0;
        }
    ",
    path: ["../wit/deps/spin-sqlite@3.1.0", "../wit/deps/spin-variables@3.0.0"],
    imports: { default: async | trappable },
    with: {
        "spin:sqlite/sqlite.connection": crate::sqlite::SqliteConnection,
    },
});
