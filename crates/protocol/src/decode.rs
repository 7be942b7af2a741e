//! Decoding JSON from the wire into protocol types with errors that name the problem:
//! `bad_json` when it does not parse, `unknown_message_type` when a tagged frame names a type
//! the endpoint does not know, `invalid_request` when a field is wrong.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode};

/// Decodes a JSON body.
pub fn decode_body<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::new(ErrorCode::BadJson, format!("the body is not valid JSON: {e}")))?;
    serde_json::from_value(value)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("the body is not a valid request: {e}")))
}

/// Decodes a `type`-tagged frame, given the types the endpoint knows.
pub fn decode_frame<T: DeserializeOwned>(text: &str, known_types: &[&str]) -> Result<T, ApiError> {
    // The common case, a valid frame, parses once; only a bad one is read again for its error.
    if let Ok(frame) = serde_json::from_str(text) {
        return Ok(frame);
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::new(ErrorCode::BadJson, format!("the frame is not valid JSON: {e}")))?;
    let kind = match value.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(_) => return Err(ApiError::new(ErrorCode::InvalidRequest, "`type` must be a string")),
        None => return Err(ApiError::new(ErrorCode::InvalidRequest, "the frame has no `type`")),
    };
    if !known_types.contains(&kind.as_str()) {
        return Err(ApiError::new(
            ErrorCode::UnknownMessageType,
            format!("unknown message type {kind:?}; expected one of {}", known_types.join(", ")),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("the {kind:?} frame is not valid: {e}")))
}
