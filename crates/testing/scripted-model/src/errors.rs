//! OpenAI's error body `{"error":{"message","type","param","code"}}` and its HTTP response.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// OpenAI's `ErrorResponse`, fields in OpenAI's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// OpenAI's `Error`: `param` and `code` are `null` when unset, never left out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorDetail {
    pub message: String,
    #[serde(rename = "type")]
    pub error_type: String,
    pub param: Option<String>,
    pub code: Option<String>,
}

/// An error answered with OpenAI's error body; `retry_after` adds a `Retry-After` header.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    pub error_type: String,
    pub param: Option<String>,
    pub code: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// Defaults modelled on OpenAI's answers: 401 `invalid_api_key`, 429 `rate_limit_exceeded`
    /// with `Retry-After: 1`, 5xx `server_error`, other 4xx `invalid_request_error`.
    pub fn for_status(status: u16) -> ApiError {
        let (message, error_type, code) = match status {
            401 => ("Incorrect API key provided (scripted error).", "invalid_request_error", Some("invalid_api_key")),
            403 => ("You are not allowed to make this request (scripted error).", "invalid_request_error", None),
            404 => ("The model does not exist (scripted error).", "invalid_request_error", Some("model_not_found")),
            429 => ("Rate limit reached (scripted error).", "requests", Some("rate_limit_exceeded")),
            503 => ("The server is overloaded or not ready yet (scripted error).", "server_error", None),
            s if s >= 500 => {
                ("The server had an error while processing your request (scripted error).", "server_error", None)
            }
            _ => ("Bad request (scripted error).", "invalid_request_error", None),
        };
        ApiError {
            status,
            message: message.into(),
            error_type: error_type.into(),
            param: None,
            code: code.map(Into::into),
            retry_after: (status == 429).then_some(1),
        }
    }

    /// A 400 `invalid_request_error`.
    pub fn invalid_request(message: impl Into<String>, param: Option<&str>, code: Option<&str>) -> ApiError {
        ApiError {
            message: message.into(),
            param: param.map(Into::into),
            code: code.map(Into::into),
            ..ApiError::for_status(400)
        }
    }

    /// A 404 for a path this server does not serve, worded like OpenAI's.
    pub fn unknown_url(method: &str, path: &str) -> ApiError {
        ApiError { message: format!("Invalid URL ({method} {path})"), code: None, ..ApiError::for_status(404) }
    }

    /// A 405 for a known path with the wrong method.
    pub fn method_not_allowed(method: &str, path: &str) -> ApiError {
        ApiError {
            message: format!("Method {method} is not allowed for {path}"),
            ..ApiError::invalid_request("", None, None)
        }
        .with_status(405)
    }

    fn with_status(mut self, status: u16) -> ApiError {
        self.status = status;
        self
    }

    /// `{"error":{"message","type","param","code"}}`, all four keys always present.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                message: self.message.clone(),
                error_type: self.error_type.clone(),
                param: self.param.clone(),
                code: self.code.clone(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_always_has_four_keys() {
        let body = serde_json::to_value(ApiError::for_status(500).body()).unwrap();
        let err = body["error"].as_object().unwrap();
        let mut keys: Vec<&str> = err.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["code", "message", "param", "type"]);
        assert!(err["param"].is_null());
        assert_eq!(err["type"], "server_error");
        let text = serde_json::to_string(&ApiError::invalid_request("m", Some("p"), None).body()).unwrap();
        assert_eq!(text, r#"{"error":{"message":"m","type":"invalid_request_error","param":"p","code":null}}"#);
    }

    #[test]
    fn rate_limit_defaults_to_retry_after() {
        let e = ApiError::for_status(429);
        assert_eq!(e.retry_after, Some(1));
        assert_eq!(e.code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(ApiError::for_status(503).retry_after, None);
        assert_eq!(ApiError::for_status(401).code.as_deref(), Some("invalid_api_key"));
    }

    #[test]
    fn response_carries_status_and_retry_after() {
        let r = ApiError { retry_after: Some(7), ..ApiError::for_status(429) }.into_response();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()[header::RETRY_AFTER], "7");
        let r = ApiError::method_not_allowed("GET", "/v1/chat/completions").into_response();
        assert_eq!(r.status(), 405);
        assert!(r.headers().get(header::RETRY_AFTER).is_none());
    }
}
