//! Turning a failed request into the [`ApiError`] the page shows: the server's own error body
//! when there is one, a plain description otherwise.

use oi_protocol::{ApiError, ErrorBody, ErrorCode};

/// The error of a non-2xx answer with status `status` and body `body`.
pub fn from_response(status: u16, body: &str) -> ApiError {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(parsed) => parsed.error,
        Err(_) => {
            let code = match status {
                404 => ErrorCode::NotFound,
                401 => ErrorCode::Unauthorized,
                403 => ErrorCode::Forbidden,
                413 => ErrorCode::PayloadTooLarge,
                400..=499 => ErrorCode::InvalidRequest,
                _ => ErrorCode::Internal,
            };
            let detail = body.trim();
            let message = if detail.is_empty() || detail.len() > 300 {
                format!("the server answered {status}")
            } else {
                format!("the server answered {status}: {detail}")
            };
            ApiError::new(code, message)
        }
    }
}

/// The request never got an answer (the server is down, or the network is).
pub fn unreachable(detail: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        format!("could not reach the control plane ({detail}); check that it is running"),
    )
}

/// A 2xx answer whose body is not what the protocol says.
pub fn unexpected(detail: &str) -> ApiError {
    ApiError::new(ErrorCode::Internal, format!("unexpected answer from the server: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_message_wins() {
        let e = from_response(
            413,
            r#"{"error":{"code":"prompt_too_long","message":"the prompt has 64001 characters; the limit is 64000"}}"#,
        );
        assert_eq!(e.code, ErrorCode::PromptTooLong);
        assert_eq!(e.message, "the prompt has 64001 characters; the limit is 64000");
    }

    #[test]
    fn other_bodies_are_described() {
        assert_eq!(from_response(502, "Bad Gateway").message, "the server answered 502: Bad Gateway");
        assert_eq!(from_response(404, "").code, ErrorCode::NotFound);
        assert!(unreachable("TypeError: Failed to fetch").message.contains("could not reach"));
    }
}
