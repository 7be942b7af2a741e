//! Ids and secrets as Linear's look: UUIDs (v4 for new entities, name-derived ones for the
//! defaults of a configuration, so tests see the same ids every run) and opaque tokens.

use sha2::{Digest, Sha256};

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).expect("the OS random source failed");
    bytes
}

fn format_uuid(mut bytes: [u8; 16], version: u8) -> String {
    bytes[6] = (bytes[6] & 0x0f) | (version << 4);
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// A random UUID v4: the `id` of everything Linear creates (activities, comments, sessions,
/// webhook deliveries).
pub fn uuid() -> String {
    format_uuid(random_bytes::<16>(), 4)
}

/// A UUID-shaped id derived from `seed` (SHA-256, version nibble 8 as RFC 9562 allows for
/// custom ids): the same seed gives the same id.
pub fn derived_uuid(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    format_uuid(bytes, 8)
}

/// Whether `s` is a UUID v4 (`AgentActivityCreateInput.id`: "The identifier in UUID v4
/// format").
pub fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b.iter().enumerate().all(|(i, c)| [8, 13, 18, 23].contains(&i) || c.is_ascii_hexdigit())
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
}

/// `n` random lowercase hex digits (tokens and codes).
pub fn random_hex(n: usize) -> String {
    let mut out = String::with_capacity(n + 1);
    while out.len() < n {
        out.push_str(&hex::encode(random_bytes::<16>()));
    }
    out.truncate(n);
    out
}

/// An OAuth access token: `lin_oauth_` and 64 hex digits (the prefix is Linear's; the docs'
/// example token is 64 hex digits).
pub fn access_token() -> String {
    format!("lin_oauth_{}", random_hex(64))
}

/// A refresh token: `lin_refresh_` and 64 hex digits (the prefix is the double's own).
pub fn refresh_token() -> String {
    format!("lin_refresh_{}", random_hex(64))
}

/// An authorization code: 40 hex digits, as in the docs' redirect example.
pub fn authorization_code() -> String {
    random_hex(40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        let id = uuid();
        assert!(is_uuid_v4(&id), "{id}");
        assert_ne!(uuid(), id);
        assert_eq!(derived_uuid("team ENG"), derived_uuid("team ENG"));
        assert_ne!(derived_uuid("team ENG"), derived_uuid("team OPS"));
        assert!(!is_uuid_v4(&derived_uuid("x")));
        assert!(!is_uuid_v4("ENG-123"));
        assert_eq!(access_token().len(), "lin_oauth_".len() + 64);
        assert_eq!(authorization_code().len(), 40);
    }
}
