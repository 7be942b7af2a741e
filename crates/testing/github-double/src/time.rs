//! Timestamps as GitHub writes them: RFC 3339 in UTC with whole seconds (`2026-12-01T23:59:59Z`).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The last second RFC 3339 can write: 9999-12-31T23:59:59Z.
const LAST: i64 = 253_402_300_799;

/// `epoch` (seconds since 1970-01-01T00:00:00Z) as `YYYY-MM-DDTHH:MM:SSZ`; a later time than
/// [`LAST`] is written as `LAST`.
pub(crate) fn rfc3339(epoch: u64) -> String {
    let secs = i64::try_from(epoch).unwrap_or(LAST).min(LAST);
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .expect("1970 to 9999 is in range")
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn formats_like_github() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_557_933_591), "2019-05-15T15:19:51Z");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_169_599), "2026-12-01T23:59:59Z");
        assert_eq!(rfc3339(u64::MAX), "9999-12-31T23:59:59Z");
    }
}
