//! `GET /repos/{owner}/{repo}/collaborators/{username}/permission`
//! (`repos/get-collaborator-permission-level`, added to the contract copy from GitHub's
//! description: `tests/fixtures/github/README.md`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::discussion_json;
use super::repos::caller_and_repo;
use crate::app::state::Author;
use crate::state::Shared;

const DOCS: &str = "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user";

/// `repository-collaborator-permission` of a configured user: their role on the repository (set
/// with [`GithubDouble::set_user_access`](crate::GithubDouble::set_user_access); `write` unless
/// set). 404 for a login GitHub would not know. Installation tokens need `metadata: read`.
pub(crate) async fn permission(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, username)): Path<(String, String, String)>,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(&shared, &headers, &owner, &name, DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !caller.may("metadata", "read") {
        return caller.not_accessible_by_integration(DOCS);
    }
    let body = {
        let mut inner = shared.lock();
        let Some(login) = inner.config.find_user(&username).map(|u| u.login.clone()) else {
            return caller.error(StatusCode::NOT_FOUND, "Not Found", DOCS);
        };
        let user = crate::app::pulls::author_json(&mut inner, &shared.base_url, &Author::User(login.clone()));
        discussion_json::collaborator_permission(repo.access_of(&login), user, repo.permissions_of(&login))
    };
    caller.json(StatusCode::OK, &body, None)
}
