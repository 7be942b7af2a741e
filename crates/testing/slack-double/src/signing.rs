//! Slack's request signing, written here apart from the product's own so that a test checks
//! one against the other (shared/contracts/slack/README.md, "Inbound request signing"):
//! `X-Slack-Signature: v0=<lowercase hex HMAC-SHA256(signing secret, "v0:<ts>:<raw body>")>`
//! with `X-Slack-Request-Timestamp: <ts>` (unix seconds); a receiver rejects timestamps more
//! than 300 s from its clock.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from the receiver's clock (Slack: five minutes).
pub const TOLERANCE_SECS: i64 = 300;

/// The `X-Slack-Signature` value for `body` sent at `timestamp` (unix seconds, as the header
/// carries it).
pub fn signature(signing_secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_secret.as_bytes()).expect("any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a request as Slack's own verifier does: the timestamp within
/// [`TOLERANCE_SECS`] of `now` (unix seconds) and the signature equal, compared in constant
/// time.
pub fn verify(signing_secret: &str, timestamp: &str, body: &[u8], signature_header: &str, now: i64) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else { return false };
    if (now - ts).abs() > TOLERANCE_SECS {
        return false;
    }
    let expected = signature(signing_secret, timestamp, body);
    constant_time_eq(expected.as_bytes(), signature_header.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's published vector (shared/contracts/slack/README.md, source S7).
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const EXPECTED: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slacks_published_vector() {
        assert_eq!(signature(SECRET, TIMESTAMP, BODY.as_bytes()), EXPECTED);
    }

    #[test]
    fn verification_window_and_tampering() {
        let now = 1_531_420_618;
        assert!(verify(SECRET, TIMESTAMP, BODY.as_bytes(), EXPECTED, now));
        assert!(verify(SECRET, TIMESTAMP, BODY.as_bytes(), EXPECTED, now + TOLERANCE_SECS));
        assert!(!verify(SECRET, TIMESTAMP, BODY.as_bytes(), EXPECTED, now + TOLERANCE_SECS + 1));
        assert!(!verify(SECRET, TIMESTAMP, BODY.as_bytes(), EXPECTED, now - TOLERANCE_SECS - 1));
        assert!(!verify(SECRET, TIMESTAMP, b"token=other", EXPECTED, now));
        assert!(!verify("another-secret", TIMESTAMP, BODY.as_bytes(), EXPECTED, now));
        assert!(!verify(SECRET, "not a number", BODY.as_bytes(), EXPECTED, now));
        assert!(!verify(SECRET, TIMESTAMP, BODY.as_bytes(), &EXPECTED.to_uppercase(), now));
    }
}
