//! The secrets key ring from the Worker's secrets: `SECRETS_KEY` (32 bytes, hex or base64) with
//! its id `SECRETS_KEY_ID` (default `k1`), and during a rotation the key it replaces,
//! `SECRETS_KEY_PREVIOUS` with `SECRETS_KEY_PREVIOUS_ID`.

use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::secrets::crypto::{KeyRing, SecretKey, NONCE_BYTES};
use worker::Env;

use crate::config::{secret, var};

/// The key ring, or why there is none.
pub fn key_ring(env: &Env) -> Result<KeyRing, ApiError> {
    let misconfigured = |message: String| ApiError::new(ErrorCode::Misconfigured, message);
    let Some(current) = secret(env, "SECRETS_KEY") else {
        return Err(misconfigured(
            "secrets are not configured: set the Worker secret SECRETS_KEY (32 random bytes, hex or base64); see docs/security.md".into(),
        ));
    };
    let id = var(env, "SECRETS_KEY_ID").unwrap_or_else(|| "k1".into());
    let current = SecretKey::parse(&id, &current).map_err(|e| misconfigured(format!("SECRETS_KEY: {e}")))?;
    let mut previous = vec![];
    if let Some(text) = secret(env, "SECRETS_KEY_PREVIOUS") {
        let Some(id) = var(env, "SECRETS_KEY_PREVIOUS_ID") else {
            return Err(misconfigured("SECRETS_KEY_PREVIOUS is set without SECRETS_KEY_PREVIOUS_ID".into()));
        };
        previous.push(SecretKey::parse(&id, &text).map_err(|e| misconfigured(format!("SECRETS_KEY_PREVIOUS: {e}")))?);
    }
    KeyRing::new(current, previous).map_err(|e| misconfigured(e.to_string()))
}

/// A fresh nonce from the platform's random source.
pub fn new_nonce() -> [u8; NONCE_BYTES] {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::getrandom(&mut nonce).expect("crypto.getRandomValues is available in workerd");
    nonce
}
