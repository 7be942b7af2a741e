//! Random codes and tokens, and GitHub's node ids.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).expect("the OS random source failed");
    bytes
}

/// `n` random ASCII letters and digits.
pub fn random_alphanumeric(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in random_bytes(n) {
            // 248 = 4 × 62: rejecting the rest keeps the choice uniform.
            if b < 248 && out.len() < n {
                out.push(ALPHANUMERIC[usize::from(b % 62)] as char);
            }
        }
    }
    out
}

/// `n` random lowercase hex digits.
pub fn random_hex(n: usize) -> String {
    random_bytes(n.div_ceil(2)).iter().map(|b| format!("{b:02x}")).collect::<String>()[..n].to_string()
}

/// An authorization code as GitHub issues them: 20 hex digits.
pub fn oauth_code() -> String {
    random_hex(20)
}

/// An OAuth app user token: `gho_` and 36 letters and digits.
pub fn oauth_token() -> String {
    format!("gho_{}", random_alphanumeric(36))
}

/// A GitHub App user token: `ghu_` and 36 letters and digits.
pub fn user_token() -> String {
    format!("ghu_{}", random_alphanumeric(36))
}

/// A GitHub App refresh token: `ghr_` and 76 letters and digits.
pub fn refresh_token() -> String {
    format!("ghr_{}", random_alphanumeric(76))
}

/// An `x-github-request-id` value such as `C0DE:1F2A:3B4C5D:6E7F80:65A1B2C3`.
pub fn request_id() -> String {
    format!("{}:{}:{}:{}:{}", random_hex(4), random_hex(4), random_hex(6), random_hex(6), random_hex(8)).to_uppercase()
}

/// GitHub's legacy global node id: base64 of `0<len(kind)>:<kind><id>`, e.g. `MDQ6VXNlcjE=` for
/// user 1 and `MDEyOk9yZ2FuaXphdGlvbjE=` for organization 1.
pub fn node_id(kind: &str, id: u64) -> String {
    STANDARD.encode(format!("0{}:{kind}{id}", kind.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_match_the_spec_examples() {
        assert_eq!(node_id("User", 1), "MDQ6VXNlcjE=");
        assert_eq!(node_id("Organization", 1), "MDEyOk9yZ2FuaXphdGlvbjE=");
    }

    #[test]
    fn tokens_and_codes_have_github_shapes() {
        let token = oauth_token();
        assert_eq!(token.len(), 40);
        assert!(token.starts_with("gho_"));
        assert!(token[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        let code = oauth_code();
        assert_eq!(code.len(), 20);
        assert!(code.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(oauth_token(), oauth_token());
    }
}
