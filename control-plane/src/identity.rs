//! Who is asking. Every route gets its caller from [`current_caller`] (which asks
//! [`crate::auth::authenticate`]), and the Durable Object gets it from the headers the Worker
//! sets.
//!
//! In local mode (`AUTH_MODE = "local"`, set by wrangler.toml for `scripts/run`) nobody signs
//! in: the caller is the configured local admin (`LOCAL_USER_ID`, `LOCAL_USER_NAME`,
//! `LOCAL_USER_EMAIL`). With `LOCAL_IDENTITY_PICKER = "true"`, a browser may act as another
//! local person by name (`PUT /api/me`, cookie `oi_local_user`), a member, so several people
//! can share a session on one machine.

use oi_protocol::{ApiError, ErrorCode, Role, User};
use worker::{Env, Request};

use crate::auth::cookies::{percent_decode, percent_encode, request_cookie};
use crate::auth::{authenticate, Caller};
use crate::config::var;

/// The header that carries the authenticated user from the Worker to a Durable Object.
/// The Worker always overwrites it; Durable Objects are not reachable from outside.
pub const USER_HEADER: &str = "x-oi-user";
/// The header that carries the caller's role to a Durable Object.
pub const ROLE_HEADER: &str = "x-oi-role";
/// The local-mode cookie naming the person at this browser.
pub const LOCAL_USER_COOKIE: &str = "oi_local_user";

/// Whether a browser may pick who it is (local mode with `LOCAL_IDENTITY_PICKER = "true"`).
pub fn local_mode(env: &Env) -> bool {
    crate::auth::settings::auth_mode(env) == oi_protocol::rest::AuthMode::Local
        && var(env, "LOCAL_IDENTITY_PICKER").as_deref() == Some("true")
}

fn configured_user(env: &Env) -> User {
    User {
        id: var(env, "LOCAL_USER_ID").unwrap_or_else(|| "local".to_string()),
        name: var(env, "LOCAL_USER_NAME").unwrap_or_else(|| "Local User".to_string()),
        email: var(env, "LOCAL_USER_EMAIL").unwrap_or_else(|| "local@open-inspect.invalid".to_string()),
        login: None,
    }
}

/// The caller in local mode: a picked local person (a member), else the configured local admin.
pub fn local_caller(req: &Request, env: &Env) -> Caller {
    if local_mode(env) {
        if let Some(user) = request_cookie(req, LOCAL_USER_COOKIE).and_then(|v| local_user(&percent_decode(&v))) {
            return Caller { user, role: Role::Member };
        }
    }
    Caller { user: configured_user(env), role: Role::Admin }
}

/// The person making this request, and their role.
pub fn current_caller(req: &Request, env: &Env) -> Result<Caller, ApiError> {
    authenticate(req, env)
}

/// The user making this request.
pub fn current_user(req: &Request, env: &Env) -> Result<User, ApiError> {
    Ok(current_caller(req, env)?.user)
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

/// A local person from a chosen display name, or `None` when the name is not acceptable.
pub fn local_user(name: &str) -> Option<User> {
    validate_local_name(name).ok()?;
    let name = name.trim();
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug = if slug.is_empty() { "person".to_string() } else { slug };
    Some(User {
        id: format!("local-{slug}"),
        name: name.to_string(),
        email: format!("{slug}@local.invalid"),
        login: None,
    })
}

pub fn validate_local_name(name: &str) -> Result<(), ApiError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 60 || name.chars().any(char::is_control) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "`name` must be 1 to 60 characters, without control characters",
        ));
    }
    Ok(())
}

/// `Set-Cookie` for a chosen local name.
pub fn local_user_cookie(name: &str) -> String {
    format!("{LOCAL_USER_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", percent_encode(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_people() {
        let ada = local_user("  Ada Lovelace ").unwrap();
        assert_eq!(ada.id, "local-ada-lovelace");
        assert_eq!(ada.name, "Ada Lovelace");
        assert_eq!(ada.email, "ada-lovelace@local.invalid");
        assert_eq!(local_user("Zoë").unwrap().id, "local-zo");
        assert_eq!(local_user("!!!").unwrap().id, "local-person");
        assert!(local_user("").is_none());
        assert!(local_user(&"x".repeat(61)).is_none());
        assert!(local_user("a\u{7}").is_none());
    }

    #[test]
    fn the_local_cookie_carries_the_name() {
        let set = local_user_cookie("Grace Hopper & co");
        let value = set.split(';').next().unwrap().split_once('=').unwrap().1;
        assert_eq!(percent_decode(value), "Grace Hopper & co");
    }
}
