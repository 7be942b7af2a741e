//! Who is asking, and whether the request may be served at all (docs/security.md).
//!
//! - [`authenticate`]: the one place a request's caller comes from: the web session cookie
//!   (GitHub mode) or the local user (local mode).
//! - [`guard`]: the checks every request passes first: local mode only on a loopback URL, and
//!   no cross-site unsafe requests.
//! - [`github_oauth`]: sign-in with GitHub; [`users_store`]: users and roles in D1.
//! - [`local`]: local mode's people; [`forwarded`]: the caller as the Worker hands it to a
//!   session's Durable Object.

pub mod cookies;
pub mod forwarded;
pub mod github_api;
pub mod github_oauth;
pub mod guard;
pub mod local;
pub mod pages;
pub mod settings;
pub mod users_store;

use oi_protocol::rest::AuthMode;
use oi_protocol::{ApiError, ErrorCode, Role, User};
use oi_session_core::auth::web_session::{self, WebClaims, WEB_AUDIENCE};
use worker::{Env, Request};

use crate::ids;

/// The cookie holding the signed web session.
pub const SESSION_COOKIE: &str = "oi_session";

/// The person making a request, and what they may do across the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: User,
    pub role: Role,
}

/// The person making this request, and their role.
pub fn current_caller(req: &Request, env: &Env) -> Result<Caller, ApiError> {
    authenticate(req, env)
}

/// The user making this request.
pub fn current_user(req: &Request, env: &Env) -> Result<User, ApiError> {
    Ok(authenticate(req, env)?.user)
}

/// The caller of `req`: the web session in GitHub mode, the local person in local mode.
pub fn authenticate(req: &Request, env: &Env) -> Result<Caller, ApiError> {
    match settings::auth_mode(env) {
        AuthMode::Local => Ok(local::local_caller(req, env)),
        AuthMode::Github => Ok(caller_of(&session_claims(req, env)?)),
    }
}

fn caller_of(claims: &WebClaims) -> Caller {
    Caller {
        user: User {
            id: claims.sub.clone(),
            name: claims.name.clone(),
            email: claims.email.clone(),
            login: Some(claims.login.clone()),
        },
        role: claims.role,
    }
}

/// The verified claims of the request's web session cookie.
pub fn session_claims(req: &Request, env: &Env) -> Result<WebClaims, ApiError> {
    let token = cookies::request_cookie(req, SESSION_COOKIE)
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "not signed in: sign in at /auth/github/login"))?;
    let keys = settings::signing_keys(env).ok_or_else(|| {
        ApiError::new(ErrorCode::Misconfigured, "SESSION_SIGNING_KEY is not set, so no web session can be checked")
    })?;
    web_session::verify(&token, &keys, WEB_AUDIENCE, ids::now_ms() / 1000)
        .map_err(|e| ApiError::new(ErrorCode::Unauthorized, format!("{} at /auth/github/login", e.message())))
}

/// A fresh session cookie when the request's web session is due for rotation (GitHub mode).
pub fn rotated_cookie(req: &Request, env: &Env) -> Option<String> {
    if settings::auth_mode(env) != AuthMode::Github {
        return None;
    }
    let claims = session_claims(req, env).ok()?;
    let now = ids::now_ms() / 1000;
    if !web_session::should_rotate(&claims, now) {
        return None;
    }
    let keys = settings::signing_keys(env)?;
    Some(session_cookie(&web_session::issue(&fresh_claims(&claims, now), &keys)))
}

/// The claims of a new web session for `claims`' person, from `now` (seconds).
pub fn fresh_claims(claims: &WebClaims, now: i64) -> WebClaims {
    WebClaims {
        iat: now,
        exp: now + web_session::SESSION_TTL_SECS,
        jti: ids::new_token()[..32].to_string(),
        ..claims.clone()
    }
}

/// `Set-Cookie` for a web session token.
pub fn session_cookie(token: &str) -> String {
    cookies::private_cookie(SESSION_COOKIE, token, "/", web_session::SESSION_TTL_SECS)
}
