//! Delivery signatures: HMAC-SHA256 over the raw body bytes, compared in constant time.
//!
//! Our own scheme signs a timestamp with the body (`X-OI-Signature-256: t=<unix seconds>,
//! v1=<hex>`), so a captured delivery cannot be replayed after [`TIMESTAMP_WINDOW_SECS`]; it is
//! used by webhook senders and by the notices automations send. GitHub's `X-Hub-Signature-256`
//! and a bearer secret are accepted too, for senders that cannot compute ours. Sentry signs the
//! body alone with the integration's client secret.

use hmac::{Hmac, Mac};
use oi_protocol::ErrorCode;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::inbound::Refusal;

pub const OI_SIGNATURE_HEADER: &str = "X-OI-Signature-256";
pub const HUB_SIGNATURE_HEADER: &str = "X-Hub-Signature-256";
pub const SENTRY_SIGNATURE_HEADER: &str = "Sentry-Hook-Signature";
/// How far a signed timestamp may be from now, either way.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

/// Refusal reasons (all `unauthorized`).
pub const MISSING_SIGNATURE: &str = "missing signature";
pub const BAD_SIGNATURE: &str = "bad signature";
pub const STALE_TIMESTAMP: &str = "stale timestamp";

fn mac(secret: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Lowercase hex HMAC-SHA256.
pub fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    hex::encode(mac(secret, message))
}

/// Whether `given_hex` (either case) is the HMAC-SHA256 of `message`, compared in constant time.
pub fn verify_hex(secret: &[u8], message: &[u8], given_hex: &str) -> bool {
    match hex::decode(given_hex.trim()) {
        Ok(given) => given.len() == 32 && bool::from(given.ct_eq(&mac(secret, message))),
        Err(_) => false,
    }
}

fn oi_message(t: i64, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(body);
    message
}

/// The `X-OI-Signature-256` value for a body sent at `now_ms`:
/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn sign_oi(secret: &str, body: &[u8], now_ms: i64) -> String {
    let t = now_ms.div_euclid(1000);
    format!("t={t},v1={}", hmac_sha256_hex(secret.as_bytes(), &oi_message(t, body)))
}

/// The signature headers of a webhook delivery, as received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookHeaders<'a> {
    pub oi_signature: Option<&'a str>,
    pub hub_signature: Option<&'a str>,
    pub authorization: Option<&'a str>,
}

fn refuse(reason: &str) -> Refusal {
    Refusal::new(ErrorCode::Unauthorized, reason)
}

/// Verifies a webhook delivery to an automation on its raw body, by the first of these present:
/// 1. `X-OI-Signature-256: t=…,v1=…` (several `v1=` may be given, one must match; `t` must be
///    within [`TIMESTAMP_WINDOW_SECS`] of now, else "stale timestamp");
/// 2. `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>` (GitHub's, no timestamp);
/// 3. `Authorization: Bearer <secret>`.
///
/// None present: "missing signature"; wrong or malformed: "bad signature". An empty secret
/// verifies nothing.
pub fn verify_webhook(secret: &str, body: &[u8], headers: &WebhookHeaders<'_>, now_ms: i64) -> Result<(), Refusal> {
    let secret_ok = !secret.is_empty();
    if let Some(value) = headers.oi_signature {
        let (t, signatures) = parse_oi(value).ok_or_else(|| refuse(BAD_SIGNATURE))?;
        let message = oi_message(t, body);
        let mut good = false;
        for signature in signatures {
            good |= verify_hex(secret.as_bytes(), &message, signature);
        }
        if !(good && secret_ok) {
            return Err(refuse(BAD_SIGNATURE));
        }
        if (now_ms.div_euclid(1000) - t).abs() > TIMESTAMP_WINDOW_SECS {
            return Err(refuse(STALE_TIMESTAMP));
        }
        return Ok(());
    }
    if let Some(value) = headers.hub_signature {
        let good = match value.trim().split_once('=') {
            Some((scheme, hex)) if scheme.eq_ignore_ascii_case("sha256") => verify_hex(secret.as_bytes(), body, hex),
            _ => false,
        };
        return if good && secret_ok { Ok(()) } else { Err(refuse(BAD_SIGNATURE)) };
    }
    if let Some(value) = headers.authorization {
        let given = match value.trim().split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Err(refuse(BAD_SIGNATURE)),
        };
        // Hashes first, so the comparison takes the same time whatever the lengths.
        let good = Sha256::digest(given.as_bytes()).ct_eq(&Sha256::digest(secret.as_bytes()));
        return if bool::from(good) && secret_ok { Ok(()) } else { Err(refuse(BAD_SIGNATURE)) };
    }
    Err(refuse(MISSING_SIGNATURE))
}

/// `t=<seconds>,v1=<hex>[,v1=<hex>…]`, in any order; unknown keys are ignored.
fn parse_oi(value: &str) -> Option<(i64, Vec<&str>)> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in value.split(',') {
        let (key, val) = part.trim().split_once('=')?;
        match key.trim() {
            "t" if t.is_none() => t = Some(val.trim().parse::<i64>().ok()?),
            "t" => return None,
            "v1" => signatures.push(val.trim()),
            _ => {}
        }
    }
    if signatures.is_empty() {
        return None;
    }
    Some((t?, signatures))
}

/// Verifies a Sentry delivery: `Sentry-Hook-Signature` is the hex HMAC-SHA256 of the raw body
/// with the integration's client secret (Sentry signs no timestamp).
pub fn verify_sentry(client_secret: &str, body: &[u8], signature: Option<&str>) -> Result<(), Refusal> {
    let signature = signature.ok_or_else(|| refuse(MISSING_SIGNATURE))?;
    if !client_secret.is_empty() && verify_hex(client_secret.as_bytes(), body, signature) {
        Ok(())
    } else {
        Err(refuse(BAD_SIGNATURE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_vectors() {
        // RFC 4231, section 4.2 (test case 1) and 4.3 (test case 2), HMAC-SHA-256.
        let cases: &[(&[u8], &[u8], &str)] = &[
            (&[0x0b; 20], b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(hmac_sha256_hex(key, data), *want);
            assert!(verify_hex(key, data, want));
            assert!(verify_hex(key, data, &want.to_uppercase()));
            assert!(!verify_hex(key, b"other", want));
            assert!(!verify_hex(key, data, &want[..62]));
            assert!(!verify_hex(key, data, "zz"));
        }
    }

    const NOW: i64 = 1_767_225_600_000;

    fn headers<'a>(oi: Option<&'a str>, hub: Option<&'a str>, auth: Option<&'a str>) -> WebhookHeaders<'a> {
        WebhookHeaders { oi_signature: oi, hub_signature: hub, authorization: auth }
    }

    #[test]
    fn webhooks() {
        // GitHub's published example (docs: "Validating webhook deliveries").
        let github_secret = "It's a Secret to Everybody";
        let github_body = b"Hello, World!";
        let github_sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        let body = br#"{"action":"opened"}"#;
        let ours = sign_oi("s3cret", body, NOW);
        let stale = sign_oi("s3cret", body, NOW - (TIMESTAMP_WINDOW_SECS + 1) * 1000);
        let future = sign_oi("s3cret", body, NOW + (TIMESTAMP_WINDOW_SECS + 1) * 1000);
        let edge = sign_oi("s3cret", body, NOW - TIMESTAMP_WINDOW_SECS * 1000);
        let upper = ours.to_uppercase().replacen("T=", "t=", 1).replacen("V1=", "v1=", 1);
        let rotated = format!("{},v1={}", ours, "0".repeat(64));
        let github_upper = github_sig.to_uppercase();
        let hub_ours = format!("sha256={}", hmac_sha256_hex(b"s3cret", body));
        /// Name, secret, body, headers, and the verdict (the refusal's reason).
        type Case<'a> = (&'a str, &'a str, &'a [u8], WebhookHeaders<'a>, Result<(), &'a str>);
        let cases: Vec<Case> = vec![
            ("ours", "s3cret", body, headers(Some(&ours), None, None), Ok(())),
            ("ours, uppercase hex", "s3cret", body, headers(Some(&upper), None, None), Ok(())),
            ("ours, two v1 (one good)", "s3cret", body, headers(Some(&rotated), None, None), Ok(())),
            ("ours, at the window's edge", "s3cret", body, headers(Some(&edge), None, None), Ok(())),
            ("ours, stale", "s3cret", body, headers(Some(&stale), None, None), Err(STALE_TIMESTAMP)),
            ("ours, from the future", "s3cret", body, headers(Some(&future), None, None), Err(STALE_TIMESTAMP)),
            ("ours, wrong secret", "other", body, headers(Some(&ours), None, None), Err(BAD_SIGNATURE)),
            ("ours, body changed", "s3cret", b"{}", headers(Some(&ours), None, None), Err(BAD_SIGNATURE)),
            ("ours, no t", "s3cret", body, headers(Some("v1=abcd"), None, None), Err(BAD_SIGNATURE)),
            ("ours, no v1", "s3cret", body, headers(Some("t=1767225600"), None, None), Err(BAD_SIGNATURE)),
            ("ours, junk", "s3cret", body, headers(Some("sha256=abcd"), None, None), Err(BAD_SIGNATURE)),
            (
                "ours wins over a good hub",
                "s3cret",
                body,
                headers(Some("t=1,v1=00"), Some(&hub_ours), None),
                Err(BAD_SIGNATURE),
            ),
            ("GitHub's example", github_secret, github_body, headers(None, Some(github_sig), None), Ok(())),
            ("GitHub's, uppercase", github_secret, github_body, headers(None, Some(&github_upper), None), Ok(())),
            ("GitHub's, wrong secret", "nope", github_body, headers(None, Some(github_sig), None), Err(BAD_SIGNATURE)),
            (
                "hub without sha256=",
                github_secret,
                github_body,
                headers(None, Some(&github_sig[7..]), None),
                Err(BAD_SIGNATURE),
            ),
            ("hub sha1", github_secret, github_body, headers(None, Some("sha1=0123"), None), Err(BAD_SIGNATURE)),
            ("bearer", "s3cret", body, headers(None, None, Some("Bearer s3cret")), Ok(())),
            ("bearer, lowercase scheme", "s3cret", body, headers(None, None, Some("bearer s3cret")), Ok(())),
            ("bearer, wrong", "s3cret", body, headers(None, None, Some("Bearer s3cre")), Err(BAD_SIGNATURE)),
            ("basic", "s3cret", body, headers(None, None, Some("Basic czNjcmV0")), Err(BAD_SIGNATURE)),
            ("bearer, empty secret", "", body, headers(None, None, Some("Bearer ")), Err(BAD_SIGNATURE)),
            ("nothing", "s3cret", body, headers(None, None, None), Err(MISSING_SIGNATURE)),
        ];
        for (name, secret, body, headers, want) in cases {
            let got = verify_webhook(secret, body, &headers, NOW);
            assert_eq!(got.as_ref().map(|_| ()).map_err(|r| r.reason.as_str()), want, "{name}");
            if let Err(r) = got {
                assert_eq!(r.code, ErrorCode::Unauthorized, "{name}");
            }
        }
    }

    #[test]
    fn our_header_format() {
        let value = sign_oi("s3cret", b"{}", 1_767_225_600_999);
        let (t, v1) = value.split_once(",v1=").unwrap();
        assert_eq!(t, "t=1767225600");
        assert_eq!(v1, hmac_sha256_hex(b"s3cret", b"1767225600.{}"));
    }

    #[test]
    fn sentry() {
        // The contracts' vector (shared/contracts/sentry/README.md, computed with Python's hmac).
        let body = r#"{"action": "created", "installation": {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"}, "data": {}, "actor": {"type": "application", "id": "sentry", "name": "Sentry"}}"#;
        let want = "bf1633ec68fe538d8ae2d4a28f388a2b0e083a9f2d9897fcc245a4c2eca93cf9";
        assert_eq!(hmac_sha256_hex(b"test-sentry-client-secret", body.as_bytes()), want);
        // The recorded issue.created file's bytes (Python's hmac over the file).
        let file = include_bytes!("../tests/fixtures/sentry/issue.created.json");
        let file_sig = "4bdd7541333f86a5ef6c26c36a7edf40ebc32258b78ea38fd6ee3ad55d1d9788";
        let secret = "test-sentry-client-secret";
        /// Client secret, body, signature header, and the verdict (the refusal's reason).
        type Case<'a> = (&'a str, &'a [u8], Option<&'a str>, Result<(), &'a str>);
        let cases: &[Case] = &[
            (secret, body.as_bytes(), Some(want), Ok(())),
            (secret, body.as_bytes(), Some(&want.to_uppercase()), Ok(())),
            (secret, file, Some(file_sig), Ok(())),
            (secret, file, Some(want), Err(BAD_SIGNATURE)),
            ("other-secret", body.as_bytes(), Some(want), Err(BAD_SIGNATURE)),
            (secret, body.as_bytes(), Some("sha256=bf16"), Err(BAD_SIGNATURE)),
            (secret, body.as_bytes(), Some(""), Err(BAD_SIGNATURE)),
            ("", body.as_bytes(), Some(want), Err(BAD_SIGNATURE)),
            (secret, body.as_bytes(), None, Err(MISSING_SIGNATURE)),
        ];
        for (secret, body, signature, want) in cases {
            let got = verify_sentry(secret, body, *signature);
            assert_eq!(got.as_ref().map(|_| ()).map_err(|r| r.reason.as_str()), *want, "{secret} {signature:?}");
        }
    }
}
