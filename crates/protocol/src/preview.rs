//! Previews over the bridge: a viewer's HTTP request to the app a sandbox serves on one of its
//! listed ports goes from the control plane to the supervisor as a
//! [`PreviewRequest`] (a bridge command), and comes back as a [`PreviewHead`] and
//! [`PreviewBody`] chunks (bridge messages). They are not agent events: they are not numbered,
//! logged or acknowledged; a request lost with its connection fails, and the viewer retries.

use serde::{Deserialize, Serialize};

/// A request body crosses in one frame: at most this many bytes (before base64).
pub const MAX_PREVIEW_REQUEST_BYTES: usize = 128 * 1024;
/// A response body crosses in chunks of at most this many bytes (before base64).
pub const PREVIEW_CHUNK_BYTES: usize = 64 * 1024;
/// The whole response body, at most.
pub const MAX_PREVIEW_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// How long the control plane waits for the app's status line, in seconds.
pub const PREVIEW_HEAD_TIMEOUT_SECS: u64 = 30;

/// A header, as a name and a value (order and repeats kept).
pub type Header = (String, String);

/// Control plane → supervisor: send this request to `127.0.0.1:<port>` in the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRequest {
    /// Chosen by the control plane; names the answer's frames.
    pub request_id: String,
    pub port: u16,
    pub method: String,
    /// Path and query, as the viewer asked (`/app.js?v=3`).
    pub target: String,
    pub headers: Vec<Header>,
    /// The body, base64 (standard alphabet); empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
}

/// Supervisor → control plane: the app's status line and headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewHead {
    pub request_id: String,
    pub status: u16,
    pub headers: Vec<Header>,
}

/// Supervisor → control plane: the next piece of the body; `end` on the last (which may be
/// empty). `error` ends it early (the app closed the connection, the body was too long).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewBody {
    pub request_id: String,
    /// Base64 (standard alphabet).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub data: String,
    #[serde(default)]
    pub end: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
