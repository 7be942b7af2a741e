//! Who is asking. Every route gets its user from [`current_user`], and the Durable Object gets
//! it from the header the Worker sets, so sign-in can replace this one function.
//!
//! For now the user is the configured local user (`LOCAL_USER_ID`, `LOCAL_USER_NAME`,
//! `LOCAL_USER_EMAIL`). In local mode (`LOCAL_IDENTITY_PICKER = "true"`, set by `scripts/run`),
//! a browser may act as another local person by name (`PUT /api/me`, cookie `oi_local_user`),
//! so several people can share a session on one machine.

use oi_protocol::{ApiError, ErrorCode, User};
use worker::{Env, Request};

use crate::config::var;

/// The header that carries the authenticated user from the Worker to a Durable Object.
/// The Worker always overwrites it; Durable Objects are not reachable from outside.
pub const USER_HEADER: &str = "x-oi-user";
/// The local-mode cookie naming the person at this browser.
pub const LOCAL_USER_COOKIE: &str = "oi_local_user";

/// Whether this deployment runs in local mode, where a browser may pick who it is.
pub fn local_mode(env: &Env) -> bool {
    var(env, "LOCAL_IDENTITY_PICKER").as_deref() == Some("true")
}

fn configured_user(env: &Env) -> User {
    User {
        id: var(env, "LOCAL_USER_ID").unwrap_or_else(|| "local".to_string()),
        name: var(env, "LOCAL_USER_NAME").unwrap_or_else(|| "Local User".to_string()),
        email: var(env, "LOCAL_USER_EMAIL").unwrap_or_else(|| "local@open-inspect.invalid".to_string()),
    }
}

/// The user making this request.
pub fn current_user(req: &Request, env: &Env) -> Result<User, ApiError> {
    if local_mode(env) {
        let cookies = req.headers().get("cookie").ok().flatten().unwrap_or_default();
        if let Some(user) = cookie_value(&cookies, LOCAL_USER_COOKIE).and_then(|v| local_user(&percent_decode(&v))) {
            return Ok(user);
        }
    }
    Ok(configured_user(env))
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
    Some(User { id: format!("local-{slug}"), name: name.to_string(), email: format!("{slug}@local.invalid") })
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

fn cookie_value(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                }
                Err(_) => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
    fn cookies_round_trip() {
        let set = local_user_cookie("Grace Hopper & co");
        let value = set.split(';').next().unwrap().split_once('=').unwrap().1;
        let header = format!("theme=dark; {LOCAL_USER_COOKIE}={value}; other=1");
        let read = cookie_value(&header, LOCAL_USER_COOKIE).unwrap();
        assert_eq!(percent_decode(&read), "Grace Hopper & co");
        assert_eq!(cookie_value("a=1", LOCAL_USER_COOKIE), None);
        assert_eq!(percent_decode("Zo%C3%AB"), "Zoë");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
