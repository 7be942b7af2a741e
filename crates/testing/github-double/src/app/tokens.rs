//! `POST /app/installations/{installation_id}/access_tokens` (with the App's JWT) and
//! `GET /installation/repositories` (with an installation token).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::jwt;
use crate::app_config::{level_allows, InstallationConfig};
use crate::rest::{app_error, app_json, authenticate, paginate, repo_json};
use crate::state::{now_epoch, Shared};
use crate::time::rfc3339;

const MINT_DOCS: &str = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";
const LIST_DOCS: &str =
    "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation";
const NOT_ACCESSIBLE: &str =
    "There is at least one repository that does not exist or is not accessible to the parent installation.";
const NOT_GRANTED: &str = "The permissions requested are not granted to this installation.";

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The repositories and permissions a mint request narrows the token to.
struct Narrowing {
    repo_ids: Option<Vec<u64>>,
    permissions: BTreeMap<String, String>,
}

/// Reads the optional body (`repositories`, `repository_ids`, `permissions`) against what the
/// installation has. The error is a 422 message.
fn narrowing(installation: &InstallationConfig, body: &Value) -> Result<Narrowing, &'static str> {
    let mut ids: Vec<u64> = Vec::new();
    let mut narrowed = false;
    if let Some(names) = body.get("repositories").and_then(Value::as_array) {
        narrowed = true;
        for name in names {
            let name = name.as_str().unwrap_or_default();
            let repo = installation.repos.iter().find(|r| r.name.eq_ignore_ascii_case(name)).ok_or(NOT_ACCESSIBLE)?;
            ids.push(repo.id);
        }
    }
    if let Some(wanted) = body.get("repository_ids").and_then(Value::as_array) {
        narrowed = true;
        for id in wanted {
            let id = id.as_u64().filter(|id| installation.repos.iter().any(|r| r.id == *id)).ok_or(NOT_ACCESSIBLE)?;
            ids.push(id);
        }
    }
    let mut permissions = installation.permissions.clone();
    if let Some(wanted) = body.get("permissions").and_then(Value::as_object) {
        permissions = BTreeMap::new();
        for (name, level) in wanted {
            let level = level.as_str().unwrap_or_default();
            if !level_allows(installation.permissions.get(name).map(String::as_str), level) {
                return Err(NOT_GRANTED);
            }
            permissions.insert(name.clone(), level.to_string());
        }
        // Every token can read metadata.
        permissions.entry("metadata".into()).or_insert_with(|| "read".into());
    }
    ids.dedup();
    Ok(Narrowing { repo_ids: narrowed.then_some(ids), permissions })
}

/// `POST /app/installations/{installation_id}/access_tokens`
/// (`apps/create-installation-access-token`): 201 `installation-token`.
pub(crate) async fn create_access_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(installation_id): Path<String>,
    body: Bytes,
) -> Response {
    let unauthorized = |message: &str| app_error(StatusCode::UNAUTHORIZED, message, MINT_DOCS, &headers);
    let Some(token) = bearer(&headers) else { return unauthorized("Requires authentication") };
    let Some(app) = shared.lock().config.app.clone() else { return unauthorized(jwt::UNDECODABLE) };
    if let Err(message) = jwt::verify(token, &app, now_epoch() as i64) {
        return unauthorized(message);
    }
    let installation =
        installation_id.parse::<u64>().ok().and_then(|id| shared.lock().config.find_installation(id).cloned());
    let Some(installation) = installation else {
        return app_error(StatusCode::NOT_FOUND, "Not Found", MINT_DOCS, &headers);
    };
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(value @ Value::Object(_)) => value,
            _ => return app_error(StatusCode::BAD_REQUEST, "Problems parsing JSON", MINT_DOCS, &headers),
        }
    };
    let Narrowing { repo_ids, permissions } = match narrowing(&installation, &request) {
        Ok(narrowing) => narrowing,
        Err(message) => return app_error(StatusCode::UNPROCESSABLE_ENTITY, message, MINT_DOCS, &headers),
    };
    let mut inner = shared.lock();
    let (token, expires_at) = inner.mint_installation_token(installation.id, repo_ids.clone(), permissions.clone());
    let mut answer = json!({
        "token": token,
        "expires_at": rfc3339(expires_at),
        "permissions": permissions,
        "repository_selection": "selected"
    });
    if let Some(ids) = repo_ids {
        let repos: Vec<Value> = installation
            .repos
            .iter()
            .filter(|r| ids.contains(&r.id))
            .map(|r| repo_json::repository_for(&mut inner, &shared.base_url, r))
            .collect();
        answer["repositories"] = Value::Array(repos);
    }
    drop(inner);
    app_json(StatusCode::CREATED, &answer, &headers)
}

/// `GET /installation/repositories` (`apps/list-repos-accessible-to-installation`): the
/// repositories an installation token may use. User tokens get 403.
pub(crate) async fn list_repositories(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let caller = match authenticate(&shared, &headers, "") {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let Some(access) = caller.installation().cloned() else { return caller.not_accessible_by_user(LIST_DOCS) };
    let repos: Vec<Value> = {
        let mut inner = shared.lock();
        let granted =
            inner.config.find_installation(access.installation_id).map(|i| i.repos.clone()).unwrap_or_default();
        granted
            .iter()
            .filter(|r| access.repo_ids.as_ref().is_none_or(|ids| ids.contains(&r.id)))
            .map(|r| repo_json::repository_for(&mut inner, &shared.base_url, r))
            .collect()
    };
    let total = repos.len();
    let url = format!("{}/installation/repositories", shared.base_url);
    let (page, link) = paginate(repos, query.as_deref(), &url);
    let body = json!({ "total_count": total, "repositories": page, "repository_selection": "selected" });
    caller.json(StatusCode::OK, &body, link)
}
