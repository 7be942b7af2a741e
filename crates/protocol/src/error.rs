//! The error body every API answers with: `{"error":{"code":"…","message":"…"}}`.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable error code. Messages are for humans; codes are for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or frame is not valid JSON.
    BadJson,
    /// The JSON is well-formed but a field is missing, of the wrong type or out of range.
    InvalidRequest,
    /// A WebSocket frame names a `type` this endpoint does not know.
    UnknownMessageType,
    /// No such route.
    NotFound,
    /// No such session (or it was deleted).
    SessionNotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The prompt is longer than [`crate::limits::MAX_PROMPT_CHARS`].
    PromptTooLong,
    /// The prompt is empty or only whitespace.
    PromptEmpty,
    /// [`crate::limits::MAX_QUEUED_PROMPTS`] prompts are already waiting.
    QueueFull,
    /// The `client_request_id` was used before with a different prompt.
    IdempotencyConflict,
    /// The session is archived and takes no prompts until it is unarchived.
    SessionArchived,
    /// The prompt cannot be cancelled (it is running or finished).
    PromptNotCancellable,
    /// Missing or wrong credentials.
    Unauthorized,
    /// Authenticated but not allowed.
    Forbidden,
    /// The request conflicts with the current state.
    Conflict,
    /// The request body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// The body's bytes are not of a type the endpoint accepts (media: what the bytes show,
    /// whatever `Content-Type` says).
    UnsupportedMediaType,
    /// The `Range` asked for lies outside the piece.
    RangeNotSatisfiable,
    /// Too many requests of this kind from this caller; retry later.
    RateLimited,
    /// A budget is used up (a person's sessions or prompts in a window, a session's model
    /// spend); the message names it and when it renews.
    QuotaExceeded,
    /// The deployment's configuration refuses this request (for example local mode on a
    /// public URL); the message names the setting.
    Misconfigured,
    /// An upstream service (a model vendor, a git remote) could not be reached.
    UpstreamUnavailable,
    /// Something failed on our side.
    Internal,
}

impl ErrorCode {
    /// The HTTP status that goes with this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadJson | ErrorCode::InvalidRequest | ErrorCode::UnknownMessageType | ErrorCode::PromptEmpty => {
                400
            }
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound | ErrorCode::SessionNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::IdempotencyConflict
            | ErrorCode::SessionArchived
            | ErrorCode::PromptNotCancellable
            | ErrorCode::Conflict => 409,
            ErrorCode::PromptTooLong | ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RangeNotSatisfiable => 416,
            ErrorCode::QueueFull | ErrorCode::RateLimited | ErrorCode::QuotaExceeded => 429,
            ErrorCode::Misconfigured => 503,
            ErrorCode::UpstreamUnavailable => 502,
            ErrorCode::Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        // The same names serde uses; a unit test keeps the two in step.
        match self {
            ErrorCode::BadJson => "bad_json",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnknownMessageType => "unknown_message_type",
            ErrorCode::NotFound => "not_found",
            ErrorCode::SessionNotFound => "session_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::PromptTooLong => "prompt_too_long",
            ErrorCode::PromptEmpty => "prompt_empty",
            ErrorCode::QueueFull => "queue_full",
            ErrorCode::IdempotencyConflict => "idempotency_conflict",
            ErrorCode::SessionArchived => "session_archived",
            ErrorCode::PromptNotCancellable => "prompt_not_cancellable",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RangeNotSatisfiable => "range_not_satisfiable",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::Misconfigured => "misconfigured",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// The inner object of an error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn status(&self) -> u16 {
        self.code.http_status()
    }

    pub fn into_body(self) -> ErrorBody {
        ErrorBody { error: self }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// `{"error":{"code","message"}}`: the body of every non-2xx response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ApiError,
}
