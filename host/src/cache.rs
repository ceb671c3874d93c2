//! On-disk cache of compiled components.
//!
//! Compiling a component with Cranelift takes seconds; loading a serialized one takes
//! milliseconds. Artefacts are keyed by the SHA-256 of the `.wasm` bytes, the Wasmtime version
//! and the engine's compatibility hash (target, tunables, enabled features), so a rebuilt
//! component, a Wasmtime upgrade or a different engine configuration never loads a stale
//! artefact. Files are written to a temporary name and renamed into place, so concurrent hosts
//! sharing a cache directory never see half-written files.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The Wasmtime version the cache keys include (the crate is pinned in the workspace).
const WASMTIME_VERSION: &str = "48.0.8";

/// Loads the compiled form of `wasm_path` from `cache_dir`, compiling and storing it on a miss.
pub fn load_or_compile(engine: &Engine, wasm_path: &Path, cache_dir: &Path) -> Result<Component> {
    let bytes = std::fs::read(wasm_path)
        .with_context(|| format!("cannot read component {}", wasm_path.display()))?;
    let cached = cache_path(engine, &bytes, cache_dir);
    if cached.exists() {
        // SAFETY: `deserialize_file` trusts the file to be a Wasmtime artefact produced by
        // `Component::serialize`. Only this module writes into the cache directory, under a
        // name that includes the hash of the source bytes and of the engine configuration,
        // and Wasmtime itself re-checks the version and configuration header before use.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &cached) };
        match loaded {
            Ok(component) => {
                tracing::debug!("loaded {} from cache", wasm_path.display());
                return Ok(component);
            }
            Err(e) => tracing::warn!(
                "ignoring unusable cached artefact {}: {e}",
                cached.display()
            ),
        }
    }
    let started = std::time::Instant::now();
    let component = Component::new(engine, &bytes)
        .map_err(crate::wasmtime_error)
        .with_context(|| format!("cannot compile component {}", wasm_path.display()))?;
    tracing::info!(
        "compiled {} in {} ms",
        wasm_path.display(),
        started.elapsed().as_millis()
    );
    if let Err(e) = store(&component, &cached) {
        tracing::warn!("cannot write compile cache {}: {e:#}", cached.display());
    }
    Ok(component)
}

fn store(component: &Component, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let data = component.serialize().map_err(crate::wasmtime_error)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn cache_path(engine: &Engine, wasm: &[u8], cache_dir: &Path) -> PathBuf {
    let digest = Sha256::digest(wasm);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let engine_hash = hasher.finish();
    cache_dir.join(format!(
        "{hex}-wasmtime{WASMTIME_VERSION}-{engine_hash:016x}.cwasm"
    ))
}
