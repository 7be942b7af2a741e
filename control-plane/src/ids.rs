//! Ids, tokens, hashes and the clock.

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
    new_id_at(prefix, now_ms())
}

/// The same, for a given time (parts that run natively in tests take the time as a fact).
pub fn new_id_at(prefix: &str, now_ms: i64) -> String {
    format!("{prefix}_{:012x}{}", now_ms as u64 & 0xffff_ffff_ffff, hex::encode(random_bytes::<8>()))
}

/// A bearer secret: 32 random bytes, hex.
pub fn new_token() -> String {
    hex::encode(random_bytes::<32>())
}

/// SHA-256, hex (tokens are stored only as this), and comparison in constant time: the same
/// functions the token decisions use.
pub use oi_session_core::auth::tokens::{constant_time_eq, sha256_hex};
