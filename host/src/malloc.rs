//! glibc's allocator settings for the host process.
//!
//! glibc gives a process up to 8 malloc arenas per core, and a thread keeps the arena it
//! first allocated in. SQLite runs on tokio's blocking pool, so under load its page caches
//! and statements spread over every arena, and each arena keeps the high-water mark of its
//! own share. With 32 clients editing the 2,000-message chat, the host's heap outside Wasm
//! was 164-184 MiB in 15-17 arenas for about 80 MB live (heaptrack); with two arenas it was
//! 96-106 MiB, at the same throughput (docs/performance.md, session 7).

/// Arenas glibc may create, unless `MALLOC_ARENA_MAX` says otherwise.
pub const ARENA_MAX: i32 = 2;

/// Applies [`ARENA_MAX`]. Call first in `main`, before any other thread exists.
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: `mallopt` only sets a parameter of glibc's allocator; no other thread runs yet.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX);
        }
    }
}
