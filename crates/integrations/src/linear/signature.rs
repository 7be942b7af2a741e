//! Linear's webhook signatures (shared/contracts/linear/README.md, "Inbound webhooks").
//!
//! `Linear-Signature: <hex>` is HMAC-SHA256 keyed with the webhook's signing secret over the raw
//! body, lowercase hex with no prefix. The time it was sent is the body's `webhookTimestamp`
//! (Unix milliseconds; the `Linear-Timestamp` header only when the body has none).
//!
//! Invariant: a delivery is accepted only when its signature matches (compared in constant
//! time, checked first, as Linear's SDK does) and its timestamp is within [`WINDOW_MS`] of now,
//! either way. An empty secret verifies nothing. Every refusal carries its status: 401 for a
//! missing or wrong signature and for a stale timestamp, 400 for a signed body that says no
//! usable time.

use oi_protocol::ErrorCode;
use serde_json::Value;

use crate::inbound::Refusal;
use crate::signature::{hmac_sha256_hex, verify_hex, BAD_SIGNATURE, MISSING_SIGNATURE, STALE_TIMESTAMP};

pub const SIGNATURE_HEADER: &str = "Linear-Signature";
/// Read only when the body has no `webhookTimestamp`.
pub const TIMESTAMP_HEADER: &str = "Linear-Timestamp";
/// How far the delivery's timestamp may be from now, either way (Linear's SDK: one minute).
pub const WINDOW_MS: i64 = 60_000;
/// The refusal reason for a signed body without a usable time (`invalid_request`).
pub const NO_TIMESTAMP: &str = "the delivery has no webhookTimestamp";

fn refuse(reason: &str) -> Refusal {
    Refusal::new(ErrorCode::Unauthorized, reason)
}

/// The `Linear-Signature` value for a body (used by tests and by a Linear test double).
pub fn sign(secret: &str, body: &[u8]) -> String {
    hmac_sha256_hex(secret.as_bytes(), body)
}

/// A time in Unix milliseconds, as JSON (`webhookTimestamp` is a GraphQL Float) or as a header's
/// digits: whole, or with a fraction that is dropped.
fn millis(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.trunc() as i64)),
        Value::String(s) => header_millis(s),
        _ => None,
    }
}

fn header_millis(value: &str) -> Option<i64> {
    let value = value.trim();
    let whole = value.split_once('.').map_or(value, |(whole, _)| whole);
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole.parse().ok()
}

/// Verifies a delivery from Linear on its raw body: the signature first (absent: "missing
/// signature"; wrong, malformed, or an empty secret: "bad signature"), then the time sent,
/// `webhookTimestamp` from the body or else `timestamp_header` (neither usable:
/// [`NO_TIMESTAMP`], 400; more than [`WINDOW_MS`] from `now_ms`: "stale timestamp", 401). A
/// signed body that is not JSON is `bad_json`.
pub fn verify(
    secret: &str,
    raw_body: &[u8],
    signature_header: Option<&str>,
    timestamp_header: Option<&str>,
    now_ms: i64,
) -> Result<(), Refusal> {
    let signature = signature_header.map(str::trim).ok_or_else(|| refuse(MISSING_SIGNATURE))?;
    if secret.is_empty() || !verify_hex(secret.as_bytes(), raw_body, signature) {
        return Err(refuse(BAD_SIGNATURE));
    }
    let body: Value = serde_json::from_slice(raw_body)
        .map_err(|e| Refusal::new(ErrorCode::BadJson, format!("the body is not JSON: {e}")))?;
    let sent_ms = match body.get("webhookTimestamp").filter(|v| !v.is_null()) {
        Some(value) => millis(value),
        None => timestamp_header.and_then(header_millis),
    }
    .ok_or_else(|| Refusal::new(ErrorCode::InvalidRequest, NO_TIMESTAMP))?;
    if now_ms.saturating_sub(sent_ms).saturating_abs() > WINDOW_MS {
        return Err(refuse(STALE_TIMESTAMP));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The contract's vector (shared/contracts/linear/README.md, computed with Python's hmac).
    const SECRET: &str = "test-linear-secret";
    const BODY: &str = r#"{"action":"create","type":"Issue","webhookTimestamp":1700000000000}"#;
    const WANT: &str = "55a520ce76eef7b936ad81b00ff7717cbe0c2268822e37f2d1ced76dda70e7ca";
    const SENT: i64 = 1_700_000_000_000;

    #[test]
    fn the_contracts_vector() {
        assert_eq!(BODY.len(), 67);
        assert_eq!(sign(SECRET, BODY.as_bytes()), WANT);
        assert!(verify(SECRET, BODY.as_bytes(), Some(WANT), None, SENT).is_ok());
    }

    #[test]
    fn the_recorded_deliveries() {
        // Python's hmac over the fixture files' bytes, as stored.
        let cases: &[(&[u8], &str, i64)] = &[
            (
                include_bytes!("../../tests/fixtures/linear/agent_session_event.created.json"),
                "450e5549c97819e2a7a145b9f0f6349ad337b969a91b02cefea62b1eae62bfdc",
                1_784_714_400_000,
            ),
            (
                include_bytes!("../../tests/fixtures/linear/agent_session_event.prompted.json"),
                "085181e8850ed26d89598006dd4d4c6123b4118cad1d8587d9bd78f4ca13466a",
                1_784_714_700_000,
            ),
        ];
        for (body, signature, sent) in cases {
            assert!(verify(SECRET, body, Some(signature), None, sent + 5_000).is_ok(), "{signature}");
            let refused = verify(SECRET, body, Some(signature), None, sent + WINDOW_MS + 1).unwrap_err();
            assert_eq!((refused.status(), refused.reason.as_str()), (401, STALE_TIMESTAMP));
        }
    }

    #[test]
    fn verdicts() {
        let body = BODY.as_bytes();
        let upper = WANT.to_uppercase();
        let padded = format!(" {WANT} ");
        let prefixed = format!("sha256={WANT}");
        let no_time = br#"{"action":"create","type":"Issue"}"#;
        let no_time_sig = sign(SECRET, no_time);
        let text_time = br#"{"webhookTimestamp":"1700000000000"}"#;
        let text_time_sig = sign(SECRET, text_time);
        let float_time = br#"{"webhookTimestamp":1700000000000.75}"#;
        let float_time_sig = sign(SECRET, float_time);
        let bad_time = br#"{"webhookTimestamp":true}"#;
        let bad_time_sig = sign(SECRET, bad_time);
        let not_json = b"webhookTimestamp=1700000000000";
        let not_json_sig = sign(SECRET, not_json);
        let empty_secret_sig = sign("", body);
        /// Name, secret, body, signature, timestamp header, now, and the refusal (code, reason).
        type Case<'a> =
            (&'a str, &'a str, &'a [u8], Option<&'a str>, Option<&'a str>, i64, Option<(ErrorCode, &'a str)>);
        let unauthorized = |reason| Some((ErrorCode::Unauthorized, reason));
        let cases: Vec<Case> = vec![
            ("the vector", SECRET, body, Some(WANT), None, SENT, None),
            ("uppercase hex", SECRET, body, Some(&upper), None, SENT, None),
            ("spaces around", SECRET, body, Some(&padded), None, SENT, None),
            ("a minute later", SECRET, body, Some(WANT), None, SENT + WINDOW_MS, None),
            ("a minute earlier", SECRET, body, Some(WANT), None, SENT - WINDOW_MS, None),
            ("stale", SECRET, body, Some(WANT), None, SENT + WINDOW_MS + 1, unauthorized(STALE_TIMESTAMP)),
            ("from the future", SECRET, body, Some(WANT), None, SENT - WINDOW_MS - 1, unauthorized(STALE_TIMESTAMP)),
            // The body's time wins over the header's.
            ("header ignored", SECRET, body, Some(WANT), Some("1"), SENT, None),
            ("wrong secret", "other", body, Some(WANT), None, SENT, unauthorized(BAD_SIGNATURE)),
            ("empty secret", "", body, Some(&empty_secret_sig), None, SENT, unauthorized(BAD_SIGNATURE)),
            ("body changed", SECRET, b"{}", Some(WANT), None, SENT, unauthorized(BAD_SIGNATURE)),
            ("with a prefix", SECRET, body, Some(&prefixed), None, SENT, unauthorized(BAD_SIGNATURE)),
            ("cut short", SECRET, body, Some(&WANT[..62]), None, SENT, unauthorized(BAD_SIGNATURE)),
            ("empty signature", SECRET, body, Some(""), None, SENT, unauthorized(BAD_SIGNATURE)),
            ("no signature", SECRET, body, None, None, SENT, unauthorized(MISSING_SIGNATURE)),
            // Signature before time: a bad signature on a stale body is a bad signature.
            ("stale and wrong", "other", body, Some(WANT), None, 0, unauthorized(BAD_SIGNATURE)),
            (
                "no time anywhere",
                SECRET,
                no_time,
                Some(&no_time_sig),
                None,
                SENT,
                Some((ErrorCode::InvalidRequest, NO_TIMESTAMP)),
            ),
            ("the header's time", SECRET, no_time, Some(&no_time_sig), Some(" 1700000000000 "), SENT, None),
            (
                "a stale header",
                SECRET,
                no_time,
                Some(&no_time_sig),
                Some("1700000000000"),
                SENT + WINDOW_MS + 1,
                unauthorized(STALE_TIMESTAMP),
            ),
            (
                "a header in words",
                SECRET,
                no_time,
                Some(&no_time_sig),
                Some("soon"),
                SENT,
                Some((ErrorCode::InvalidRequest, NO_TIMESTAMP)),
            ),
            ("time as text", SECRET, text_time, Some(&text_time_sig), None, SENT, None),
            ("time with a fraction", SECRET, float_time, Some(&float_time_sig), None, SENT + WINDOW_MS, None),
            (
                "time not a number",
                SECRET,
                bad_time,
                Some(&bad_time_sig),
                None,
                SENT,
                Some((ErrorCode::InvalidRequest, NO_TIMESTAMP)),
            ),
            ("signed, not JSON", SECRET, not_json, Some(&not_json_sig), None, SENT, Some((ErrorCode::BadJson, ""))),
        ];
        for (name, secret, body, signature, header, now, want) in cases {
            let got = verify(secret, body, signature, header, now);
            match want {
                None => assert!(got.is_ok(), "{name}: {got:?}"),
                Some((code, reason)) => {
                    let refusal = got.expect_err(name);
                    assert_eq!(refusal.code, code, "{name}");
                    assert!(refusal.reason.starts_with(reason), "{name}: {}", refusal.reason);
                    let status = if code == ErrorCode::Unauthorized { 401 } else { 400 };
                    assert_eq!(refusal.status(), status, "{name}");
                }
            }
        }
    }
}
