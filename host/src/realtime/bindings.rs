//! Host-side bindings for world `owui:realtime/realtime` (`wit/realtime.wit`).
//!
//! - `owui:realtime/sockets` imports are plain synchronous host functions: each only touches
//!   in-memory tables and bounded queues, so there is nothing to await. They are `trappable`
//!   so a host bug traps the instance (which the actor then replaces) instead of panicking.
//! - `spin:sqlite/sqlite@3.1.0` is not generated again: it maps onto the bindings the HTTP
//!   components already use, so `crate::sqlite` serves both.
//! - Exports are `async`: the actor calls them with `call_async`, which lets SQLite host calls
//!   run off the async workers and lets epoch interruption stop a runaway call.

#![allow(missing_docs, reason = "generated code")]

wasmtime::component::bindgen!({
    world: "owui:realtime/realtime",
    path: "../wit",
    imports: { default: trappable },
    exports: { default: async },
    with: {
        "spin:sqlite/sqlite": crate::bindings::spin::sqlite::sqlite,
    },
});
