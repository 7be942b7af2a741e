//! AES-256-GCM for secret values.
//!
//! - Each value is sealed with a fresh random 96-bit nonce (the caller supplies it, so this
//!   stays pure).
//! - The associated data binds the ciphertext to its scope kind, scope owner (the repository)
//!   and name, so a ciphertext copied to another row fails to open.
//! - Every sealed value names its key's id. A [`KeyRing`] holds the current key and any previous
//!   ones: it opens under whichever key a value names and seals only under the current one, so
//!   rotation re-seals values one by one with no downtime.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use oi_protocol::secrets::SecretScope;

/// The length of a nonce in bytes.
pub const NONCE_BYTES: usize = 12;

/// One 256-bit key with its id. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct SecretKey {
    pub id: String,
    bytes: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Why a key could not be read from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl SecretKey {
    /// A key from 32 bytes written as 64 hex digits or as base64.
    pub fn parse(id: &str, text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            return Err(KeyError(format!("secrets key id {id:?} must be 1 to 64 letters, digits, '-', '_' or '.'")));
        }
        let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|e| KeyError(e.to_string()))?
        } else {
            B64.decode(text).map_err(|_| KeyError(format!("secrets key {id} is neither 64 hex digits nor base64")))?
        };
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| KeyError(format!("secrets key {id} is {} bytes; it must be 32", b.len())))?;
        Ok(SecretKey { id: id.to_string(), bytes })
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.bytes))
    }
}

/// A sealed value as stored: the key id, and nonce and ciphertext (with its tag) in base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: String,
    pub ciphertext: String,
}

/// Why a sealed value did not open. Neither variant carries any part of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// No configured key has this id.
    UnknownKey(String),
    /// The ciphertext, nonce or binding does not match: tampered, or moved from another row.
    Rejected,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::UnknownKey(id) => write!(f, "no configured secrets key has id {id:?}"),
            OpenError::Rejected => f.write_str("the ciphertext does not open under its key and binding"),
        }
    }
}

/// The associated data: a version tag, then scope kind, owner and name, each length-prefixed so
/// no two bindings encode alike.
pub fn binding(scope: &SecretScope, name: &str) -> Vec<u8> {
    let mut aad = b"open-inspect/secret/v1".to_vec();
    for part in [scope.kind(), scope.owner(), name] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

/// The associated data of a credential the control plane keeps for itself (a GitHub token, not
/// a repository's secret): its kind and key, length-prefixed, in another domain than
/// [`binding`], so neither can pass for the other.
pub fn credential_binding(kind: &str, key: &str) -> Vec<u8> {
    let mut aad = b"open-inspect/credential/v1".to_vec();
    for part in [kind, key] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

/// The current key and the earlier ones still accepted for opening.
#[derive(Debug, Clone)]
pub struct KeyRing {
    current: SecretKey,
    previous: Vec<SecretKey>,
}

impl KeyRing {
    pub fn new(current: SecretKey, previous: Vec<SecretKey>) -> Result<Self, KeyError> {
        if previous.iter().any(|k| k.id == current.id) {
            return Err(KeyError(format!(
                "the previous secrets key has the same id as the current one ({}); give the new key a new id",
                current.id
            )));
        }
        Ok(KeyRing { current, previous })
    }

    /// The id new values are sealed under.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `value` for `scope`/`name` under the current key.
    pub fn seal(&self, scope: &SecretScope, name: &str, value: &str, nonce: [u8; NONCE_BYTES]) -> Sealed {
        self.seal_bound(&binding(scope, name), value, nonce)
    }

    /// Opens a value sealed for `scope`/`name`, under whichever key it names.
    pub fn open(&self, scope: &SecretScope, name: &str, sealed: &Sealed) -> Result<String, OpenError> {
        self.open_bound(&binding(scope, name), sealed)
    }

    /// Seals `value` bound to the associated data `aad` ([`binding`] or [`credential_binding`]).
    pub fn seal_bound(&self, aad: &[u8], value: &str, nonce: [u8; NONCE_BYTES]) -> Sealed {
        let ciphertext = self
            .current
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: value.as_bytes(), aad })
            .expect("AES-GCM encryption of a bounded value cannot fail");
        Sealed { key_id: self.current.id.clone(), nonce: B64.encode(nonce), ciphertext: B64.encode(ciphertext) }
    }

    /// Opens a value sealed with [`Self::seal_bound`] for the same `aad`.
    pub fn open_bound(&self, aad: &[u8], sealed: &Sealed) -> Result<String, OpenError> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| OpenError::UnknownKey(sealed.key_id.clone()))?;
        let nonce = B64.decode(&sealed.nonce).map_err(|_| OpenError::Rejected)?;
        let ciphertext = B64.decode(&sealed.ciphertext).map_err(|_| OpenError::Rejected)?;
        if nonce.len() != NONCE_BYTES {
            return Err(OpenError::Rejected);
        }
        let plain = key
            .cipher()
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ciphertext, aad })
            .map_err(|_| OpenError::Rejected)?;
        String::from_utf8(plain).map_err(|_| OpenError::Rejected)
    }

    /// Whether a stored value should be re-sealed under the current key.
    pub fn needs_rotation(&self, sealed: &Sealed) -> bool {
        sealed.key_id != self.current.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn key(id: &str, fill: u8) -> SecretKey {
        SecretKey::parse(id, &B64.encode([fill; 32])).unwrap()
    }

    #[test]
    fn a_credential_opens_only_under_its_own_binding() {
        let ring = KeyRing::new(key("k1", 7), vec![]).unwrap();
        let sealed = ring.seal_bound(&credential_binding("github-user", "gh-1"), "ghu_x", [1; NONCE_BYTES]);
        assert_eq!(ring.open_bound(&credential_binding("github-user", "gh-1"), &sealed).unwrap(), "ghu_x");
        assert_eq!(ring.open_bound(&credential_binding("github-user", "gh-2"), &sealed), Err(OpenError::Rejected));
        assert_eq!(ring.open(&SecretScope::Global, "gh-1", &sealed), Err(OpenError::Rejected));
    }

    fn repo(r: &str) -> SecretScope {
        SecretScope::Repo { repo: r.into() }
    }

    #[test]
    fn a_value_round_trips_and_the_ciphertext_hides_it() {
        let ring = KeyRing::new(key("k1", 7), vec![]).unwrap();
        let sealed = ring.seal(&SecretScope::Global, "DATABASE_URL", "postgres://u:p@db/x", [1; 12]);
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.ciphertext.contains("postgres"));
        assert_eq!(ring.open(&SecretScope::Global, "DATABASE_URL", &sealed).unwrap(), "postgres://u:p@db/x");
        // Another nonce gives another ciphertext for the same value.
        assert_ne!(ring.seal(&SecretScope::Global, "DATABASE_URL", "postgres://u:p@db/x", [2; 12]), sealed);
    }

    #[test]
    fn a_ciphertext_moved_to_another_name_scope_or_owner_fails() {
        let ring = KeyRing::new(key("k1", 7), vec![]).unwrap();
        let sealed = ring.seal(&repo("acme/api"), "TOKEN", "s3cret", [3; 12]);
        assert_eq!(ring.open(&repo("acme/api"), "TOKEN", &sealed).unwrap(), "s3cret");
        assert_eq!(ring.open(&repo("acme/api"), "OTHER", &sealed), Err(OpenError::Rejected));
        assert_eq!(ring.open(&repo("acme/web"), "TOKEN", &sealed), Err(OpenError::Rejected));
        assert_eq!(ring.open(&SecretScope::Global, "TOKEN", &sealed), Err(OpenError::Rejected));
    }

    #[test]
    fn a_swapped_ciphertext_between_two_rows_fails() {
        let ring = KeyRing::new(key("k1", 7), vec![]).unwrap();
        let a = ring.seal(&SecretScope::Global, "A", "value-a", [4; 12]);
        let b = ring.seal(&SecretScope::Global, "B", "value-b", [5; 12]);
        assert_eq!(ring.open(&SecretScope::Global, "A", &b), Err(OpenError::Rejected));
        assert_eq!(ring.open(&SecretScope::Global, "B", &a), Err(OpenError::Rejected));
    }

    #[test]
    fn tampering_and_unknown_keys_are_refused() {
        let ring = KeyRing::new(key("k1", 7), vec![]).unwrap();
        let mut sealed = ring.seal(&SecretScope::Global, "A", "value", [6; 12]);
        let mut bytes = B64.decode(&sealed.ciphertext).unwrap();
        bytes[0] ^= 1;
        sealed.ciphertext = B64.encode(bytes);
        assert_eq!(ring.open(&SecretScope::Global, "A", &sealed), Err(OpenError::Rejected));
        let other = KeyRing::new(key("k2", 9), vec![]).unwrap();
        let sealed = ring.seal(&SecretScope::Global, "A", "value", [6; 12]);
        assert_eq!(other.open(&SecretScope::Global, "A", &sealed), Err(OpenError::UnknownKey("k1".into())));
        // The same id with different key material does not open it either.
        let impostor = KeyRing::new(key("k1", 8), vec![]).unwrap();
        assert_eq!(impostor.open(&SecretScope::Global, "A", &sealed), Err(OpenError::Rejected));
    }

    #[test]
    fn rotation_reseals_under_the_new_key_and_everything_stays_readable() {
        let old = KeyRing::new(key("2026-01", 1), vec![]).unwrap();
        let stored: Vec<(SecretScope, String, Sealed)> = (0..5)
            .map(|i| {
                let scope = if i % 2 == 0 { SecretScope::Global } else { repo("acme/api") };
                let name = format!("S{i}");
                let sealed = old.seal(&scope, &name, &format!("value-{i}"), [i as u8; 12]);
                (scope, name, sealed)
            })
            .collect();
        let new = KeyRing::new(key("2026-12", 2), vec![key("2026-01", 1)]).unwrap();
        for (i, (scope, name, sealed)) in stored.iter().enumerate() {
            // During rotation the old values still open.
            assert_eq!(new.open(scope, name, sealed).unwrap(), format!("value-{i}"));
            assert!(new.needs_rotation(sealed));
            let resealed = new.seal(scope, name, &new.open(scope, name, sealed).unwrap(), [9; 12]);
            assert!(!new.needs_rotation(&resealed));
            // After the old key is dropped, the re-sealed values still open.
            let only_new = KeyRing::new(key("2026-12", 2), vec![]).unwrap();
            assert_eq!(only_new.open(scope, name, &resealed).unwrap(), format!("value-{i}"));
        }
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_bad_ones_are_named() {
        assert_eq!(SecretKey::parse("a", KEY_A).unwrap().bytes[31], 0x1f);
        assert_eq!(SecretKey::parse("a", &B64.encode([5u8; 32])).unwrap().bytes, [5; 32]);
        assert!(SecretKey::parse("a", "short").unwrap_err().0.contains("neither"));
        assert!(SecretKey::parse("a", &B64.encode([5u8; 16])).unwrap_err().0.contains("16 bytes"));
        assert!(SecretKey::parse("", KEY_A).unwrap_err().0.contains("key id"));
        assert!(KeyRing::new(key("same", 1), vec![key("same", 2)]).unwrap_err().0.contains("same id"));
        // Debug never prints the key.
        assert!(!format!("{:?}", SecretKey::parse("a", KEY_A).unwrap()).contains("0001"));
    }

    #[test]
    fn bindings_do_not_collide() {
        assert_ne!(binding(&repo("a"), "BC"), binding(&repo("ab"), "C"));
        assert_ne!(binding(&SecretScope::Global, "A"), binding(&repo(""), "A"));
    }
}
