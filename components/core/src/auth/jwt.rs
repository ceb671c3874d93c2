//! HS256 JSON Web Tokens, compatible with PyJWT as Open WebUI uses it.
//!
//! Only what Open WebUI needs: `{"alg":"HS256","typ":"JWT"}` headers, a JSON object payload,
//! and `exp` checked against the current time when present.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value as Json};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs `claims` with `secret` and returns the compact token.
pub fn encode(claims: &Map<String, Json>, secret: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(Json::Object(claims.clone()).to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(sign(signing_input.as_bytes(), secret));
    format!("{signing_input}.{signature}")
}

fn sign(input: &[u8], secret: &str) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    mac.update(input);
    mac.finalize().into_bytes().to_vec()
}

/// Verifies the signature, the `alg` and `exp`, and returns the claims; `None` for any
/// malformed, wrongly signed or expired token (PyJWT's `decode` raising).
pub fn decode(token: &str, secret: &str, now: i64) -> Option<Map<String, Json>> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Json = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(format!("{}.{}", token.split('.').next()?, payload).as_bytes());
    mac.verify_slice(&signature).ok()?;
    let claims: Json = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let claims = match claims {
        Json::Object(map) => map,
        _ => return None,
    };
    if let Some(exp) = claims.get("exp") {
        // PyJWT requires a number and rejects `exp <= now` (no leeway).
        let exp = exp.as_f64()?;
        if exp <= now as f64 {
            return None;
        }
    }
    if let Some(iat) = claims.get("iat") {
        iat.as_f64()?;
    }
    Some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Json) -> Map<String, Json> {
        match value {
            Json::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let token = encode(&claims(json!({"id": "u1", "typ": "session"})), "s3cret");
        let decoded = decode(&token, "s3cret", 0).unwrap_or_default();
        assert_eq!(decoded.get("id"), Some(&json!("u1")));
        assert!(decode(&token, "other", 0).is_none());
        let mut tampered = token.clone();
        tampered.push('x');
        assert!(decode(&tampered, "s3cret", 0).is_none());
        assert!(decode("a.b", "s3cret", 0).is_none());
    }

    #[test]
    fn expiry_is_checked() {
        let token = encode(&claims(json!({"id": "u1", "exp": 100})), "k");
        assert!(decode(&token, "k", 99).is_some());
        assert!(decode(&token, "k", 100).is_none());
    }

    #[test]
    fn matches_pyjwt_output() {
        // jwt.encode({"id": "abc"}, "secret", algorithm="HS256") with PyJWT 2.x
        // (compact separators, header {"alg":"HS256","typ":"JWT"}).
        let token = encode(&claims(json!({"id": "abc"})), "secret");
        assert_eq!(
            token.split('.').next(),
            Some("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9")
        );
    }
}
