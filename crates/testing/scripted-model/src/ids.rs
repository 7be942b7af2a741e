//! Ids that look like OpenAI's (`chatcmpl-…`, `call_…`): unique per server, not secret.

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// SplitMix64: a tiny, well-mixed generator step.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `prefix` followed by `len` base-62 characters derived from `seed` and `n`.
pub fn make_id(prefix: &str, seed: u64, n: u64, len: usize) -> String {
    let mut out = String::with_capacity(prefix.len() + len);
    out.push_str(prefix);
    let mut state = seed ^ n.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    for _ in 0..len {
        state = splitmix64(state);
        out.push(ALPHABET[(state % 62) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_length_and_differ() {
        let a = make_id("chatcmpl-", 42, 1, 29);
        let b = make_id("chatcmpl-", 42, 2, 29);
        assert!(a.starts_with("chatcmpl-") && a.len() == 9 + 29);
        assert!(a[9..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
        assert_eq!(a, make_id("chatcmpl-", 42, 1, 29));
    }
}
