//! Is a webhook delivery from GitHub? GitHub signs the raw body with the webhook secret
//! (HMAC-SHA256) and sends `X-Hub-Signature-256: sha256=<lowercase hex>`. No timestamp is
//! signed, so replays can only be caught by remembering `X-GitHub-Delivery` ids (the caller's
//! job). The digest is compared in constant time.
//!
//! Check the body exactly as delivered, before parsing it: re-serialised JSON does not match.

use hmac::{Hmac, Mac};
use oi_protocol::{ApiError, ErrorCode};
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

const PREFIX: &str = "sha256=";
/// A SHA-256 digest in hex.
const HEX_LEN: usize = 64;

/// Why a delivery is refused. Messages name the problem, never the secret or the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookRefusal {
    /// No webhook secret is configured: every delivery is refused rather than trusted.
    NoSecret,
    /// The delivery has no `X-Hub-Signature-256` header.
    MissingSignature,
    /// The header is not `sha256=` followed by 64 hex digits.
    MalformedSignature,
    /// The signature does not match the body and the secret.
    Mismatch,
}

impl WebhookRefusal {
    pub fn message(self) -> &'static str {
        match self {
            WebhookRefusal::NoSecret => "no GitHub webhook secret is configured, so no delivery can be verified",
            WebhookRefusal::MissingSignature => "the delivery has no X-Hub-Signature-256 header",
            WebhookRefusal::MalformedSignature => {
                "the X-Hub-Signature-256 header is not `sha256=` followed by 64 hex digits"
            }
            WebhookRefusal::Mismatch => {
                "the X-Hub-Signature-256 signature does not match the body (wrong webhook secret, or the body was changed)"
            }
        }
    }
}

impl std::fmt::Display for WebhookRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for WebhookRefusal {}

impl From<WebhookRefusal> for ApiError {
    /// A missing secret is the deployment's fault (503); the rest are the sender's (401).
    fn from(refused: WebhookRefusal) -> Self {
        let code = match refused {
            WebhookRefusal::NoSecret => ErrorCode::Misconfigured,
            _ => ErrorCode::Unauthorized,
        };
        ApiError::new(code, refused.message())
    }
}

fn mac(secret: &[u8], body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac
}

/// Checks `header` (the `X-Hub-Signature-256` value, if any) against `body` and `secret`.
pub fn verify_signature(secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), WebhookRefusal> {
    if secret.is_empty() {
        return Err(WebhookRefusal::NoSecret);
    }
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(WebhookRefusal::MissingSignature)?;
    let digest =
        header.strip_prefix(PREFIX).filter(|d| d.len() == HEX_LEN).ok_or(WebhookRefusal::MalformedSignature)?;
    let digest = hex::decode(digest).map_err(|_| WebhookRefusal::MalformedSignature)?;
    mac(secret, body).verify_slice(&digest).map_err(|_| WebhookRefusal::Mismatch)
}

/// The header value GitHub would send for `body` (for test doubles and tests).
pub fn signature_header(secret: &[u8], body: &[u8]) -> String {
    format!("{PREFIX}{}", hex::encode(mac(secret, body).finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's published test vector (validating-webhook-deliveries).
    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    const PULL_REQUEST: &str = include_str!("../../tests/fixtures/github/webhooks/pull_request.opened.json");

    #[test]
    fn githubs_test_vector() {
        assert_eq!(signature_header(SECRET, BODY), SIGNATURE);
        assert_eq!(verify_signature(SECRET, BODY, Some(SIGNATURE)), Ok(()));
    }

    #[test]
    fn a_recorded_payload_signed_here_verifies_byte_for_byte() {
        let secret = b"whsec-test-only";
        let body = PULL_REQUEST.as_bytes();
        let header = signature_header(secret, body);
        assert_eq!(verify_signature(secret, body, Some(&header)), Ok(()));

        // One byte changed, or the same JSON re-serialised: refused.
        let mut changed = body.to_vec();
        let at = changed.iter().position(|b| *b == b'2').unwrap();
        changed[at] = b'3';
        assert_eq!(verify_signature(secret, &changed, Some(&header)), Err(WebhookRefusal::Mismatch));
        let value: serde_json::Value = serde_json::from_slice(body).unwrap();
        let reserialised = serde_json::to_vec(&value).unwrap();
        assert_eq!(verify_signature(secret, &reserialised, Some(&header)), Err(WebhookRefusal::Mismatch));
    }

    #[test]
    fn a_wrong_secret_or_body_is_a_mismatch() {
        assert_eq!(verify_signature(b"another secret", BODY, Some(SIGNATURE)), Err(WebhookRefusal::Mismatch));
        assert_eq!(verify_signature(SECRET, b"Hello, World?", Some(SIGNATURE)), Err(WebhookRefusal::Mismatch));
        assert_eq!(verify_signature(SECRET, b"", Some(SIGNATURE)), Err(WebhookRefusal::Mismatch));
        let zeros = format!("sha256={}", "0".repeat(64));
        assert_eq!(verify_signature(SECRET, BODY, Some(&zeros)), Err(WebhookRefusal::Mismatch));
    }

    #[test]
    fn uppercase_hex_and_surrounding_spaces_are_accepted() {
        let upper = format!("sha256={}", SIGNATURE.strip_prefix("sha256=").unwrap().to_uppercase());
        assert_eq!(verify_signature(SECRET, BODY, Some(&upper)), Ok(()));
        assert_eq!(verify_signature(SECRET, BODY, Some(&format!(" {SIGNATURE} "))), Ok(()));
    }

    #[test]
    fn a_missing_header_is_refused() {
        assert_eq!(verify_signature(SECRET, BODY, None), Err(WebhookRefusal::MissingSignature));
        assert_eq!(verify_signature(SECRET, BODY, Some("")), Err(WebhookRefusal::MissingSignature));
        assert_eq!(verify_signature(SECRET, BODY, Some("   ")), Err(WebhookRefusal::MissingSignature));
    }

    #[test]
    fn a_malformed_header_is_refused() {
        let digest = SIGNATURE.strip_prefix("sha256=").unwrap();
        for header in [
            digest.to_string(),                   // no prefix
            format!("sha1={digest}"),             // the legacy algorithm's prefix
            format!("SHA256={digest}"),           // the prefix is lowercase
            format!("sha256={}", &digest[..63]),  // too short
            format!("sha256={digest}0"),          // too long
            format!("sha256={}g", &digest[..63]), // not hex
            format!("sha256= {digest}"),
            "sha256=".to_string(),
        ] {
            assert_eq!(
                verify_signature(SECRET, BODY, Some(&header)),
                Err(WebhookRefusal::MalformedSignature),
                "{header}"
            );
        }
    }

    #[test]
    fn without_a_secret_every_delivery_is_refused() {
        let unkeyed = signature_header(b"", BODY);
        assert_eq!(verify_signature(b"", BODY, Some(&unkeyed)), Err(WebhookRefusal::NoSecret));
    }

    #[test]
    fn messages_never_echo_the_secret_or_the_digest() {
        let digest = SIGNATURE.strip_prefix("sha256=").unwrap();
        for refusal in [
            WebhookRefusal::NoSecret,
            WebhookRefusal::MissingSignature,
            WebhookRefusal::MalformedSignature,
            WebhookRefusal::Mismatch,
        ] {
            let message = refusal.to_string();
            assert!(!message.contains("Secret to Everybody") && !message.contains(digest), "{message}");
            let error: ApiError = refusal.into();
            let code =
                if refusal == WebhookRefusal::NoSecret { ErrorCode::Misconfigured } else { ErrorCode::Unauthorized };
            assert_eq!(error.code, code);
            assert_eq!(error.message, message);
        }
    }
}
