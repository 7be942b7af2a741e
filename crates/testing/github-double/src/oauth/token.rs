//! `POST /login/oauth/access_token`: exchanges an authorization code for a user token, or (for
//! expiring user tokens, `grant_type=refresh_token`) a refresh token for a new token pair.
//!
//! Parameters may come form-encoded or as JSON in the body, or in the query string. The answer
//! is form-encoded unless `Accept` asks for `application/json`. Errors are answered with status
//! 200 and `{error, error_description, error_uri}`, as GitHub does.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::Params;
use crate::state::Shared;

/// The token-exchange errors, with the docs' exact texts (`oauth-examples.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenError {
    IncorrectClientCredentials,
    RedirectUriMismatch,
    BadVerificationCode,
    UnverifiedUserEmail,
    BadRefreshToken,
}

impl TokenError {
    fn body(self) -> ErrorBody {
        let (error, description, uri) = match self {
            Self::IncorrectClientCredentials => (
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
                "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials",
            ),
            Self::RedirectUriMismatch => (
                "redirect_uri_mismatch",
                "The redirect_uri MUST match the registered callback URL for this application.",
                "/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch2",
            ),
            Self::BadVerificationCode => (
                "bad_verification_code",
                "The code passed is incorrect or expired.",
                "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
            ),
            // From GitHub's "Refreshing user access tokens" (not among the recorded examples).
            Self::BadRefreshToken => (
                "bad_refresh_token",
                "The refresh token passed is incorrect or expired.",
                "/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens",
            ),
            Self::UnverifiedUserEmail => (
                "unverified_user_email",
                "The user must have a verified primary email.",
                "/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#unverified_user_email",
            ),
        };
        ErrorBody { error, error_description: description, error_uri: uri }
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    error_description: &'static str,
    error_uri: &'static str,
}

/// A GitHub App's refresh tokens live 6 months (its user tokens: `user_token_lifetime`).
const REFRESH_TOKEN_SECS: u64 = 15_811_200;

#[derive(Serialize)]
struct TokenBody {
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<u64>,
    scope: String,
    token_type: &'static str,
}

impl TokenBody {
    fn plain(access_token: String, scope: String) -> Self {
        Self {
            access_token,
            expires_in: None,
            refresh_token: None,
            refresh_token_expires_in: None,
            scope,
            token_type: "bearer",
        }
    }

    /// A GitHub App's answer: `scope` is empty, the pair expires.
    fn expiring((access_token, refresh_token): (String, String), lifetime: std::time::Duration) -> Self {
        Self {
            access_token,
            expires_in: Some(lifetime.as_secs()),
            refresh_token: Some(refresh_token),
            refresh_token_expires_in: Some(REFRESH_TOKEN_SECS),
            scope: String::new(),
            token_type: "bearer",
        }
    }
}

pub(crate) async fn access_token(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut params = Params::from_urlencoded(query.unwrap_or_default().as_bytes());
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    params.extend(if content_type.contains("json") {
        Params::from_json(&body)
    } else {
        Params::from_urlencoded(&body)
    });
    let wants_json =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));

    let answer = if params.get("grant_type") == Some("refresh_token") {
        refresh(&shared, &params)
    } else {
        exchange(&shared, &params)
    };
    match answer {
        Ok(token) => respond(wants_json, &token),
        Err(error) => respond(wants_json, &error.body()),
    }
}

/// Checks the client, the code and the redirect URI, then consumes the code for a token.
fn exchange(shared: &Shared, params: &Params) -> Result<TokenBody, TokenError> {
    let mut inner = shared.lock();
    if params.get("client_id") != Some(inner.config.client_id.as_str())
        || params.get("client_secret") != Some(inner.config.client_secret.as_str())
    {
        return Err(TokenError::IncorrectClientCredentials);
    }
    let code = params.get("code").ok_or(TokenError::BadVerificationCode)?;
    let ttl = inner.config.code_ttl;
    let grant = inner.codes.get(code).cloned().ok_or(TokenError::BadVerificationCode)?;
    if grant.issued.elapsed() >= ttl {
        inner.codes.remove(code);
        return Err(TokenError::BadVerificationCode);
    }
    if grant.client_id != inner.config.client_id {
        return Err(TokenError::BadVerificationCode);
    }
    if params.get("redirect_uri").is_some_and(|uri| uri != grant.redirect_uri) {
        return Err(TokenError::RedirectUriMismatch);
    }
    let user = inner.config.find_user(&grant.login).ok_or(TokenError::BadVerificationCode)?;
    if !user.emails.is_empty() && !user.emails.iter().any(|e| e.primary && e.verified) {
        return Err(TokenError::UnverifiedUserEmail);
    }
    inner.codes.remove(code);
    if inner.config.expiring_user_tokens {
        let lifetime = inner.config.user_token_lifetime;
        return Ok(TokenBody::expiring(inner.issue_token_pair(&grant.login, grant.scopes), lifetime));
    }
    let scope = grant.scopes.to_response();
    let access_token = inner.issue_token(&grant.login, grant.scopes);
    Ok(TokenBody::plain(access_token, scope))
}

/// Trades a refresh token for a new pair; the old pair stops working.
fn refresh(shared: &Shared, params: &Params) -> Result<TokenBody, TokenError> {
    let mut inner = shared.lock();
    if params.get("client_id") != Some(inner.config.client_id.as_str())
        || params.get("client_secret") != Some(inner.config.client_secret.as_str())
    {
        return Err(TokenError::IncorrectClientCredentials);
    }
    let presented = params.get("refresh_token").ok_or(TokenError::BadRefreshToken)?;
    let (grant, old_access) = inner.refresh_tokens.remove(presented).ok_or(TokenError::BadRefreshToken)?;
    inner.tokens.remove(&old_access);
    let lifetime = inner.config.user_token_lifetime;
    Ok(TokenBody::expiring(inner.issue_token_pair(&grant.login, grant.scopes), lifetime))
}

/// Status 200, as JSON or GitHub's default form encoding.
fn respond<T: Serialize>(json: bool, body: &T) -> Response {
    if json {
        let text = serde_json::to_string(body).expect("token bodies serialize");
        (StatusCode::OK, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], text).into_response()
    } else {
        let text = serde_urlencoded::to_string(body).expect("token bodies serialize");
        (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8")], text)
            .into_response()
    }
}
