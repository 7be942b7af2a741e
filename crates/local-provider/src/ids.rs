//! Ids: which ones are safe to use as directory names, and fresh snapshot ids.

use std::io::Read;

use oi_protocol::{ApiError, ErrorCode};

/// The longest id accepted.
pub const MAX_ID_LEN: usize = 128;

/// Whether `id` is safe as one path component: 1 to 128 of `[A-Za-z0-9_-]`, starting with a
/// letter or digit (so no `.`, `..`, `/`, hidden names or option-like names).
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `Ok` when `id` is safe, else a 400 naming the field.
pub fn check_id(field: &str, id: &str) -> Result<(), ApiError> {
    if is_safe_id(id) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("{field} must be 1 to {MAX_ID_LEN} characters of A-Z, a-z, 0-9, '_' or '-', starting with a letter or digit"),
        ))
    }
}

/// Hex of `n` random bytes from the kernel.
pub fn random_hex(n: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(hex::encode(buf))
}

/// A fresh snapshot id, `snap_` and 32 hex digits.
pub fn new_snapshot_id() -> std::io::Result<String> {
    Ok(format!("snap_{}", random_hex(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_ids() {
        for ok in ["sbx_01a2097d6ef18c35b98826804d86", "a", "A-b_9", &"x".repeat(MAX_ID_LEN)] {
            assert!(is_safe_id(ok), "{ok} should be safe");
        }
        for bad in ["", ".", "..", "../etc", "a/b", "_x", "-rf", "a b", "a\0b", "é", &"x".repeat(MAX_ID_LEN + 1)] {
            assert!(!is_safe_id(bad), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn check_id_names_the_field() {
        let e = check_id("sandbox_id", "../x").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.message.starts_with("sandbox_id must be"), "{}", e.message);
    }

    #[test]
    fn snapshot_ids_are_fresh_and_safe() {
        let a = new_snapshot_id().unwrap();
        let b = new_snapshot_id().unwrap();
        assert_ne!(a, b);
        assert!(is_safe_id(&a) && a.len() == 5 + 32, "{a}");
    }
}
