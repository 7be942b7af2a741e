//! What refuses an inbound delivery (a webhook to an automation, a Sentry delivery) before or
//! after it is verified: its size, its JSON, the sender's rate, and which delivery ids are kept
//! for dedupe. The Worker reads at most `limit + 1` bytes and asks these functions.

use oi_protocol::{ApiError, ErrorCode};
use serde_json::Value;

/// A delivery refused: the code (and so the HTTP status) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub reason: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, reason: impl Into<String>) -> Self {
        Refusal { code, reason: reason.into() }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.code.http_status()
    }

    /// The API error body for it.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::new(self.code, self.reason.clone())
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code.as_str(), self.status(), self.reason)
    }
}

impl std::error::Error for Refusal {}

/// The largest webhook body accepted.
pub const WEBHOOK_BODY_LIMIT: usize = 64 * 1024;
/// The largest Sentry body accepted (events carry stack traces).
pub const SENTRY_BODY_LIMIT: usize = 256 * 1024;
/// Deliveries accepted per automation (webhooks) or per installation (Sentry), a minute.
pub const WEBHOOK_DELIVERIES_PER_MINUTE: u32 = 30;
pub const SENTRY_DELIVERIES_PER_MINUTE: u32 = 120;
/// The fixed window the rates above count in.
pub const RATE_WINDOW_MS: i64 = 60_000;
/// The longest delivery id kept for dedupe.
pub const MAX_DELIVERY_KEY_CHARS: usize = 200;

fn too_large(limit: usize) -> Refusal {
    Refusal::new(ErrorCode::PayloadTooLarge, format!("the body is larger than {limit} bytes"))
}

/// Before reading: a declared `Content-Length` over the limit is refused (one that is not a
/// number too; none is fine, the read is bounded anyway).
pub fn check_declared_length(content_length: Option<&str>, limit: usize) -> Result<(), Refusal> {
    let Some(declared) = content_length.map(str::trim) else { return Ok(()) };
    match declared.parse::<u64>() {
        Ok(n) if n > limit as u64 => Err(too_large(limit)),
        Ok(_) => Ok(()),
        Err(_) if !declared.is_empty() && declared.bytes().all(|b| b.is_ascii_digit()) => Err(too_large(limit)),
        Err(_) => Err(Refusal::new(ErrorCode::InvalidRequest, format!("Content-Length {declared:?} is not a number"))),
    }
}

/// After reading at most `limit + 1` bytes: more than `limit` is refused.
pub fn check_read_length(len: usize, limit: usize) -> Result<(), Refusal> {
    if len > limit {
        Err(too_large(limit))
    } else {
        Ok(())
    }
}

/// A delivery must be a JSON object (checked after its signature): `bad_json` when it is not
/// JSON, `invalid_request` when it is JSON but not an object.
pub fn parse_json_object(body: &[u8]) -> Result<Value, Refusal> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Refusal::new(ErrorCode::BadJson, format!("the body is not JSON: {e}")))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(Refusal::new(ErrorCode::InvalidRequest, "the body must be a JSON object"))
    }
}

/// The start of the fixed window `now_ms` falls in.
pub fn window_start(now_ms: i64, window_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(window_ms.max(1))
}

/// Given how many deliveries were already counted in this window, is this one over `limit`?
pub fn rate_limited(count_in_window: u32, limit: u32) -> Option<Refusal> {
    (count_in_window >= limit)
        .then(|| Refusal::new(ErrorCode::RateLimited, format!("more than {limit} deliveries a minute; retry later")))
}

/// A delivery id header kept for dedupe: 1 to 200 printable ASCII characters (surrounding
/// spaces trimmed); anything else is not used.
pub fn delivery_key(header: Option<&str>) -> Option<String> {
    let key = header?.trim();
    let ok = !key.is_empty() && key.len() <= MAX_DELIVERY_KEY_CHARS && key.bytes().all(|b| (0x20..=0x7e).contains(&b));
    ok.then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let cases: &[(Option<&str>, usize, Option<ErrorCode>)] = &[
            (None, 10, None),
            (Some("10"), 10, None),
            (Some(" 0 "), 10, None),
            (Some("11"), 10, Some(ErrorCode::PayloadTooLarge)),
            (Some("99999999999999999999"), 10, Some(ErrorCode::PayloadTooLarge)),
            (Some("-1"), 10, Some(ErrorCode::InvalidRequest)),
            (Some("ten"), 10, Some(ErrorCode::InvalidRequest)),
            (Some("65537"), WEBHOOK_BODY_LIMIT, Some(ErrorCode::PayloadTooLarge)),
            (Some("65536"), WEBHOOK_BODY_LIMIT, None),
        ];
        for (declared, limit, want) in cases {
            assert_eq!(check_declared_length(*declared, *limit).err().map(|r| r.code), *want, "{declared:?}");
        }
        let refusal = check_read_length(WEBHOOK_BODY_LIMIT + 1, WEBHOOK_BODY_LIMIT).unwrap_err();
        assert_eq!((refusal.code, refusal.status()), (ErrorCode::PayloadTooLarge, 413));
        assert!(refusal.reason.contains("65536 bytes"), "{}", refusal.reason);
        assert!(check_read_length(WEBHOOK_BODY_LIMIT, WEBHOOK_BODY_LIMIT).is_ok());
        assert!(check_read_length(0, SENTRY_BODY_LIMIT).is_ok());
    }

    #[test]
    fn bodies() {
        let cases: &[(&[u8], Option<ErrorCode>)] = &[
            (br#"{"action":"opened"}"#, None),
            (b"{}", None),
            (b"", Some(ErrorCode::BadJson)),
            (b"{", Some(ErrorCode::BadJson)),
            (b"\xff", Some(ErrorCode::BadJson)),
            (b"[1,2]", Some(ErrorCode::InvalidRequest)),
            (b"\"text\"", Some(ErrorCode::InvalidRequest)),
            (b"null", Some(ErrorCode::InvalidRequest)),
        ];
        for (body, want) in cases {
            assert_eq!(parse_json_object(body).err().map(|r| r.code), *want, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn rates() {
        let cases: &[(i64, i64, i64)] =
            &[(0, 60_000, 0), (59_999, 60_000, 0), (60_000, 60_000, 60_000), (-1, 60_000, -60_000)];
        for (now, window, want) in cases {
            assert_eq!(window_start(*now, *window), *want, "{now}");
        }
        let cases: &[(u32, u32, bool)] = &[(0, 30, false), (29, 30, false), (30, 30, true), (500, 120, true)];
        for (count, limit, limited) in cases {
            let refusal = rate_limited(*count, *limit);
            assert_eq!(refusal.is_some(), *limited, "{count}/{limit}");
            if let Some(r) = refusal {
                assert_eq!((r.code, r.status()), (ErrorCode::RateLimited, 429));
                assert!(r.reason.contains(&limit.to_string()), "{}", r.reason);
            }
        }
    }

    #[test]
    fn delivery_keys() {
        let long = "k".repeat(MAX_DELIVERY_KEY_CHARS);
        let too_long = "k".repeat(MAX_DELIVERY_KEY_CHARS + 1);
        let cases: &[(Option<&str>, Option<&str>)] = &[
            (None, None),
            (Some(""), None),
            (Some("   "), None),
            (Some("72d3162e-cc78-11e3-81ab-4c9367dc0958"), Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")),
            (Some(" abc "), Some("abc")),
            (Some("a b"), Some("a b")),
            (Some(&long), Some(&long)),
            (Some(&too_long), None),
            (Some("é"), None),
            (Some("a\nb"), None),
            (Some("a\u{7f}"), None),
        ];
        for (header, want) in cases {
            assert_eq!(delivery_key(*header).as_deref(), *want, "{header:?}");
        }
    }

    #[test]
    fn refusals_carry_their_status() {
        let r = Refusal::new(ErrorCode::Unauthorized, "bad signature");
        assert_eq!(r.status(), 401);
        assert_eq!(r.to_string(), "unauthorized (401): bad signature");
        assert_eq!(r.to_api_error().message, "bad signature");
    }
}
