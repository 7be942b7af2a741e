//! Installation tokens live one hour; a cached one is used until 5 minutes before it expires, so
//! a token handed out now still works for the git push or API call it is for. GitHub gives the
//! expiry as `expires_at: "2016-07-11T22:14:10Z"`; [`parse_expires_at`] reads exactly that form.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::PrimitiveDateTime;

/// A cached token is replaced this long before it expires.
pub const REFRESH_MARGIN_SECS: i64 = 5 * 60;

/// Whether a token expiring at `expires_at_secs` may still be handed out at `now_secs` (both
/// Unix seconds). False from 5 minutes before expiry on.
pub fn usable(expires_at_secs: i64, now_secs: i64) -> bool {
    now_secs < refresh_at(expires_at_secs)
}

/// When a token expiring at `expires_at_secs` stops being [`usable`].
pub fn refresh_at(expires_at_secs: i64) -> i64 {
    expires_at_secs.saturating_sub(REFRESH_MARGIN_SECS)
}

/// GitHub's `expires_at` form. `[year]` would also read a sign (`+2016`), which the length check
/// in [`parse_expires_at`] refuses.
const EXPIRES_AT: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC, no fraction, no offset) as Unix seconds. Anything else is an
/// error naming the expected form.
pub fn parse_expires_at(text: &str) -> Result<i64, String> {
    let bad = || format!("`expires_at` is not a UTC time like 2016-07-11T22:14:10Z: {text:?}");
    if text.len() != "2016-07-11T22:14:10Z".len() {
        return Err(bad());
    }
    let time = PrimitiveDateTime::parse(text, EXPIRES_AT).map_err(|_| bad())?;
    Ok(time.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_until_five_minutes_before_expiry() {
        let expires = 1_468_275_250;
        for (now, expected) in [
            (expires - 3_600, true), // just minted
            (expires - 301, true),
            (expires - 300, false), // exactly 5 minutes left: replace it
            (expires - 1, false),
            (expires, false),
            (expires + 60, false), // already expired
        ] {
            assert_eq!(usable(expires, now), expected, "{} s before expiry", expires - now);
        }
        assert_eq!(refresh_at(expires), expires - 300);
        assert!(!usable(i64::MIN, 0) && usable(i64::MAX, 0));
    }

    #[test]
    fn parses_githubs_expires_at() {
        for (text, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2016-07-11T22:14:10Z", 1_468_275_250), // the example in GitHub's docs
            ("2000-02-29T12:00:00Z", 951_825_600),   // a leap day in a year divisible by 400
            ("2024-02-29T23:59:59Z", 1_709_251_199),
            ("2024-12-31T23:59:59Z", 1_735_689_599),
            ("2026-01-01T00:00:00Z", 1_767_225_600),
            ("2038-01-19T03:14:08Z", 2_147_483_648), // past i32
            ("1969-12-31T23:59:59Z", -1),
        ] {
            assert_eq!(parse_expires_at(text), Ok(secs), "{text}");
        }
    }

    #[test]
    fn refuses_anything_else() {
        for text in [
            "",
            "2016-07-11",
            "2016-07-11T22:14:10",       // no zone
            "2016-07-11T22:14:10+00:00", // an offset
            "2016-07-11T22:14:10.123Z",  // a fraction
            "2016-07-11 22:14:10Z",
            "2016-07-11t22:14:10z",
            " 2016-07-11T22:14:10Z",
            "2016-7-11T22:14:10Z",
            "+016-07-11T22:14:10Z",
            "+2016-07-11T22:14:10Z",
            "-0001-07-11T22:14:10Z",
            "2016-07-11T22:14:10Z ",
            "2016-13-11T22:14:10Z",
            "2016-00-11T22:14:10Z",
            "2016-07-00T22:14:10Z",
            "2016-06-31T22:14:10Z",
            "2023-02-29T22:14:10Z", // not a leap year
            "1900-02-29T22:14:10Z", // divisible by 100, not by 400
            "2016-07-11T24:00:00Z",
            "2016-07-11T22:60:10Z",
            "2016-07-11T22:14:60Z", // no leap seconds
            "2016-07-11T22:14:1٣Z", // a non-ASCII digit
        ] {
            let error = parse_expires_at(text).unwrap_err();
            assert!(error.contains("2016-07-11T22:14:10Z"), "{text}: {error}");
        }
    }
}
