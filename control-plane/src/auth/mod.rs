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
pub mod revoked;
pub mod settings;
pub mod users_store;

use oi_protocol::rest::AuthMode;
use oi_protocol::{ApiError, ErrorCode, Role, User};
use oi_session_core::auth::local_token;
use oi_session_core::auth::rotation::{self, Rotation};
use oi_session_core::auth::web_session::{self, SigningKeys, WebClaims, WEB_AUDIENCE};
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
pub async fn current_caller(req: &Request, env: &Env) -> Result<Caller, ApiError> {
    authenticate(req, env).await
}

/// The user making this request.
pub async fn current_user(req: &Request, env: &Env) -> Result<User, ApiError> {
    Ok(authenticate(req, env).await?.user)
}

/// The caller of `req`: the web session in GitHub mode, the local person in local mode.
pub async fn authenticate(req: &Request, env: &Env) -> Result<Caller, ApiError> {
    match settings::auth_mode(env) {
        AuthMode::Local => {
            local_credential(req, env)?;
            Ok(local::local_caller(req, env))
        }
        AuthMode::Github => {
            let claims = session_claims(req, env)?;
            let revoked = revoked::is_revoked(env, &claims.jti)
                .await
                .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the session could not be checked: {e}")))?;
            if revoked {
                return Err(ApiError::new(
                    ErrorCode::Unauthorized,
                    format!("this session was signed out: {}", sign_in_hint(env)),
                ));
            }
            Ok(caller_of(&claims))
        }
    }
}

/// `Authorization: Bearer <token>` on a request, if any.
pub fn bearer(req: &Request) -> Option<String> {
    let header = req.headers().get("authorization").ok().flatten()?;
    header.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

/// Local mode: this run's token as a bearer, or a web session signed with the run's key.
fn local_credential(req: &Request, env: &Env) -> Result<(), ApiError> {
    let configured = settings::local_token(env);
    if let Some(presented) = bearer(req) {
        return local_token::check(&presented, configured.as_deref())
            .map_err(|e| ApiError::new(ErrorCode::Unauthorized, e.message()));
    }
    session_claims(req, env).map(drop)
}

/// The keys web sessions are signed with: the deployment's, or in local mode the run's.
fn session_keys(env: &Env) -> Result<SigningKeys, ApiError> {
    match settings::auth_mode(env) {
        AuthMode::Local => local_token::configured(settings::local_token(env).as_deref())
            .map(local_token::signing_keys)
            .map_err(|e| ApiError::new(ErrorCode::Misconfigured, e.message())),
        AuthMode::Github => settings::signing_keys(env).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Misconfigured,
                "SESSION_SIGNING_KEY is not set or shorter than 32 bytes, so no web session can be checked",
            )
        }),
    }
}

/// Where a person without a session goes.
fn sign_in_hint(env: &Env) -> &'static str {
    match settings::auth_mode(env) {
        AuthMode::Local => {
            "local mode: open the link scripts/run printed (it carries this run's token), or send \
             `Authorization: Bearer <token>` (the token is in .open-inspect/local-token)"
        }
        AuthMode::Github => "sign in at /auth/github/login",
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
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, format!("not signed in: {}", sign_in_hint(env))))?;
    let keys = session_keys(env)?;
    web_session::verify(&token, &keys, WEB_AUDIENCE, ids::now_ms() / 1000)
        .map_err(|e| ApiError::new(ErrorCode::Unauthorized, format!("{}: {}", e.message(), sign_in_hint(env))))
}

/// A fresh session cookie when the request's web session is due for rotation. In GitHub mode
/// the new session is issued from the person's current role and admission
/// (`oi_session_core::auth::rotation`); a person no longer allowed gets none, and the old
/// session is revoked (so the request itself is refused).
pub async fn rotated_cookie(req: &Request, env: &Env) -> Option<String> {
    let claims = session_claims(req, env).ok()?;
    let now = ids::now_ms() / 1000;
    if !web_session::should_rotate(&claims, now) {
        return None;
    }
    let keys = session_keys(env).ok()?;
    let renewed = match settings::auth_mode(env) {
        AuthMode::Local => fresh_claims(&claims, now),
        AuthMode::Github => {
            let person = users_store::person(env, &claims.sub).await.ok()?;
            let jti = ids::new_token()[..32].to_string();
            let list = settings::allowlist(env);
            match rotation::rotate(&claims, person.as_ref(), &list, &settings::admin_logins(env), now, jti) {
                Rotation::Renew(renewed) => renewed,
                Rotation::End(why) => {
                    worker::console_log!("session of {} ended at rotation: {why}", claims.sub);
                    let _ = revoked::revoke(env, &claims.jti, claims.exp).await;
                    return None;
                }
            }
        }
    };
    Some(session_cookie(&web_session::issue(&renewed, &keys)))
}

/// `GET /auth/local?token=…&return_to=…` (local mode): trades this run's token for a web
/// session cookie, then goes on to `return_to`.
pub fn local_sign_in(req: &Request, env: &Env) -> worker::Result<worker::Response> {
    if settings::auth_mode(env) != AuthMode::Local {
        return pages::page(404, "Not found", "This deployment signs people in with GitHub.");
    }
    let url = req.url()?;
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let configured = settings::local_token(env);
    if let Err(e) = local_token::check(&param("token").unwrap_or_default(), configured.as_deref()) {
        return pages::page(401, "Not signed in", e.message());
    }
    let Ok(keys) = session_keys(env) else { return pages::page(500, "Misconfigured", "no local token") };
    let now = ids::now_ms() / 1000;
    let user = local::configured_user(env);
    let claims = WebClaims {
        sub: user.id,
        login: String::new(),
        name: user.name,
        email: user.email,
        role: oi_protocol::Role::Admin,
        iat: now,
        exp: now + web_session::SESSION_TTL_SECS,
        aud: WEB_AUDIENCE.to_string(),
        iss: web_session::ISSUER.to_string(),
        jti: ids::new_token()[..32].to_string(),
        auth_time: now,
    };
    let location = oi_session_core::auth::origin::safe_return_to(param("return_to").as_deref());
    let mut response = worker::Response::empty()?.with_status(303);
    response.headers_mut().set("location", &location)?;
    response.headers_mut().set("cache-control", "no-store")?;
    response.headers_mut().append("set-cookie", &session_cookie(&web_session::issue(&claims, &keys)))?;
    Ok(response)
}

/// The claims of a new web session for `claims`' person, from `now` (seconds).
pub fn fresh_claims(claims: &WebClaims, now: i64) -> WebClaims {
    WebClaims {
        iat: now,
        exp: (now + web_session::SESSION_TTL_SECS).min(claims.signed_in_at() + web_session::MAX_SESSION_AGE_SECS),
        jti: ids::new_token()[..32].to_string(),
        auth_time: claims.signed_in_at(),
        ..claims.clone()
    }
}

/// `Set-Cookie` for a web session token.
pub fn session_cookie(token: &str) -> String {
    cookies::private_cookie(SESSION_COOKIE, token, "/", web_session::SESSION_TTL_SECS)
}
