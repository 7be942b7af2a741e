//! Who is asking. Every route gets its user from [`current_user`], and the Durable Object gets
//! it from the header the Worker sets, so sign-in can replace this one function.
//!
//! For now the user is the configured local user (`LOCAL_USER_ID`, `LOCAL_USER_NAME`,
//! `LOCAL_USER_EMAIL`).

use oi_protocol::{ApiError, ErrorCode, User};
use worker::{Env, Request};

use crate::config::var;

/// The header that carries the authenticated user from the Worker to a Durable Object.
/// The Worker always overwrites it; Durable Objects are not reachable from outside.
pub const USER_HEADER: &str = "x-oi-user";

/// The user making this request.
pub fn current_user(_req: &Request, env: &Env) -> Result<User, ApiError> {
    Ok(User {
        id: var(env, "LOCAL_USER_ID").unwrap_or_else(|| "local".to_string()),
        name: var(env, "LOCAL_USER_NAME").unwrap_or_else(|| "Local User".to_string()),
        email: var(env, "LOCAL_USER_EMAIL").unwrap_or_else(|| "local@open-inspect.invalid".to_string()),
    })
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
