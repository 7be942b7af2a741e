//! Signatures as senders and receivers compute them, written apart from the product's own
//! (`oi_integrations::signature`) so that a test checks one against the other.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Lowercase hex HMAC-SHA256.
pub fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Open Inspect's webhook scheme, as docs/automations.md tells a sender to compute it:
/// `X-OI-Signature-256: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn oi_signature(secret: &str, body: &[u8], unix_seconds: i64) -> String {
    let mut message = format!("{unix_seconds}.").into_bytes();
    message.extend_from_slice(body);
    format!("t={unix_seconds},v1={}", hmac_hex(secret, &message))
}

/// GitHub's scheme (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`).
pub fn hub_signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hmac_hex(secret, body))
}

/// Checks an `X-OI-Signature-256` header value as a receiver would.
pub fn verify_oi(secret: &str, body: &[u8], header: &str) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value.to_string()),
            _ => {}
        }
    }
    match (t, v1) {
        (Some(t), Some(v1)) => oi_signature(secret, body, t) == format!("t={t},v1={v1}"),
        _ => false,
    }
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_vectors() {
        // GitHub's published example (docs: "Validating webhook deliveries").
        assert_eq!(
            hub_signature("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        // RFC 4231 test case 2.
        assert_eq!(
            hmac_hex("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The Sentry contract's vector (shared/contracts/sentry/README.md).
        let body = br#"{"action": "created", "installation": {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"}, "data": {}, "actor": {"type": "application", "id": "sentry", "name": "Sentry"}}"#;
        assert_eq!(
            hmac_hex("test-sentry-client-secret", body),
            "bf1633ec68fe538d8ae2d4a28f388a2b0e083a9f2d9897fcc245a4c2eca93cf9"
        );
        let header = oi_signature("s3cret", b"{}", 1_700_000_000);
        assert!(verify_oi("s3cret", b"{}", &header));
        assert!(!verify_oi("other", b"{}", &header));
        assert!(!verify_oi("s3cret", b"{ }", &header));
    }
}
