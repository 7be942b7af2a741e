//! Page sizes and the session-list cursor.

use oi_protocol::{ApiError, ErrorCode};

/// A requested page size, defaulted and clamped to `1..=max`.
pub fn page_size(requested: Option<u32>, default: u32, max: u32) -> u32 {
    requested.unwrap_or(default).clamp(1, max)
}

/// Where the next page of `GET /api/sessions` starts: after the row with this
/// `(updated_at, id)`, in the order `updated_at DESC, id DESC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCursor {
    pub updated_at: i64,
    pub id: String,
}

impl SessionCursor {
    /// `<updated_at>.<id>`: opaque to clients, readable in logs.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.updated_at, self.id)
    }

    pub fn decode(s: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::new(ErrorCode::InvalidRequest, format!("`cursor` {s:?} is not a cursor from this API"));
        let (ts, id) = s.split_once('.').ok_or_else(bad)?;
        let updated_at = ts.parse::<i64>().map_err(|_| bad())?;
        let id_ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !id_ok {
            return Err(bad());
        }
        Ok(Self { updated_at, id: id.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(None, 50, 200), 50);
        assert_eq!(page_size(Some(0), 50, 200), 1);
        assert_eq!(page_size(Some(5000), 50, 200), 200);
    }

    #[test]
    fn cursor_round_trip() {
        let c = SessionCursor { updated_at: 1_732_380_000_000, id: "ses_01ABC".into() };
        assert_eq!(SessionCursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "abc", "12", "x.ses", "12.", "12.a b", "12.a'--"] {
            assert_eq!(SessionCursor::decode(bad).unwrap_err().code, ErrorCode::InvalidRequest, "{bad}");
        }
    }
}
