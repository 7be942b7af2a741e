//! OpenCode's id format, for the message ids the bridge chooses so it can tie replies to its
//! prompt (`parentID`): `msg_` + 12 hex digits of `(epoch_ms * 4096 + counter) mod 2^48` +
//! 14 random base62 characters.

use std::sync::atomic::{AtomicU64, Ordering};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

pub fn message_id(now_ms: u64) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed) % 4096;
    let stamp = now_ms.wrapping_mul(4096).wrapping_add(counter) & ((1u64 << 48) - 1);
    format!("msg_{stamp:012x}{}", random_base62(14))
}

pub fn random_base62(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    getrandom::getrandom(&mut bytes).expect("the OS random source works");
    bytes.iter().map(|b| BASE62[(*b as usize) % BASE62.len()] as char).collect()
}

/// A random hex secret of `bytes` bytes.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).expect("the OS random source works");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_order() {
        let a = message_id(1_795_456_907_000);
        let b = message_id(1_795_456_907_001);
        assert_eq!(a.len(), 4 + 12 + 14);
        assert!(a.starts_with("msg_"));
        assert!(a[4..16] < b[4..16], "ids sort by time");
        assert_eq!(random_hex(16).len(), 32);
    }
}
