//! `POST /oauth/token`. From Linear's OAuth docs ("Exchange code for an access token", "Token
//! lifetimes and renewal"): `Content-Type: application/x-www-form-urlencoded`; the code grant
//! takes `code`, `redirect_uri`, `client_id`, `client_secret`, `grant_type=authorization_code`
//! (and `code_verifier` after PKCE); the refresh grant takes `grant_type=refresh_token`,
//! `refresh_token` and the client's credentials (in the form or as HTTP Basic), and answers a
//! new token pair. The answer is `{access_token, token_type: "Bearer", expires_in, scope,
//! refresh_token}` with `scope` space-separated as in the docs' example. Errors follow RFC 6749
//! §5.2 (`{"error": "invalid_grant", "error_description": …}`, status 400; `invalid_client`
//! 401), which is what Linear answers a spent refresh token with.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::TokenGrant;
use crate::state::Inner;

struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn error(status: StatusCode, error: &'static str, description: impl Into<String>) -> TokenError {
    TokenError { status, error, description: description.into() }
}

pub(crate) fn token(inner: &mut Inner, headers: &HeaderMap, body: &[u8]) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let answer = if content_type.starts_with("application/x-www-form-urlencoded") {
        let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        grant(inner, headers, &params)
    } else {
        inner.violation(format!(
            "POST /oauth/token: Content-Type {content_type:?}; Linear's docs say application/x-www-form-urlencoded"
        ));
        Err(error(StatusCode::BAD_REQUEST, "invalid_request", "The body must be application/x-www-form-urlencoded"))
    };
    let (status, body) = match answer {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (e.status, json!({"error": e.error, "error_description": e.description})),
    };
    (status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body.to_string()).into_response()
}

fn grant(inner: &mut Inner, headers: &HeaderMap, params: &[(String, String)]) -> Result<serde_json::Value, TokenError> {
    let get = |name: &str| params.iter().rev().find(|(n, v)| n == name && !v.is_empty()).map(|(_, v)| v.as_str());
    let (client_id, client_secret) = match basic_credentials(headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (get("client_id").map(str::to_string), get("client_secret").map(str::to_string)),
    };
    let oauth = &inner.config.oauth;
    if client_id.as_deref() != Some(oauth.client_id.as_str())
        || client_secret.as_deref() != Some(oauth.client_secret.as_str())
    {
        return Err(error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed"));
    }
    let lifetime = oauth.token_lifetime;
    let code_lifetime = oauth.code_lifetime;
    let grant = match get("grant_type") {
        Some("authorization_code") => {
            let code =
                get("code").ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_request", "code is required"))?;
            // A code is good for one exchange, whatever its outcome.
            let pending = inner.oauth.codes.remove(code);
            let pending = pending.filter(|p| p.issued.elapsed() < code_lifetime);
            let pending = pending.ok_or_else(|| {
                error(StatusCode::BAD_REQUEST, "invalid_grant", "The authorization code is invalid or expired")
            })?;
            if get("redirect_uri") != Some(pending.redirect_uri.as_str()) {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri does not match the authorization request",
                ));
            }
            if let Some((challenge, method)) = &pending.challenge {
                let verifier = get("code_verifier").unwrap_or_default();
                let derived = if method == "S256" {
                    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
                } else {
                    verifier.to_string()
                };
                if &derived != challenge {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "code_verifier does not match the code_challenge",
                    ));
                }
            }
            pending.grant
        }
        Some("refresh_token") => {
            let refresh = get("refresh_token")
                .ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_request", "refresh_token is required"))?;
            inner.oauth.refresh_tokens.remove(refresh).ok_or_else(|| {
                error(StatusCode::BAD_REQUEST, "invalid_grant", "The refresh token is invalid, expired or already used")
            })?
        }
        other => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported"),
            ))
        }
    };
    Ok(answer(inner, &grant, lifetime))
}

fn answer(inner: &mut Inner, grant: &TokenGrant, lifetime: std::time::Duration) -> serde_json::Value {
    let (access_token, refresh_token) = inner.oauth.issue_pair(grant, lifetime);
    json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "scope": grant.scopes.join(" "),
        "refresh_token": refresh_token,
    })
}

/// `Authorization: Basic base64(client_id:client_secret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}
