//! Time as Linear writes it: ISO 8601 in UTC with milliseconds (`2026-01-01T12:00:00.000Z`,
//! the `DateTime` scalar and the webhook payloads' `createdAt`), and Unix milliseconds
//! (`webhookTimestamp`, `contract/CONTRACT.md` "Inbound webhooks").

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// Milliseconds since the Unix epoch of `at`.
pub(crate) fn unix_ms(at: SystemTime) -> i64 {
    let ms = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_millis();
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// `at` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn iso(at: SystemTime) -> String {
    let nanos = i128::from(unix_ms(at)) * 1_000_000;
    let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_like_linear() {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(unix_ms(at), 1_700_000_000_123);
        assert_eq!(iso(at), "2023-11-14T22:13:20.123Z");
        assert_eq!(iso(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}
