//! Data the page fetches: loading, there, or failed with the API's error.

use oi_protocol::ApiError;

#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(ApiError),
}

impl<T> Load<T> {
    pub fn from_result(result: Result<T, ApiError>) -> Self {
        match result {
            Ok(v) => Load::Ready(v),
            Err(e) => Load::Failed(e),
        }
    }

    pub fn ready(&self) -> Option<&T> {
        match self {
            Load::Ready(v) => Some(v),
            _ => None,
        }
    }

    pub fn error(&self) -> Option<&ApiError> {
        match self {
            Load::Failed(e) => Some(e),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self, Load::Loading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::ErrorCode;

    #[test]
    fn wraps_results() {
        let ok: Load<u8> = Load::from_result(Ok(1));
        assert_eq!(ok.ready(), Some(&1));
        let failed: Load<u8> = Load::from_result(Err(ApiError::new(ErrorCode::NotFound, "gone")));
        assert_eq!(failed.error().unwrap().message, "gone");
        assert!(Load::<u8>::Loading.is_loading());
    }
}
