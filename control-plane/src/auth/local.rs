//! Local mode (`AUTH_MODE = "local"`, set by wrangler.toml for `scripts/run`): nobody signs
//! in; the caller is the configured local admin (`LOCAL_USER_ID`, `LOCAL_USER_NAME`,
//! `LOCAL_USER_EMAIL`). With `LOCAL_IDENTITY_PICKER = "true"`, a browser may act as another
//! local person by name (`PUT /api/me`, cookie `oi_local_user`), a member, so several people
//! can share a session on one machine.

use oi_protocol::{ApiError, ErrorCode, Role, User};
use worker::{Env, Request};

use super::cookies::{percent_decode, percent_encode, request_cookie};
use super::Caller;
use crate::config::var;

/// The local-mode cookie naming the person at this browser.
pub const LOCAL_USER_COOKIE: &str = "oi_local_user";

/// Whether a browser may pick who it is (local mode with `LOCAL_IDENTITY_PICKER = "true"`).
pub fn local_mode(env: &Env) -> bool {
    crate::auth::settings::auth_mode(env) == oi_protocol::rest::AuthMode::Local
        && var(env, "LOCAL_IDENTITY_PICKER").as_deref() == Some("true")
}

/// The local admin this deployment is configured with.
pub fn configured_user(env: &Env) -> User {
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
