//! Which bytes of a piece a request's `Range` asks for (RFC 9110 §14), parsed by the
//! `http-range-header` crate. One range is served as `206`; a header the crate cannot parse,
//! or several ranges, are ignored (the whole piece, `200`, as the RFC allows); a range that
//! starts past the end is `416`.

/// What to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// `200` with every byte.
    Whole,
    /// `206` with bytes `start..=end` and `Content-Range: bytes start-end/size`.
    Part { start: u64, end: u64 },
    /// `416` with `Content-Range: bytes */size`.
    Unsatisfiable,
}

impl RangeAnswer {
    /// The `Content-Range` header to send, if any.
    pub fn content_range(self, size: u64) -> Option<String> {
        match self {
            RangeAnswer::Whole => None,
            RangeAnswer::Part { start, end } => Some(format!("bytes {start}-{end}/{size}")),
            RangeAnswer::Unsatisfiable => Some(format!("bytes */{size}")),
        }
    }
}

/// The answer to `range` (the `Range` header, if any) for a piece of `size` bytes.
pub fn answer(range: Option<&str>, size: u64) -> RangeAnswer {
    let Some(header) = range.map(str::trim).filter(|r| !r.is_empty()) else { return RangeAnswer::Whole };
    let Ok(parsed) = http_range_header::parse_range_header(header) else { return RangeAnswer::Whole };
    match parsed.validate(size) {
        Ok(ranges) if ranges.len() == 1 => RangeAnswer::Part { start: *ranges[0].start(), end: *ranges[0].end() },
        Ok(_) => RangeAnswer::Whole,
        Err(_) => RangeAnswer::Unsatisfiable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_answered_as_the_rfc_says() {
        use RangeAnswer::*;
        let cases: &[(Option<&str>, u64, RangeAnswer)] = &[
            (None, 100, Whole),
            (Some(""), 100, Whole),
            (Some("bytes=0-9"), 100, Part { start: 0, end: 9 }),
            (Some("bytes=90-"), 100, Part { start: 90, end: 99 }),
            (Some("bytes=-10"), 100, Part { start: 90, end: 99 }),
            // An end past the last byte is cut to it.
            (Some("bytes=50-1000"), 100, Part { start: 50, end: 99 }),
            (Some("bytes=0-0"), 1, Part { start: 0, end: 0 }),
            (Some("bytes=100-"), 100, Unsatisfiable),
            (Some("bytes=200-300"), 100, Unsatisfiable),
            // Several ranges, another unit, or nonsense: the whole piece.
            (Some("bytes=0-9,20-29"), 100, Whole),
            (Some("items=0-9"), 100, Whole),
            (Some("bytes=abc"), 100, Whole),
            // A backwards range: the crate finds it unsatisfiable.
            (Some("bytes=9-0"), 100, Unsatisfiable),
        ];
        for (header, size, want) in cases {
            assert_eq!(answer(*header, *size), *want, "{header:?} of {size}");
        }
    }

    #[test]
    fn content_range_names_the_part_or_the_size() {
        assert_eq!(RangeAnswer::Whole.content_range(10), None);
        assert_eq!(RangeAnswer::Part { start: 2, end: 5 }.content_range(10).as_deref(), Some("bytes 2-5/10"));
        assert_eq!(RangeAnswer::Unsatisfiable.content_range(10).as_deref(), Some("bytes */10"));
    }
}
