//! bcrypt password hashes in the format Open WebUI stores (`$2b$12$...`).

/// bcrypt cost Open WebUI uses (passlib/bcrypt default).
pub const COST: u32 = 12;

/// Hashes a password; `None` only if the system random source fails.
pub fn hash(password: &str) -> Option<String> {
    bcrypt::hash(truncate(password), COST).ok()
}

/// Checks a password against a stored hash; malformed hashes never verify.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    bcrypt::verify(truncate(password), stored_hash).unwrap_or(false)
}

/// bcrypt only reads 72 bytes; the Python bcrypt module errors above that while Open WebUI
/// truncates, so truncate here too instead of failing.
fn truncate(password: &str) -> &[u8] {
    let bytes = password.as_bytes();
    &bytes[..bytes.len().min(72)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let fresh = bcrypt::hash("password", 4).unwrap_or_default();
        assert!(verify("password", &fresh));
        assert!(!verify("wrong", &fresh));
        assert!(!verify("password", "not a hash"));
    }
}
