//! Slack's request signatures (v0), on every request Slack sends: Events API deliveries,
//! interactivity, slash commands.
//!
//! `X-Slack-Signature: v0=<hex>` is HMAC-SHA256 keyed with the app's signing secret over
//! `v0:<X-Slack-Request-Timestamp>:<raw body>`, lowercase hex. A request is accepted only when
//! that matches (compared in constant time) and the timestamp is within [`WINDOW_SECS`] of now,
//! either way, so a captured request cannot be replayed later. An empty secret verifies nothing.

use oi_protocol::ErrorCode;

use crate::inbound::Refusal;
use crate::signature::{hmac_sha256_hex, verify_hex, BAD_SIGNATURE, MISSING_SIGNATURE, STALE_TIMESTAMP};

pub const SIGNATURE_HEADER: &str = "X-Slack-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Slack-Request-Timestamp";
/// How far the request's timestamp may be from now, either way (Slack's SDKs use 5 minutes).
pub const WINDOW_SECS: i64 = 300;
/// The version prefix of the signature.
const VERSION: &str = "v0";

fn base_string(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{VERSION}:{timestamp}:").into_bytes();
    message.extend_from_slice(body);
    message
}

fn refuse(reason: &str) -> Refusal {
    Refusal::new(ErrorCode::Unauthorized, reason)
}

/// The `X-Slack-Signature` value for a body sent at `timestamp_secs`: `v0=<hex>` (used by
/// tests and by the Slack test double).
pub fn sign(signing_secret: &str, body: &[u8], timestamp_secs: i64) -> String {
    let message = base_string(&timestamp_secs.to_string(), body);
    format!("{VERSION}={}", hmac_sha256_hex(signing_secret.as_bytes(), &message))
}

/// Verifies a request from Slack on its raw body. Either header missing: "missing signature";
/// a timestamp that is not a whole number of seconds, a signature without `v0=`, or one that
/// does not match: "bad signature"; a matching one outside the window: "stale timestamp". All
/// are `unauthorized`.
pub fn verify(
    signing_secret: &str,
    body: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    now_ms: i64,
) -> Result<(), Refusal> {
    let (Some(timestamp), Some(signature)) = (timestamp.map(str::trim), signature.map(str::trim)) else {
        return Err(refuse(MISSING_SIGNATURE));
    };
    let ts: i64 = match timestamp.parse() {
        Ok(ts) if timestamp.bytes().all(|b| b.is_ascii_digit()) => ts,
        _ => return Err(refuse(BAD_SIGNATURE)),
    };
    let Some(hex) = signature.strip_prefix("v0=") else { return Err(refuse(BAD_SIGNATURE)) };
    let good = verify_hex(signing_secret.as_bytes(), &base_string(timestamp, body), hex);
    if !good || signing_secret.is_empty() {
        return Err(refuse(BAD_SIGNATURE));
    }
    if (now_ms.div_euclid(1000) - ts).abs() > WINDOW_SECS {
        return Err(refuse(STALE_TIMESTAMP));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's own vector (shared/contracts/slack/README.md, from python-slack-sdk's tests).
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TS: i64 = 1531420618;
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const WANT: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slacks_vector() {
        assert_eq!(sign(SECRET, BODY.as_bytes(), TS), WANT);
    }

    #[test]
    fn verdicts() {
        let now = TS * 1000 + 999;
        let upper = format!("v0={}", WANT[3..].to_uppercase());
        let ts = TS.to_string();
        let edge_late = ((TS + WINDOW_SECS) * 1000, Ok(()));
        let edge_early = ((TS - WINDOW_SECS) * 1000, Ok(()));
        /// Name, secret, body, timestamp header, signature header, now, and the verdict.
        type Case<'a> = (&'a str, &'a str, &'a [u8], Option<&'a str>, Option<&'a str>, i64, Result<(), &'a str>);
        let b = BODY.as_bytes();
        let empty_secret = sign("", b, TS);
        let v1 = WANT.replacen("v0", "v1", 1);
        let cases: Vec<Case> = vec![
            ("the vector", SECRET, b, Some(&ts), Some(WANT), now, Ok(())),
            ("uppercase hex", SECRET, b, Some(&ts), Some(&upper), now, Ok(())),
            (
                "spaces around the headers",
                SECRET,
                b,
                Some(" 1531420618 "),
                Some(" v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"),
                now,
                Ok(()),
            ),
            ("300 s later", SECRET, b, Some(&ts), Some(WANT), edge_late.0, edge_late.1),
            ("300 s earlier", SECRET, b, Some(&ts), Some(WANT), edge_early.0, edge_early.1),
            ("stale", SECRET, b, Some(&ts), Some(WANT), (TS + WINDOW_SECS + 1) * 1000, Err(STALE_TIMESTAMP)),
            ("from the future", SECRET, b, Some(&ts), Some(WANT), (TS - WINDOW_SECS - 1) * 1000, Err(STALE_TIMESTAMP)),
            ("wrong secret", "other", b, Some(&ts), Some(WANT), now, Err(BAD_SIGNATURE)),
            ("empty secret", "", b, Some(&ts), Some(&empty_secret), now, Err(BAD_SIGNATURE)),
            ("body changed", SECRET, b"token=x", Some(&ts), Some(WANT), now, Err(BAD_SIGNATURE)),
            ("timestamp changed", SECRET, b, Some("1531420619"), Some(WANT), now, Err(BAD_SIGNATURE)),
            ("no v0=", SECRET, b, Some(&ts), Some(&WANT[3..]), now, Err(BAD_SIGNATURE)),
            ("v1=", SECRET, b, Some(&ts), Some(&v1), now, Err(BAD_SIGNATURE)),
            ("cut short", SECRET, b, Some(&ts), Some(&WANT[..40]), now, Err(BAD_SIGNATURE)),
            ("not hex", SECRET, b, Some(&ts), Some("v0=zz"), now, Err(BAD_SIGNATURE)),
            ("empty signature", SECRET, b, Some(&ts), Some(""), now, Err(BAD_SIGNATURE)),
            ("timestamp not a number", SECRET, b, Some("soon"), Some(WANT), now, Err(BAD_SIGNATURE)),
            ("negative timestamp", SECRET, b, Some("-5"), Some(WANT), now, Err(BAD_SIGNATURE)),
            ("timestamp in ms", SECRET, b, Some("1531420618000"), Some(WANT), now, Err(BAD_SIGNATURE)),
            ("no signature", SECRET, b, Some(&ts), None, now, Err(MISSING_SIGNATURE)),
            ("no timestamp", SECRET, b, None, Some(WANT), now, Err(MISSING_SIGNATURE)),
            ("nothing", SECRET, b, None, None, now, Err(MISSING_SIGNATURE)),
        ];
        for (name, secret, body, timestamp, signature, now, want) in cases {
            let got = verify(secret, body, timestamp, signature, now);
            assert_eq!(got.as_ref().map(|_| ()).map_err(|r| r.reason.as_str()), want, "{name}");
            if let Err(r) = got {
                assert_eq!((r.code, r.status()), (ErrorCode::Unauthorized, 401), "{name}");
            }
        }
    }

    #[test]
    fn signs_what_it_verifies() {
        let body = br#"{"type":"event_callback"}"#;
        let now = 1_767_225_600_000;
        let signature = sign("s3cret", body, now / 1000);
        assert!(verify("s3cret", body, Some("1767225600"), Some(&signature), now).is_ok());
    }
}
