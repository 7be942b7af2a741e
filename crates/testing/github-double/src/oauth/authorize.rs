//! `GET /login/oauth/authorize`: the page a browser is sent to. The double has no login or
//! consent screen: the configured authorizing user approves at once.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::{redirect_uri_allowed, Params};
use crate::scopes::Scopes;
use crate::state::Shared;

const AUTH_ERRORS_DOC: &str =
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/";

/// GitHub's 404 page, which is what an unknown `client_id` gets.
const NOT_FOUND_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Page not found &middot; GitHub</title></head><body><h1>404</h1>\
<p>This is not the web page you are looking for.</p></body></html>\n";

pub(crate) async fn authorize(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = Params::from_urlencoded(query.unwrap_or_default().as_bytes());
    let state = params.get("state");
    let mut inner = shared.lock();

    if params.get("client_id") != Some(inner.config.client_id.as_str()) {
        return html(StatusCode::NOT_FOUND, NOT_FOUND_PAGE.to_string());
    }
    let Some(registered) = inner.config.redirect_uri.clone() else {
        return html(
            StatusCode::INTERNAL_SERVER_ERROR,
            page("github-double: the OAuth app has no callback URL; call set_redirect_uri first"),
        );
    };
    let redirect_uri = params.get("redirect_uri").unwrap_or(&registered).to_string();
    if !redirect_uri_allowed(&registered, &redirect_uri) {
        return redirect_with_error(
            &registered,
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
            "redirect-uri-mismatch",
            state,
        );
    }
    if inner.deny_authorization {
        return redirect_with_error(
            &redirect_uri,
            "access_denied",
            "The user has denied your application access.",
            "access-denied",
            state,
        );
    }
    let Some(login) = inner.authorizing_user().map(|u| u.login.clone()) else {
        return html(StatusCode::INTERNAL_SERVER_ERROR, page("github-double: there is no user to approve the app"));
    };
    let code = inner.issue_code(&login, Scopes::parse(params.get("scope").unwrap_or("")), &redirect_uri);
    drop(inner);

    let mut pairs = vec![("code", code.as_str())];
    pairs.extend(state.map(|s| ("state", s)));
    redirect(&redirect_uri, &pairs)
}

/// A 302 to the callback with GitHub's error parameters.
fn redirect_with_error(to: &str, error: &str, description: &str, anchor: &str, state: Option<&str>) -> Response {
    let error_uri = format!("{AUTH_ERRORS_DOC}#{anchor}");
    let mut pairs = vec![("error", error), ("error_description", description), ("error_uri", &error_uri)];
    pairs.extend(state.map(|s| ("state", s)));
    redirect(to, &pairs)
}

/// A 302 to `to` with `pairs` appended to its query.
fn redirect(to: &str, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(to) else {
        return html(StatusCode::INTERNAL_SERVER_ERROR, page("github-double: the callback URL is not a URL"));
    };
    url.query_pairs_mut().extend_pairs(pairs);
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())], "").into_response()
}

fn page(message: &str) -> String {
    format!("<!DOCTYPE html>\n<html><head><title>GitHub</title></head><body><p>{message}</p></body></html>\n")
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}
