//! Repository endpoints: `GET /repos/{owner}/{repo}`, its branches (read from the git
//! directory) and the check runs of a commit. Who may see a repository: every configured user
//! whose own access is not `none` (`permissions` says what they may do), and installation tokens of the installation that has it (narrowed to the repositories the
//! token was minted for, if any).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{authenticate, paginate, pull_json, repo_json, Caller, Identity};
use crate::app_config::RepoConfig;
use crate::git;
use crate::oauth::Params;
use crate::state::Shared;

const REPO_DOCS: &str = "https://docs.github.com/rest/repos/repos#get-a-repository";
const BRANCHES_DOCS: &str = "https://docs.github.com/rest/branches/branches#list-branches";
const CHECK_RUNS_DOCS: &str = "https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference";

/// The repository `owner/name` if the caller may use it, with the id of the installation that
/// has it.
pub(crate) fn accessible_repo(shared: &Shared, caller: &Caller, owner: &str, name: &str) -> Option<(RepoConfig, u64)> {
    let inner = shared.lock();
    let (installation, repo) = inner.config.find_repo(owner, name)?;
    let allowed = match &caller.identity {
        Identity::User(user) => repo.access_of(&user.login) != "none",
        Identity::Installation(access) => {
            access.installation_id == installation.id
                && access.repo_ids.as_ref().is_none_or(|ids| ids.contains(&repo.id))
        }
    };
    allowed.then(|| (repo.clone(), installation.id))
}

/// The branch tips of a repository (empty without a git directory).
pub(crate) fn tips(repo: &RepoConfig) -> HashMap<String, String> {
    repo.git_dir.as_deref().map(git::branches).unwrap_or_default().into_iter().collect()
}

/// Authenticates and finds the repository, or answers the error (401/403/429, or 404).
pub(crate) fn caller_and_repo(
    shared: &Shared,
    headers: &HeaderMap,
    owner: &str,
    name: &str,
    docs: &str,
) -> Result<(Caller, RepoConfig, u64), Box<Response>> {
    let caller = authenticate(shared, headers, "repo")?;
    match accessible_repo(shared, &caller, owner, name) {
        Some((repo, installation_id)) => Ok((caller, repo, installation_id)),
        None => Err(Box::new(caller.error(StatusCode::NOT_FOUND, "Not Found", docs))),
    }
}

/// `GET /repos/{owner}/{repo}` (`repos/get`): `full-repository`.
pub(crate) async fn get_repo(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(&shared, &headers, &owner, &name, REPO_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let permissions = caller.user().map(|user| repo.permissions_of(&user.login));
    let body = {
        let mut inner = shared.lock();
        let owner_json = repo_json::account_json(&mut inner, &shared.base_url, &repo.owner);
        let open = repo_json::open_issues(&inner, &repo);
        repo_json::full_repository(&shared.base_url, &repo, owner_json, open, permissions)
    };
    caller.json(StatusCode::OK, &body, None)
}

/// `GET /repos/{owner}/{repo}/branches` (`repos/list-branches`): `[short-branch]`, from
/// `git for-each-ref refs/heads`. No branch is protected (`protected=true` lists none).
pub(crate) async fn list_branches(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(&shared, &headers, &owner, &name, BRANCHES_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let params = Params::from_urlencoded(query.as_deref().unwrap_or("").as_bytes());
    let only_protected = params.get("protected") == Some("true");
    let branches: Vec<Value> = repo
        .git_dir
        .as_deref()
        .map(git::branches)
        .unwrap_or_default()
        .into_iter()
        .filter(|_| !only_protected)
        .map(|(branch, sha)| repo_json::short_branch(&shared.base_url, &repo, &branch, &sha))
        .collect();
    let url = format!("{}/repos/{}/branches", shared.base_url, repo.full_name());
    let (page, link) = paginate(branches, query.as_deref(), &url);
    caller.json(StatusCode::OK, &Value::Array(page), link)
}

/// `GET /repos/{owner}/{repo}/commits/{ref}/check-runs` (`checks/list-for-ref`): the check runs
/// the test set on the commit `ref` names (a sha, branch or tag), filtered by `check_name` and
/// `status`.
pub(crate) async fn list_check_runs(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, reference)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(&shared, &headers, &owner, &name, CHECK_RUNS_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !caller.may("checks", "read") {
        return caller.not_accessible_by_integration(CHECK_RUNS_DOCS);
    }
    let is_sha = reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit());
    let resolved = repo.git_dir.as_deref().and_then(|dir| git::resolve(dir, &reference));
    let Some(sha) = resolved.or(is_sha.then(|| reference.to_ascii_lowercase())) else {
        let message = format!("No commit found for SHA: {reference}");
        return caller.error(StatusCode::UNPROCESSABLE_ENTITY, &message, CHECK_RUNS_DOCS);
    };
    let params = Params::from_urlencoded(query.as_deref().unwrap_or("").as_bytes());
    let tips = tips(&repo);
    let runs: Vec<Value> = {
        let inner = shared.lock();
        inner
            .app
            .check_runs
            .iter()
            .filter(|r| r.repo_id == repo.id && r.head_sha == sha)
            .filter(|r| params.get("check_name").is_none_or(|n| n == r.name))
            .filter(|r| params.get("status").is_none_or(|s| s == r.status))
            .map(|run| {
                let pulls = super::pulls::open_pulls_at(&inner, &shared.base_url, &repo, &tips, &run.head_sha);
                pull_json::check_run(&shared.base_url, &repo, run, pulls)
            })
            .collect()
    };
    let total = runs.len();
    let url = format!("{}/repos/{}/commits/{reference}/check-runs", shared.base_url, repo.full_name());
    let (page, link) = paginate(runs, query.as_deref(), &url);
    caller.json(StatusCode::OK, &json!({ "total_count": total, "check_runs": page }), link)
}
