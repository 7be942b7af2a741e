//! Checks every request passes before it is routed.

use oi_protocol::rest::AuthMode;
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::auth::origin::{check_same_origin, local_mode_allowed, local_mode_direct_only};
use worker::{Env, Request};

use super::settings;

/// The deployment's own origin: `PUBLIC_URL`, else the origin the request was sent to.
pub fn own_origin(req: &Request, env: &Env) -> String {
    settings::public_url(env)
        .unwrap_or_else(|| req.url().map(|u| u.origin().ascii_serialization()).unwrap_or_else(|_| "null".to_string()))
}

/// Refuses a request that local mode must not serve (a public URL) and a cross-site unsafe
/// request (CSRF).
pub fn check(req: &Request, env: &Env) -> Result<(), ApiError> {
    if settings::auth_mode(env) == AuthMode::Local {
        let request_origin = req.url().map(|u| u.origin().ascii_serialization()).ok();
        for url in [settings::public_url(env), request_origin].into_iter().flatten() {
            local_mode_allowed(Some(&url), settings::local_mode_override(env))
                .map_err(|why| ApiError::new(ErrorCode::Misconfigured, why))?;
        }
        if !settings::local_mode_override(env) {
            let headers: Vec<(String, String)> = req.headers().entries().collect();
            local_mode_direct_only(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(|why| ApiError::new(ErrorCode::Forbidden, why))?;
        }
    }
    let header = |name: &str| req.headers().get(name).ok().flatten();
    check_same_origin(
        req.method().as_ref(),
        header("origin").as_deref(),
        header("sec-fetch-site").as_deref(),
        &own_origin(req, env),
    )
    .map_err(|e| ApiError::new(ErrorCode::Forbidden, e.to_string()))
}
