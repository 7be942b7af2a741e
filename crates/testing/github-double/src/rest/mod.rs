//! GitHub's REST API (`api.github.com`) as far as the double serves it: authentication, the
//! headers every answer carries, errors and pagination. Endpoint groups live in submodules:
//! [`user`], [`repos`] (repositories, branches, check runs), [`pulls`], [`reviews`] (files and
//! reviews), [`comments`], [`reactions`], [`collaborators`]; the JSON they answer with is built in
//! [`json`], [`repo_json`], [`pull_json`] and [`discussion_json`].

pub(crate) mod collaborators;
pub(crate) mod comments;
pub(crate) mod discussion_json;
pub(crate) mod json;
pub(crate) mod pull_json;
pub(crate) mod pulls;
pub(crate) mod reactions;
pub(crate) mod repo_json;
pub(crate) mod repos;
pub(crate) mod reviews;
pub(crate) mod user;

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::app_config::level_allows;
use crate::config::UserConfig;
use crate::ids;
use crate::scopes::Scopes;
use crate::state::{now_epoch, Shared, ANONYMOUS_RATE_LIMIT, USER_RATE_LIMIT};

/// The API versions GitHub accepts in `X-GitHub-Api-Version`; the first is the default.
const API_VERSIONS: &[&str] = &["2022-11-28", "2026-03-10"];
pub(crate) const REST_DOCS: &str = "https://docs.github.com/rest";
const RATE_LIMIT_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
const SECONDARY_DOCS: &str =
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";

/// The rate-limit numbers a response reports.
#[derive(Clone, Copy, Debug)]
struct Rate {
    limit: u32,
    used: u32,
    reset: u64,
}

/// Who a REST request acts as.
#[derive(Clone, Debug)]
pub(crate) enum Identity {
    /// A user token (`gho_…`).
    User(UserConfig),
    /// An installation token (`ghs_…`): acts as the App's bot on the installation's repositories.
    Installation(InstallationAccess),
}

/// What an installation token may do.
#[derive(Clone, Debug)]
pub(crate) struct InstallationAccess {
    pub installation_id: u64,
    /// The repositories the token was narrowed to when minted (`None`: all of the installation's).
    pub repo_ids: Option<Vec<u64>>,
    pub permissions: BTreeMap<String, String>,
}

/// The authenticated caller of a REST request.
pub(crate) struct Caller {
    pub identity: Identity,
    pub scopes: Scopes,
    /// Whether scopes are enforced (see [`DoubleConfig::enforce_scopes`](crate::DoubleConfig)).
    pub enforce_scopes: bool,
    accepted_scopes: &'static str,
    api_version: &'static str,
    rate: Rate,
}

/// Authenticates `Authorization: Bearer <token>` (or `token <token>`), a user or an installation
/// token, and counts the request against its rate limit. Errors are complete responses: 401
/// without a valid token, 403 (primary) or 429 (secondary) when the double is rate limited.
/// `accepted_scopes` is the endpoint's `x-accepted-oauth-scopes`.
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
    let (identity, scopes) = if let Some(grant) = inner.tokens.get(token).filter(|g| g.live()).cloned() {
        let Some(user) = inner.config.find_user(&grant.login).cloned() else {
            return Err(unauthorized("Bad credentials"));
        };
        (Identity::User(user), grant.scopes)
    } else if let Some(access) = inner.installation_access(token) {
        (Identity::Installation(access), Scopes::default())
    } else {
        return Err(unauthorized("Bad credentials"));
    };
    let (budget_key, limited_message) = match &identity {
        Identity::User(user) => (user.login.clone(), format!("API rate limit exceeded for user ID {}.", user.id)),
        Identity::Installation(access) => (
            format!("installation:{}", access.installation_id),
            format!("API rate limit exceeded for installation ID {}.", access.installation_id),
        ),
    };
    let is_user = matches!(identity, Identity::User(_));
    let scope_headers = if is_user { scope_headers(&scopes, accepted_scopes) } else { Vec::new() };
    if inner.rate_limited {
        let rate = Rate { limit: USER_RATE_LIMIT, used: USER_RATE_LIMIT, reset: inner.rate_window() };
        let response =
            error_response(StatusCode::FORBIDDEN, &limited_message, RATE_LIMIT_DOCS, api_version, rate, scope_headers);
        return Err(Box::new(response));
    }
    let (used, reset) = inner.count_request(&budget_key);
    let rate = Rate { limit: USER_RATE_LIMIT, used, reset };
    if inner.secondary_rate_limited {
        let request_id = ids::request_id();
        let message = format!(
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you \
             reach out to GitHub Support for help, please include the request ID {request_id}."
        );
        let mut extra = scope_headers;
        extra.push((header::RETRY_AFTER, "60".to_string()));
        extra.push((HeaderName::from_static("x-github-request-id"), request_id));
        let response =
            error_response(StatusCode::TOO_MANY_REQUESTS, &message, SECONDARY_DOCS, api_version, rate, extra);
        return Err(Box::new(response));
    }
    let enforce_scopes = inner.config.enforce_scopes;
    Ok(Caller { identity, scopes, enforce_scopes, accepted_scopes, api_version, rate })
}

impl Caller {
    /// Whether the token carries `scope` (always true when scopes are not enforced, and for
    /// installation tokens, which have permissions instead).
    pub fn allows(&self, scope: &str) -> bool {
        !self.enforce_scopes || !self.is_user() || self.scopes.allows(scope)
    }

    /// The user of a user token.
    pub fn user(&self) -> Option<&UserConfig> {
        match &self.identity {
            Identity::User(user) => Some(user),
            Identity::Installation(_) => None,
        }
    }

    /// The installation of an installation token.
    pub fn installation(&self) -> Option<&InstallationAccess> {
        match &self.identity {
            Identity::Installation(access) => Some(access),
            Identity::User(_) => None,
        }
    }

    fn is_user(&self) -> bool {
        matches!(self.identity, Identity::User(_))
    }

    /// Whether the caller holds `permission` at `level` (user tokens always do: the double's
    /// users may do anything to the configured repositories).
    pub fn may(&self, permission: &str, level: &str) -> bool {
        match &self.identity {
            Identity::User(_) => true,
            Identity::Installation(access) => {
                level_allows(access.permissions.get(permission).map(String::as_str), level)
            }
        }
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

    /// 403 `Resource not accessible by integration`: what an installation token gets on an
    /// endpoint (or a permission) it does not have.
    pub fn not_accessible_by_integration(&self, documentation_url: &str) -> Response {
        self.error(StatusCode::FORBIDDEN, "Resource not accessible by integration", documentation_url)
    }

    /// 403 for a user token on an endpoint only installation tokens may call.
    pub fn not_accessible_by_user(&self, documentation_url: &str) -> Response {
        let message = "You must authenticate with an installation access token in order to list repositories for an installation.";
        self.error(StatusCode::FORBIDDEN, message, documentation_url)
    }

    /// 422 `validation-error`: `{"message":"Validation Failed","errors":[…]}`.
    pub fn validation_failed(&self, errors: Value, documentation_url: &str) -> Response {
        let body = json!({ "message": "Validation Failed", "errors": errors, "documentation_url": documentation_url });
        self.json(StatusCode::UNPROCESSABLE_ENTITY, &body, None)
    }

    fn scope_headers(&self) -> Vec<(HeaderName, String)> {
        if self.is_user() {
            scope_headers(&self.scopes, self.accepted_scopes)
        } else {
            Vec::new()
        }
    }
}

fn scope_headers(scopes: &Scopes, accepted: &str) -> Vec<(HeaderName, String)> {
    vec![
        (HeaderName::from_static("x-oauth-scopes"), scopes.to_header()),
        (HeaderName::from_static("x-accepted-oauth-scopes"), accepted.to_string()),
    ]
}

/// A JSON answer with GitHub's headers for a request that has no REST caller (the App's JWT
/// endpoints): the App's own budget, nothing counted.
pub(crate) fn app_json(status: StatusCode, body: &Value, headers: &HeaderMap) -> Response {
    let rate = Rate { limit: USER_RATE_LIMIT, used: 0, reset: now_epoch() + 3600 };
    rest_response(status, body, api_version(headers), rate, Vec::new())
}

/// A `basic-error` answer to a request without a REST caller (see [`app_json`]).
pub(crate) fn app_error(status: StatusCode, message: &str, documentation_url: &str, headers: &HeaderMap) -> Response {
    app_json(status, &json!({ "message": message, "documentation_url": documentation_url }), headers)
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
