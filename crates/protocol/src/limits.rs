//! Limits that both sides of the wire must agree on.

/// The longest prompt accepted, counted in Unicode scalar values (characters).
pub const MAX_PROMPT_CHARS: usize = 64_000;
/// How many prompts may wait behind the one that is running.
pub const MAX_QUEUED_PROMPTS: usize = 10;
/// The longest `client_request_id` accepted.
pub const MAX_CLIENT_REQUEST_ID_CHARS: usize = 128;
/// The longest session title accepted.
pub const MAX_TITLE_CHARS: usize = 200;
/// Default and largest page of `GET /api/sessions/:id/events`.
pub const DEFAULT_EVENTS_PAGE: u32 = 200;
pub const MAX_EVENTS_PAGE: u32 = 1000;
/// Default and largest page of `GET /api/sessions`.
pub const DEFAULT_SESSIONS_PAGE: u32 = 50;
pub const MAX_SESSIONS_PAGE: u32 = 200;
/// A catch-up (subscribe reply or backlog frame) is cut into frames of about this many bytes,
/// well below the WebSocket message limit.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;
/// Secrets: how many one scope (global, or one repository) may hold.
pub const MAX_SECRETS_PER_SCOPE: usize = 50;
/// Secrets: the largest value, in bytes (UTF-8).
pub const MAX_SECRET_VALUE_BYTES: usize = 16 * 1024;
/// Secrets: the most one scope may hold, names and values together, in bytes.
pub const MAX_SECRET_SCOPE_BYTES: usize = 64 * 1024;
/// Secrets: the most one session's sandbox receives (global and repo merged), in bytes.
pub const MAX_SECRET_SESSION_BYTES: usize = 128 * 1024;
/// Secrets: the longest name.
pub const MAX_SECRET_NAME_CHARS: usize = 128;
