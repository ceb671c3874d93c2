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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sha2::{Digest, Sha256};
    use std::path::{Path, PathBuf};

    /// The vendored files, with the SHA-256 of their copies in the `spin-sdk` 7.0.0 crate.
    const VENDORED: [(&str, &str); 2] = [
        (
            "spin-sqlite@3.1.0/sqlite.wit",
            "989c747f4c618c90c0d19f7ae2c82a23af7e8df571cf26d512a77ca5fe4131e4",
        ),
        (
            "spin-variables@3.0.0/variables.wit",
            "5064a1bca46f72efdba3fc38c39667e03cf433e279224f08db8f67191c8ec2c4",
        ),
    ];

    fn hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The `spin-sdk-7.0.0` sources in the local cargo registry, if present.
    fn spin_sdk_crate() -> Option<PathBuf> {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
        std::fs::read_dir(home.join("registry/src"))
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("spin-sdk-7.0.0"))
            .find(|p| p.exists())
    }

    #[test]
    fn vendored_wit_matches_spin_sdk() {
        let deps = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/deps");
        let sdk = spin_sdk_crate();
        for (file, sha) in VENDORED {
            let ours = std::fs::read(deps.join(file)).unwrap();
            assert_eq!(hex(&ours), sha, "wit/deps/{file} differs from spin-sdk 7.0.0's copy");
            if let Some(sdk) = &sdk {
                let theirs = std::fs::read(sdk.join("wit/deps").join(file)).unwrap();
                assert_eq!(ours, theirs, "wit/deps/{file} differs from {}", sdk.display());
            }
        }
    }
}
