//! Pull request endpoints: list, create, get and update (`pulls/*`). Branches and shas come
//! from the repository's git directory; creating, editing and closing deliver `pull_request`
//! webhooks.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::repos::{caller_and_repo, tips};
use super::Caller;
use crate::app::pulls::{announce, freeze_shas, insert, render, NewPull};
use crate::app::state::{Author, Pull};
use crate::app_config::RepoConfig;
use crate::git;
use crate::oauth::Params;
use crate::state::{now_epoch, Shared};

pub(crate) use crate::app::pulls::open_pulls_at;

const LIST_DOCS: &str = "https://docs.github.com/rest/pulls/pulls#list-pull-requests";
const CREATE_DOCS: &str = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request";
const GET_DOCS: &str = "https://docs.github.com/rest/pulls/pulls#get-a-pull-request";
const UPDATE_DOCS: &str = "https://docs.github.com/rest/pulls/pulls#update-a-pull-request";

type Found = (Caller, RepoConfig, u64);

/// `GET /repos/{owner}/{repo}/pulls` (`pulls/list`): `state` (`open` by default, `closed`,
/// `all`), `head` (`owner:branch`), `base`, `sort` (`created`, `updated`), `direction`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let (caller, repo, _): Found = match caller_and_repo(&shared, &headers, &owner, &name, LIST_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let params = Params::from_urlencoded(query.as_deref().unwrap_or("").as_bytes());
    let state = params.get("state").unwrap_or("open");
    if !["open", "closed", "all"].contains(&state) {
        let errors = json!([{ "resource": "Issue", "field": "state", "code": "invalid" }]);
        return caller.validation_failed(errors, LIST_DOCS);
    }
    let head = params.get("head").map(|h| match h.split_once(':') {
        Some((head_owner, branch)) => (Some(head_owner.to_string()), branch.to_string()),
        None => (None, h.to_string()),
    });
    let mut pulls: Vec<Pull> = shared.lock().app.pulls.iter().filter(|p| p.repo_id == repo.id).cloned().collect();
    pulls.retain(|p| state == "all" || (state == "open") == p.open);
    if let Some((head_owner, branch)) = &head {
        let owner_ok = head_owner.as_deref().is_none_or(|o| o.eq_ignore_ascii_case(&repo.owner));
        pulls.retain(|p| owner_ok && p.head_ref == *branch);
    }
    if let Some(base) = params.get("base") {
        pulls.retain(|p| p.base_ref == base);
    }
    match params.get("sort").unwrap_or("created") {
        "updated" => pulls.sort_by_key(|p| (p.updated_at, p.number)),
        _ => pulls.sort_by_key(|p| p.number),
    }
    if params.get("direction").unwrap_or("desc") != "asc" {
        pulls.reverse();
    }
    let tips = tips(&repo);
    let items: Vec<Value> = pulls.iter().map(|p| render(&shared, &repo, p, &tips, false)).collect();
    let url = format!("{}/repos/{}/pulls", shared.base_url, repo.full_name());
    let (page, link) = super::paginate(items, query.as_deref(), &url);
    caller.json(StatusCode::OK, &Value::Array(page), link)
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}` (`pulls/get`).
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, number)): Path<(String, String, String)>,
) -> Response {
    let (caller, repo, _): Found = match caller_and_repo(&shared, &headers, &owner, &name, GET_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let pull = number.parse().ok().and_then(|n| shared.lock().app.pull(repo.id, n).cloned());
    let Some(pull) = pull else { return caller.error(StatusCode::NOT_FOUND, "Not Found", GET_DOCS) };
    caller.json(StatusCode::OK, &render(&shared, &repo, &pull, &tips(&repo), true), None)
}

/// Who the caller acts as on a pull request.
pub(crate) fn author_of(caller: &Caller) -> Author {
    caller.user().map_or(Author::Bot, |u| Author::User(u.login.clone()))
}

/// The JSON object of a request body, or the 400 GitHub answers.
pub(crate) fn body_object(caller: &Caller, body: &Bytes, docs: &str) -> Result<Map<String, Value>, Box<Response>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Box::new(caller.error(StatusCode::BAD_REQUEST, "Problems parsing JSON", docs))),
    }
}

/// A non-empty string field of a request body.
pub(crate) fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_string).filter(|s| !s.is_empty())
}

/// 422 when another open pull request already has this head and base.
fn already_exists(
    shared: &Shared,
    caller: &Caller,
    repo: &RepoConfig,
    head: &str,
    base: &str,
    except: u64,
) -> Option<Response> {
    let inner = shared.lock();
    let taken = inner
        .app
        .pulls
        .iter()
        .any(|p| p.repo_id == repo.id && p.open && p.number != except && p.head_ref == head && p.base_ref == base);
    taken.then(|| {
        let message = format!("A pull request already exists for {}:{head}.", repo.owner);
        let errors = json!([{ "resource": "PullRequest", "code": "custom", "message": message }]);
        caller.validation_failed(errors, CREATE_DOCS)
    })
}

fn invalid_field(caller: &Caller, field: &str, docs: &str) -> Response {
    caller.validation_failed(json!([{ "resource": "PullRequest", "field": field, "code": "invalid" }]), docs)
}

/// `POST /repos/{owner}/{repo}/pulls` (`pulls/create`): `{title, head, base, body?, draft?,
/// maintainer_can_modify?}` → 201 `pull-request` and a `pull_request` `opened` delivery.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (caller, repo, _): Found = match caller_and_repo(&shared, &headers, &owner, &name, CREATE_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !caller.may("pull_requests", "write") {
        return caller.not_accessible_by_integration(CREATE_DOCS);
    }
    let map = match body_object(&caller, &body, CREATE_DOCS) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let missing: Vec<&str> = ["head", "base"].into_iter().filter(|k| text(&map, k).is_none()).collect();
    if !missing.is_empty() {
        let quoted: Vec<String> = missing.iter().map(|k| format!("\"{k}\"")).collect();
        let verb = if missing.len() == 1 { "wasn't" } else { "weren't" };
        let message = format!("Invalid request.\n\n{} {verb} supplied.", quoted.join(", "));
        return caller.error(StatusCode::UNPROCESSABLE_ENTITY, &message, CREATE_DOCS);
    }
    let Some(title) = text(&map, "title") else {
        let errors = json!([{ "resource": "PullRequest", "code": "missing_field", "field": "title" }]);
        return caller.validation_failed(errors, CREATE_DOCS);
    };
    let (head_spec, base) = (text(&map, "head").unwrap_or_default(), text(&map, "base").unwrap_or_default());
    let head = match head_spec.split_once(':') {
        Some((o, branch)) if o.eq_ignore_ascii_case(&repo.owner) => branch.to_string(),
        Some(_) => return invalid_field(&caller, "head", CREATE_DOCS),
        None => head_spec,
    };
    let dir = repo.git_dir.clone().unwrap_or_default();
    let Some(base_sha) = git::branch_sha(&dir, &base) else { return invalid_field(&caller, "base", CREATE_DOCS) };
    let Some(head_sha) = git::branch_sha(&dir, &head) else { return invalid_field(&caller, "head", CREATE_DOCS) };
    if let Some(response) = already_exists(&shared, &caller, &repo, &head, &base, 0) {
        return response;
    }
    if git::is_ancestor(&dir, &head_sha, &base_sha) {
        let message = format!("No commits between {base} and {head}");
        let errors = json!([{ "resource": "PullRequest", "code": "custom", "message": message }]);
        return caller.validation_failed(errors, CREATE_DOCS);
    }
    let author = author_of(&caller);
    let new = NewPull {
        title,
        body: text(&map, "body"),
        draft: map.get("draft").and_then(Value::as_bool).unwrap_or(false),
        author: author.clone(),
        head_ref: head,
        head_sha,
        base_ref: base,
        base_sha,
        maintainer_can_modify: map.get("maintainer_can_modify").and_then(Value::as_bool).unwrap_or(false),
    };
    let pull = insert(&shared, repo.id, new);
    let answer = render(&shared, &repo, &pull, &tips(&repo), true);
    announce(&shared, &repo, &pull, "opened", &author, json!({}));
    let mut response = caller.json(StatusCode::CREATED, &answer, None);
    if let Ok(location) = answer["url"].as_str().unwrap_or_default().parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// `PATCH /repos/{owner}/{repo}/pulls/{pull_number}` (`pulls/update`): `title`, `body`,
/// `state` (`open`/`closed`), `base`, `maintainer_can_modify`. Delivers `edited` (with
/// `changes`), `closed` or `reopened`.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, number)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let (caller, repo, _): Found = match caller_and_repo(&shared, &headers, &owner, &name, UPDATE_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !caller.may("pull_requests", "write") {
        return caller.not_accessible_by_integration(UPDATE_DOCS);
    }
    let map = match body_object(&caller, &body, UPDATE_DOCS) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let number: u64 = number.parse().unwrap_or(0);
    let Some(mut pull) = shared.lock().app.pull(repo.id, number).cloned() else {
        return caller.error(StatusCode::NOT_FOUND, "Not Found", UPDATE_DOCS);
    };
    let state = map.get("state").and_then(Value::as_str);
    if state.is_some_and(|s| s != "open" && s != "closed") {
        return invalid_field(&caller, "state", UPDATE_DOCS);
    }
    let tips = tips(&repo);
    let mut changes = Map::new();
    if let Some(title) = text(&map, "title").filter(|t| *t != pull.title) {
        changes.insert("title".into(), json!({ "from": std::mem::replace(&mut pull.title, title) }));
    }
    if let Some(body) = map.get("body").filter(|b| b.is_string() || b.is_null()) {
        let body = body.as_str().map(str::to_string);
        if body != pull.body {
            changes.insert("body".into(), json!({ "from": std::mem::replace(&mut pull.body, body) }));
        }
    }
    if let Some(base) = text(&map, "base").filter(|b| *b != pull.base_ref) {
        let Some(sha) = repo.git_dir.as_deref().and_then(|d| git::branch_sha(d, &base)) else {
            return invalid_field(&caller, "base", UPDATE_DOCS);
        };
        let from = json!({ "ref": { "from": pull.base_ref }, "sha": { "from": pull.base_sha } });
        changes.insert("base".into(), from);
        (pull.base_ref, pull.base_sha) = (base, sha);
    }
    if let Some(modify) = map.get("maintainer_can_modify").and_then(Value::as_bool) {
        pull.maintainer_can_modify = modify;
    }
    let transition = match state {
        Some("closed") if pull.open => Some("closed"),
        Some("open") if !pull.open && pull.merged => {
            let message = "state cannot be changed. The pull request cannot be reopened.";
            let errors = json!([{ "resource": "PullRequest", "code": "custom", "field": "state", "message": message }]);
            return caller.validation_failed(errors, UPDATE_DOCS);
        }
        Some("open") if !pull.open => Some("reopened"),
        _ => None,
    };
    let now = now_epoch();
    match transition {
        Some("closed") => {
            freeze_shas(&mut pull, &tips);
            (pull.open, pull.closed_at) = (false, Some(now));
        }
        Some(_) => {
            if let Some(response) = already_exists(&shared, &caller, &repo, &pull.head_ref, &pull.base_ref, pull.number)
            {
                return response;
            }
            (pull.open, pull.closed_at) = (true, None);
        }
        None => {}
    }
    if !changes.is_empty() || transition.is_some() {
        pull.updated_at = now;
    }
    if let Some(stored) = shared.lock().app.pull_mut(repo.id, number) {
        *stored = pull.clone();
    }
    let author = author_of(&caller);
    if !changes.is_empty() {
        announce(&shared, &repo, &pull, "edited", &author, json!({ "changes": changes }));
    }
    if let Some(action) = transition {
        announce(&shared, &repo, &pull, action, &author, json!({}));
    }
    caller.json(StatusCode::OK, &render(&shared, &repo, &pull, &tips, true), None)
}
