//! The git endpoint's credentials: the sandbox's token, as `Authorization: Bearer <token>` or
//! HTTP Basic with any user name and the token as the password (what git clients send).

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What is kept of a token: its SHA-256.
pub type TokenHash = [u8; 32];

pub fn token_hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// The token an `Authorization` header presents, if any.
pub fn presented_token(header: &str) -> Option<String> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (!rest.is_empty()).then(|| rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_user, password) = text.split_once(':')?;
        return (!password.is_empty()).then(|| password.to_string());
    }
    None
}

/// Compares hashes in constant time.
pub fn hashes_equal(a: &TokenHash, b: &TokenHash) -> bool {
    a.ct_eq(b).into()
}

/// Whether `header` presents the token whose hash is `expected`.
pub fn authorizes(header: Option<&str>, expected: &TokenHash) -> bool {
    header.and_then(presented_token).is_some_and(|t| hashes_equal(&token_hash(&t), expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_pass: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_pass))
    }

    #[test]
    fn bearer_and_basic_present_the_token() {
        assert_eq!(presented_token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(presented_token("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(presented_token(&basic("x:abc")).as_deref(), Some("abc"));
        assert_eq!(presented_token(&basic("oi:a:b")).as_deref(), Some("a:b"));
        for bad in ["", "Bearer", "Bearer ", "Token abc", "Basic !!!", &basic("abc"), &basic("x:")] {
            assert_eq!(presented_token(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_the_right_token_authorizes() {
        let h = token_hash("s3cret");
        assert!(authorizes(Some("Bearer s3cret"), &h));
        assert!(authorizes(Some(&basic("git:s3cret")), &h));
        assert!(!authorizes(Some("Bearer s3cre"), &h));
        assert!(!authorizes(Some(&basic("s3cret:x")), &h));
        assert!(!authorizes(None, &h));
        assert!(hashes_equal(&h, &token_hash("s3cret")));
        assert!(!hashes_equal(&h, &token_hash("other")));
    }
}
