//! GitHub's REST API (`api.github.com`) as far as the double serves it: authentication, the
//! headers every answer carries, errors and pagination. Endpoint groups live in submodules
//! ([`user`]; App and pull-request endpoints can be added beside it).

pub(crate) mod json;
pub(crate) mod user;

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::config::UserConfig;
use crate::ids;
use crate::scopes::Scopes;
use crate::state::{now_epoch, Shared, ANONYMOUS_RATE_LIMIT, USER_RATE_LIMIT};

/// The API versions GitHub accepts in `X-GitHub-Api-Version`; the first is the default.
const API_VERSIONS: &[&str] = &["2022-11-28", "2026-03-10"];
pub(crate) const REST_DOCS: &str = "https://docs.github.com/rest";
const RATE_LIMIT_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/// The rate-limit numbers a response reports.
#[derive(Clone, Copy, Debug)]
struct Rate {
    limit: u32,
    used: u32,
    reset: u64,
}

/// The authenticated caller of a REST request.
pub(crate) struct Caller {
    pub user: UserConfig,
    pub scopes: Scopes,
    /// Whether scopes are enforced (see [`DoubleConfig::enforce_scopes`](crate::DoubleConfig)).
    pub enforce_scopes: bool,
    accepted_scopes: &'static str,
    api_version: &'static str,
    rate: Rate,
}

/// Authenticates `Authorization: Bearer <token>` (or `token <token>`) and counts the request
/// against the user's rate limit. Errors are complete responses: 401 without a valid token, 403
/// when the double is rate limited. `accepted_scopes` is the endpoint's `x-accepted-oauth-scopes`.
pub(crate) fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    accepted_scopes: &'static str,
) -> Result<Caller, Box<Response>> {
    let api_version = api_version(headers);
    let mut inner = shared.lock();
    let anonymous = Rate { limit: ANONYMOUS_RATE_LIMIT, used: 0, reset: inner.rate_window() };
    let unauthorized = |message: &str| {
        Box::new(error_response(StatusCode::UNAUTHORIZED, message, REST_DOCS, api_version, anonymous, Vec::new()))
    };
    let Some(token) = bearer_token(headers) else { return Err(unauthorized("Requires authentication")) };
    let Some(grant) = inner.tokens.get(token).cloned() else { return Err(unauthorized("Bad credentials")) };
    let Some(user) = inner.config.find_user(&grant.login).cloned() else {
        return Err(unauthorized("Bad credentials"));
    };
    let scope_headers = vec![
        (HeaderName::from_static("x-oauth-scopes"), grant.scopes.to_header()),
        (HeaderName::from_static("x-accepted-oauth-scopes"), accepted_scopes.to_string()),
    ];
    if inner.rate_limited {
        let rate = Rate { limit: USER_RATE_LIMIT, used: USER_RATE_LIMIT, reset: inner.rate_window() };
        let message = format!("API rate limit exceeded for user ID {}.", user.id);
        let response =
            error_response(StatusCode::FORBIDDEN, &message, RATE_LIMIT_DOCS, api_version, rate, scope_headers);
        return Err(Box::new(response));
    }
    let (used, reset) = inner.count_request(&user.login);
    let enforce_scopes = inner.config.enforce_scopes;
    let rate = Rate { limit: USER_RATE_LIMIT, used, reset };
    Ok(Caller { user, scopes: grant.scopes, enforce_scopes, accepted_scopes, api_version, rate })
}

impl Caller {
    /// Whether the token carries `scope` (always true when scopes are not enforced).
    pub fn allows(&self, scope: &str) -> bool {
        !self.enforce_scopes || self.scopes.allows(scope)
    }

    /// A JSON answer with GitHub's headers, and a `Link` header when given.
    pub fn json(&self, status: StatusCode, body: &Value, link: Option<String>) -> Response {
        let mut extra = self.scope_headers();
        extra.extend(link.map(|l| (header::LINK, l)));
        rest_response(status, body, self.api_version, self.rate, extra)
    }

    /// A `basic-error` answer.
    pub fn error(&self, status: StatusCode, message: &str, documentation_url: &str) -> Response {
        error_response(status, message, documentation_url, self.api_version, self.rate, self.scope_headers())
    }

    fn scope_headers(&self) -> Vec<(HeaderName, String)> {
        vec![
            (HeaderName::from_static("x-oauth-scopes"), self.scopes.to_header()),
            (HeaderName::from_static("x-accepted-oauth-scopes"), self.accepted_scopes.to_string()),
        ]
    }
}

/// The token of `Authorization: Bearer <token>` or `Authorization: token <token>`.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token");
    (known && !token.is_empty()).then_some(token)
}

/// The version the request selected with `X-GitHub-Api-Version`, else the default.
fn api_version(headers: &HeaderMap) -> &'static str {
    let requested = headers.get("x-github-api-version").and_then(|v| v.to_str().ok()).unwrap_or("");
    API_VERSIONS.iter().find(|v| **v == requested).copied().unwrap_or(API_VERSIONS[0])
}

fn error_response(
    status: StatusCode,
    message: &str,
    documentation_url: &str,
    api_version: &'static str,
    rate: Rate,
    extra: Vec<(HeaderName, String)>,
) -> Response {
    let body = json!({ "message": message, "documentation_url": documentation_url });
    rest_response(status, &body, api_version, rate, extra)
}

fn rest_response(
    status: StatusCode,
    body: &Value,
    api_version: &'static str,
    rate: Rate,
    extra: Vec<(HeaderName, String)>,
) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let remaining = rate.limit.saturating_sub(rate.used);
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_TYPE, "application/json; charset=utf-8".to_string()),
        (HeaderName::from_static("x-github-api-version-selected"), api_version.to_string()),
        (HeaderName::from_static("x-github-media-type"), "github.v3; format=json".to_string()),
        (HeaderName::from_static("x-github-request-id"), ids::request_id()),
        (HeaderName::from_static("x-ratelimit-limit"), rate.limit.to_string()),
        (HeaderName::from_static("x-ratelimit-remaining"), remaining.to_string()),
        (HeaderName::from_static("x-ratelimit-reset"), rate.reset.to_string()),
        (HeaderName::from_static("x-ratelimit-used"), rate.used.to_string()),
        (HeaderName::from_static("x-ratelimit-resource"), "core".to_string()),
    ];
    for (name, value) in fixed.into_iter().chain(extra) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// GitHub's pagination: `per_page` (default 30, at most 100) and `page` (from 1) select a slice;
/// the `Link` header points at the neighbouring, first and last pages.
pub(crate) fn paginate(items: Vec<Value>, query: Option<&str>, url: &str) -> (Vec<Value>, Option<String>) {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
    let number = |name: &str| params.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.parse::<usize>().ok());
    let per_page = number("per_page").unwrap_or(30).clamp(1, 100);
    let page = number("page").unwrap_or(1).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice: Vec<Value> = items.into_iter().skip((page - 1) * per_page).take(per_page).collect();
    let link_to = |p: usize, rel: &str| format!("<{url}?per_page={per_page}&page={p}>; rel=\"{rel}\"");
    let mut links = Vec::new();
    if page > 1 {
        links.push(link_to((page - 1).min(last), "prev"));
    }
    if page < last {
        links.push(link_to(page + 1, "next"));
        links.push(link_to(last, "last"));
    }
    if page > 1 {
        links.push(link_to(1, "first"));
    }
    (slice, (!links.is_empty()).then(|| links.join(", ")))
}

/// Any path the double does not serve: GitHub's JSON 404.
pub(crate) async fn not_found(headers: HeaderMap) -> Response {
    let rate = Rate { limit: ANONYMOUS_RATE_LIMIT, used: 0, reset: now_epoch() + 3600 };
    error_response(StatusCode::NOT_FOUND, "Not Found", REST_DOCS, api_version(&headers), rate, Vec::new())
}

/// A 1×1 transparent PNG, so the avatar URLs in payloads load without leaving the machine.
pub(crate) async fn avatar() -> Response {
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00,
        0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d,
        0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    ([(header::CONTENT_TYPE, "image/png")], PNG).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_links() {
        let items: Vec<Value> = (0..5).map(Value::from).collect();
        let (page, link) = paginate(items.clone(), Some("per_page=2&page=2"), "http://h/user/emails");
        assert_eq!(page, vec![Value::from(2), Value::from(3)]);
        assert_eq!(
            link.as_deref(),
            Some(
                "<http://h/user/emails?per_page=2&page=1>; rel=\"prev\", \
                 <http://h/user/emails?per_page=2&page=3>; rel=\"next\", \
                 <http://h/user/emails?per_page=2&page=3>; rel=\"last\", \
                 <http://h/user/emails?per_page=2&page=1>; rel=\"first\""
            )
        );
        let (page, link) = paginate(items, None, "http://h/x");
        assert_eq!(page.len(), 5);
        assert_eq!(link, None);
    }

    #[test]
    fn bearer_and_token_schemes() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("token gho_abc"));
        assert_eq!(bearer_token(&headers), Some("gho_abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer  gho_abc "));
        assert_eq!(bearer_token(&headers), Some("gho_abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
    }
}
