//! Who is asking, from the Worker to a session's Durable Object: the Worker authenticates the
//! person and sets these headers on the forwarded request (always overwriting them); Durable
//! Objects are not reachable from outside, so the headers are the Worker's word.

use oi_protocol::{ApiError, ErrorCode, Role, User};
use worker::{Headers, Request};

use super::Caller;

/// The header that carries the authenticated user from the Worker to a Durable Object.
pub const USER_HEADER: &str = "x-oi-user";
/// The header that carries the caller's role to a Durable Object.
pub const ROLE_HEADER: &str = "x-oi-role";

/// Removes whatever the client sent under these names.
pub fn clear(headers: &Headers) {
    let _ = headers.delete(USER_HEADER);
    let _ = headers.delete(ROLE_HEADER);
}

/// Names the caller on a request to a Durable Object.
pub fn set(headers: &Headers, caller: &Caller) -> worker::Result<()> {
    headers.set(USER_HEADER, &serde_json::to_string(&caller.user)?)?;
    headers.set(ROLE_HEADER, if caller.role == Role::Admin { "admin" } else { "member" })
}

/// Reads the role the Worker put on a request to a Durable Object.
pub fn forwarded_role(req: &Request) -> Role {
    match req.headers().get(ROLE_HEADER).ok().flatten().as_deref() {
        Some("admin") => Role::Admin,
        _ => Role::Member,
    }
}

/// Reads the user the Worker put on a request to a Durable Object.
pub fn forwarded_user(req: &Request) -> Result<User, ApiError> {
    let raw = req
        .headers()
        .get(USER_HEADER)
        .ok()
        .flatten()
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "no user on the request"))?;
    serde_json::from_str(&raw).map_err(|_| ApiError::new(ErrorCode::Unauthorized, "malformed user header"))
}
