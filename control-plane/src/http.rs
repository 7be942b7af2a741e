//! JSON in and out, and the one error shape.

use oi_protocol::decode::decode_body;
use oi_protocol::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Request, Response};

/// The largest request body accepted (a 64,000-character prompt is at most 256 KiB of UTF-8).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a request failed: a problem with the request, or one on our side.
#[derive(Debug)]
pub enum Failure {
    Api(ApiError),
    Internal(worker::Error),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<worker::Error> for Failure {
    fn from(e: worker::Error) -> Self {
        Failure::Internal(e)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::Internal(worker::Error::RustError(e.to_string()))
    }
}

pub type Outcome<T> = std::result::Result<T, Failure>;

/// Turns a failure into its JSON error response; internal errors are logged, not shown.
pub fn failure_response(failure: Failure) -> worker::Result<Response> {
    match failure {
        Failure::Api(e) => error_response(&e),
        Failure::Internal(e) => {
            worker::console_error!("internal error: {e}");
            error_response(&ApiError::new(ErrorCode::Internal, "internal error; see the control-plane log"))
        }
    }
}

pub fn error_response(e: &ApiError) -> worker::Result<Response> {
    Ok(Response::from_json(&e.clone().into_body())?.with_status(e.status()))
}

pub fn json_response<T: Serialize>(status: u16, body: &T) -> Outcome<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

pub fn not_found(what: &str) -> Failure {
    Failure::Api(ApiError::new(ErrorCode::NotFound, format!("no route for {what}")))
}

pub fn method_not_allowed(method: &str, path: &str) -> Failure {
    Failure::Api(ApiError::new(ErrorCode::MethodNotAllowed, format!("{method} is not allowed on {path}")))
}

fn too_large(what: String, max: usize) -> Failure {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("the body {what}; the limit is {max} bytes")).into()
}

/// Reads a body of at most `max` bytes without holding more: refused from its
/// `Content-Length` before anything is read, and while reading when it has none (or it lies).
pub async fn read_body(req: &mut Request, max: usize) -> Outcome<Vec<u8>> {
    let declared = req.headers().get("content-length")?.and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(len) = declared.filter(|len| *len > max as u64) {
        return Err(too_large(format!("has {len} bytes"), max));
    }
    let Ok(mut stream) = req.stream() else { return Ok(vec![]) };
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(max as u64) as usize);
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        let chunk = chunk?;
        if body.len() + chunk.len() > max {
            return Err(too_large("is longer".to_string(), max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads and decodes a JSON body, refusing bodies over [`MAX_BODY_BYTES`].
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Outcome<T> {
    let bytes = read_body(req, MAX_BODY_BYTES).await?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::new(ErrorCode::BadJson, "the body is not UTF-8"))?;
    Ok(decode_body(&text)?)
}

/// A query parameter, if present and non-empty.
pub fn query_param(url: &worker::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.into_owned())
}

/// A numeric query parameter, with a clear error when it is not a number.
pub fn query_u64(url: &worker::Url, name: &str) -> Outcome<Option<u64>> {
    match query_param(url, name) {
        None => Ok(None),
        Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
            ApiError::new(ErrorCode::InvalidRequest, format!("`{name}` must be a non-negative integer, got {v:?}"))
                .into()
        }),
    }
}
