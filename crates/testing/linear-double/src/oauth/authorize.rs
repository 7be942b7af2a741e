//! `GET /oauth/authorize`. Parameters from Linear's OAuth docs ("Redirect user access requests
//! to Linear"): `client_id`, `redirect_uri`, `response_type=code` and `scope` (comma-separated)
//! are required; `state` is optional but "should always be supplied"; `actor` is `user` (the
//! default) or `app`; `prompt=consent`; PKCE's `code_challenge` and `code_challenge_method`.
//! Approval sends the browser to `redirect_uri?code=…&state=…` (the docs' example). A denial
//! returns `error=access_denied` (RFC 6749 §4.1.2.1: the docs do not show it). Requests the
//! docs call invalid get a 400 page and a violation; the double never redirects to an
//! unregistered URL.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::{Actor, AuthorizeDecision, CodeGrant, TokenGrant};
use crate::ids;
use crate::state::Inner;

pub(crate) fn authorize(inner: &mut Inner, query: &str) -> Response {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let get = |name: &str| params.iter().rev().find(|(n, v)| n == name && !v.is_empty()).map(|(_, v)| v.clone());
    let oauth = &inner.config.oauth;
    let problem = if get("client_id").as_deref() != Some(oauth.client_id.as_str()) {
        Some(format!("client_id {:?} is not the registered application's", get("client_id")))
    } else if !get("redirect_uri").is_some_and(|uri| oauth.redirect_uris.contains(&uri)) {
        Some(format!(
            "redirect_uri {:?} is not a registered callback URL {:?}",
            get("redirect_uri"),
            oauth.redirect_uris
        ))
    } else if get("response_type").as_deref() != Some("code") {
        Some("response_type must be code".to_string())
    } else if get("scope").is_none() {
        Some("scope is required (comma-separated)".to_string())
    } else if get("scope").is_some_and(|s| s.contains(' ')) {
        Some("scope must be comma-separated, not space-separated".to_string())
    } else if !matches!(get("actor").as_deref(), None | Some("user" | "app")) {
        Some(format!("actor must be user or app, not {:?}", get("actor")))
    } else if get("code_challenge").is_some()
        && !matches!(get("code_challenge_method").as_deref(), Some("S256" | "plain"))
    {
        Some("code_challenge_method must be S256 or plain".to_string())
    } else {
        None
    };
    if let Some(problem) = problem {
        inner.violation(format!("GET /oauth/authorize: {problem}"));
        return (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page(&problem))
            .into_response();
    }
    let state = get("state");
    if state.is_none() {
        inner.violation("GET /oauth/authorize: no state (Linear's docs: it should always be supplied)");
    }
    let redirect_uri = get("redirect_uri").unwrap_or_default();
    let mut pairs: Vec<(&str, String)> = Vec::new();
    match inner.oauth.decision.clone() {
        AuthorizeDecision::Deny => {
            pairs.push(("error", "access_denied".into()));
            pairs.push(("error_description", "The user denied the authorization request".into()));
        }
        AuthorizeDecision::Approve { user_id } => {
            let actor = if get("actor").as_deref() == Some("app") { Actor::App } else { Actor::User };
            let acting = if actor == Actor::App { inner.config.app_user.id.clone() } else { user_id };
            let mut scopes: Vec<String> =
                get("scope").unwrap_or_default().split(',').map(|s| s.trim().to_string()).collect();
            // "read - (Default) … This scope will always be present."
            if !scopes.iter().any(|s| s == "read") {
                scopes.insert(0, "read".into());
            }
            let challenge = get("code_challenge").map(|c| (c, get("code_challenge_method").unwrap_or_default()));
            let code = ids::authorization_code();
            let grant = TokenGrant { user_id: acting, actor, scopes, expires_at: None };
            let issued = std::time::Instant::now();
            inner
                .oauth
                .codes
                .insert(code.clone(), CodeGrant { redirect_uri: redirect_uri.clone(), grant, issued, challenge });
            pairs.push(("code", code));
        }
    }
    pairs.extend(state.map(|s| ("state", s)));
    let mut url = Url::parse(&redirect_uri).expect("registered callback URLs are checked at start");
    url.query_pairs_mut().extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())], "").into_response()
}

fn page(problem: &str) -> String {
    let escaped = problem.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!("<!DOCTYPE html>\n<html><head><title>Linear</title></head><body><p>Invalid authorization request: {escaped}</p></body></html>\n")
}
