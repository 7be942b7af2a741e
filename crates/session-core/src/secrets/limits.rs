//! How many secrets, and how large: per value, per scope (after a change) and per session.
//! A scope's size counts names and values together, in bytes.

use std::collections::BTreeMap;

use oi_protocol::limits::{
    MAX_SECRETS_PER_SCOPE, MAX_SECRET_SCOPE_BYTES, MAX_SECRET_SESSION_BYTES, MAX_SECRET_VALUE_BYTES,
};

use super::SecretRefusal;

/// Checks one value: at most [`MAX_SECRET_VALUE_BYTES`], and no NUL (no environment variable
/// can hold one).
pub fn check_value(name: &str, value: &str) -> Result<(), SecretRefusal> {
    if value.len() > MAX_SECRET_VALUE_BYTES {
        return Err(SecretRefusal::too_large(format!(
            "secret {name} is {} bytes; a value may be at most {MAX_SECRET_VALUE_BYTES} bytes",
            value.len()
        )));
    }
    if value.contains('\0') {
        return Err(SecretRefusal::invalid(format!("secret {name} contains a NUL character")));
    }
    Ok(())
}

/// The bytes one secret takes in its scope.
pub fn entry_bytes(name: &str, value_bytes: usize) -> usize {
    name.len() + value_bytes
}

/// Checks a scope after `changes` (name, value size) are applied to `existing` (name, value
/// size): a change to an existing name replaces it.
pub fn check_scope(existing: &[(String, usize)], changes: &[(String, usize)]) -> Result<(), SecretRefusal> {
    let mut after: BTreeMap<&str, usize> = existing.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    for (name, size) in changes {
        after.insert(name, *size);
    }
    if after.len() > MAX_SECRETS_PER_SCOPE {
        return Err(SecretRefusal::too_large(format!(
            "a scope may hold at most {MAX_SECRETS_PER_SCOPE} secrets; this would make {}",
            after.len()
        )));
    }
    let bytes: usize = after.iter().map(|(n, s)| entry_bytes(n, *s)).sum();
    if bytes > MAX_SECRET_SCOPE_BYTES {
        return Err(SecretRefusal::too_large(format!(
            "a scope may hold at most {MAX_SECRET_SCOPE_BYTES} bytes of secrets (names and values); this would make {bytes}"
        )));
    }
    Ok(())
}

/// Checks what one session's sandbox would receive.
pub fn check_session(merged: &BTreeMap<String, String>) -> Result<(), SecretRefusal> {
    let bytes: usize = merged.iter().map(|(n, v)| entry_bytes(n, v.len())).sum();
    if bytes > MAX_SECRET_SESSION_BYTES {
        return Err(SecretRefusal::too_large(format!(
            "this session's secrets (global and repository) come to {bytes} bytes; a sandbox takes at most {MAX_SECRET_SESSION_BYTES}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::ErrorCode;

    fn scope(n: usize, size: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (format!("S{i:02}"), size)).collect()
    }

    #[test]
    fn a_value_at_the_limit_passes_and_one_byte_more_is_refused() {
        assert_eq!(check_value("A", &"x".repeat(MAX_SECRET_VALUE_BYTES)), Ok(()));
        let refusal = check_value("A", &"x".repeat(MAX_SECRET_VALUE_BYTES + 1)).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::PayloadTooLarge);
        assert!(refusal.message.contains("at most 16384 bytes"), "{}", refusal.message);
        // Bytes, not characters: 6000 three-byte characters are 18000 bytes.
        assert!(check_value("A", &"€".repeat(6000)).is_err());
        assert_eq!(check_value("A", "a\0b").unwrap_err().code, ErrorCode::InvalidRequest);
        assert_eq!(check_value("A", ""), Ok(()));
    }

    #[test]
    fn the_fifty_first_secret_is_refused_but_replacing_one_is_not() {
        let full = scope(50, 10);
        assert_eq!(check_scope(&scope(49, 10), &[("NEW".into(), 10)]), Ok(()));
        let refusal = check_scope(&full, &[("NEW".into(), 10)]).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::PayloadTooLarge);
        assert!(refusal.message.contains("at most 50 secrets"), "{}", refusal.message);
        assert_eq!(check_scope(&full, &[("S07".into(), 99)]), Ok(()));
    }

    #[test]
    fn a_scope_is_limited_to_64_kib_of_names_and_values() {
        // 4 secrets of 16 000 bytes + 3-byte names = 64 012 bytes: under 65 536.
        let existing = scope(4, 16_000);
        assert_eq!(check_scope(&existing, &[]), Ok(()));
        let refusal = check_scope(&existing, &[("BIG".into(), 2_000)]).unwrap_err();
        assert!(refusal.message.contains("65536 bytes"), "{}", refusal.message);
        // Shrinking a value makes room.
        assert_eq!(check_scope(&existing, &[("S00".into(), 10), ("BIG".into(), 2_000)]), Ok(()));
    }

    #[test]
    fn a_session_takes_at_most_128_kib() {
        let mut merged: BTreeMap<String, String> = (0..8).map(|i| (format!("V{i}"), "x".repeat(16_000))).collect();
        assert_eq!(check_session(&merged), Ok(()));
        merged.insert("MORE".into(), "x".repeat(4_000));
        let refusal = check_session(&merged).unwrap_err();
        assert!(refusal.message.contains("131072"), "{}", refusal.message);
    }
}
