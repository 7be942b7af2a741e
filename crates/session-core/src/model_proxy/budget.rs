//! A session's model budget. Sessions can be started by other people's messages (Slack, GitHub,
//! Linear) and their agent is untrusted, so each session's model spend has a cap: once what it
//! has used (priced by `MODEL_PRICES`) reaches it, the proxy refuses further model calls.
//!
//! Invariant: the check runs before a request is forwarded, against usage already recorded, so
//! a session overshoots its cap by at most the one call that crossed it.

use oi_protocol::{ApiError, ErrorCode};

/// The cap when `MODEL_SPEND_CAP_USD` is not set.
pub const DEFAULT_SPEND_CAP_USD: f64 = 20.0;

/// `MODEL_SPEND_CAP_USD`: a positive number of dollars, or `0`/`none` for no cap; unset is the
/// default cap, and anything else is a misconfiguration that keeps the default.
pub fn parse_cap(setting: Option<&str>) -> Option<f64> {
    match setting.map(str::trim) {
        None | Some("") => Some(DEFAULT_SPEND_CAP_USD),
        Some("none") | Some("0") => None,
        Some(v) => match v.parse::<f64>() {
            Ok(cap) if cap.is_finite() && cap > 0.0 => Some(cap),
            Ok(_) => None,
            Err(_) => Some(DEFAULT_SPEND_CAP_USD),
        },
    }
}

/// Whether a session that has spent `spent_usd` may make another model call.
pub fn check(spent_usd: f64, cap: Option<f64>) -> Result<(), ApiError> {
    match cap {
        Some(cap) if spent_usd >= cap => Err(ApiError::new(
            ErrorCode::QuotaExceeded,
            format!(
                "this session has used ${spent_usd:.2} of model calls, its cap is ${cap:.2} (MODEL_SPEND_CAP_USD); \
                 start a new session or raise the cap"
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_and_its_setting() {
        let cases: &[(Option<&str>, Option<f64>)] = &[
            (None, Some(DEFAULT_SPEND_CAP_USD)),
            (Some(" 5.5 "), Some(5.5)),
            (Some("0"), None),
            (Some("none"), None),
            (Some("-3"), None),
            (Some("lots"), Some(DEFAULT_SPEND_CAP_USD)),
        ];
        for (setting, want) in cases {
            assert_eq!(parse_cap(*setting), *want, "{setting:?}");
        }
        assert!(check(4.99, Some(5.0)).is_ok());
        let refused = check(5.0, Some(5.0)).unwrap_err();
        assert_eq!(refused.code, ErrorCode::QuotaExceeded);
        assert!(refused.message.contains("$5.00 of model calls"), "{}", refused.message);
        assert!(check(1e9, None).is_ok(), "no cap");
    }
}
