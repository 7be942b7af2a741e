//! Ids, tokens, hashes and the clock.

use sha2::{Digest, Sha256};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).expect("crypto.getRandomValues is available in workerd");
    buf
}

/// A time-ordered id: `<prefix>_<12 hex digits of ms><16 random hex digits>`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{:012x}{}", now_ms() as u64 & 0xffff_ffff_ffff, hex::encode(random_bytes::<8>()))
}

/// A bearer secret: 32 random bytes, hex.
pub fn new_token() -> String {
    hex::encode(random_bytes::<32>())
}

/// SHA-256, hex. Tokens are stored only as this.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Compares two strings in time that depends only on their length.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
