//! Webhook signatures as the contract describes them ("Inbound webhooks"): `Linear-Signature`
//! is the lowercase hex HMAC-SHA256 of the raw body bytes, keyed by the webhook's signing
//! secret, without a prefix.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `Linear-Signature` header value for `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract's local test vector ("Inbound webhooks", Test vector).
    #[test]
    fn contract_test_vector() {
        let body = br#"{"action":"create","type":"Issue","webhookTimestamp":1700000000000}"#;
        assert_eq!(body.len(), 67);
        assert_eq!(
            signature("test-linear-secret", body),
            "55a520ce76eef7b936ad81b00ff7717cbe0c2268822e37f2d1ced76dda70e7ca"
        );
    }
}
