//! The repository picker: `GET /api/repos` (the repositories the App's installations reach
//! that the caller may read on GitHub, with default branches) and
//! `GET /api/repos/:owner/:name/branches` (the same check). The App's list is read from GitHub
//! (and kept in D1), or from D1 when GitHub fails; the caller's own access is read with their
//! own token ([`super::access`]).

use oi_protocol::source_control::{Repository, RepositoryList};
use oi_protocol::{ApiError, ErrorCode};
use oi_source_control::SourceControl;
use worker::{Env, Request, Response};

use super::{access, provider, repo_ref, store};
use crate::auth::current_caller;
use crate::http::{json_response, Outcome};

pub async fn list(req: &Request, env: &Env) -> Outcome<Response> {
    let caller = current_caller(req, env).await?;
    let Some(github) = provider(env) else {
        return json_response(200, &RepositoryList { repositories: vec![], configured: false });
    };
    let known = store::repos(env).await?;
    let mut repositories: Vec<Repository> = Vec::new();
    for installation in store::installations(env).await? {
        let stored: Vec<&Repository> = known.iter().filter(|(i, _)| *i == installation).map(|(_, r)| r).collect();
        match github.repositories(&installation).await {
            Ok(repos) => {
                // Written only when GitHub's list differs from what D1 holds.
                if !same_repositories(&stored, &repos) {
                    store::save_installation_repos(env, &installation, &repos).await?;
                }
                repositories.extend(repos);
            }
            Err(e) => {
                worker::console_error!("listing installation {installation}'s repositories: {e}");
                repositories.extend(stored.into_iter().cloned());
            }
        }
    }
    repositories.sort_by_key(|a| a.full_name.to_ascii_lowercase());
    repositories.dedup_by(|a, b| a.full_name.eq_ignore_ascii_case(&b.full_name));
    let repositories = access::readable(env, &caller.user.id, repositories).await?;
    json_response(200, &RepositoryList { repositories, configured: true })
}

/// Whether D1's rows hold the same repositories as GitHub's list (the fields D1 keeps).
fn same_repositories(stored: &[&Repository], listed: &[Repository]) -> bool {
    let key = |r: &Repository| (r.full_name.to_ascii_lowercase(), r.default_branch.clone(), r.private);
    let mut a: Vec<_> = stored.iter().map(|r| key(r)).collect();
    let mut b: Vec<_> = listed.iter().map(key).collect();
    a.sort();
    b.sort();
    a == b
}

pub async fn branches(req: &Request, env: &Env, owner: &str, name: &str) -> Outcome<Response> {
    let caller = current_caller(req, env).await?;
    let github = provider(env)
        .ok_or_else(|| ApiError::new(ErrorCode::Misconfigured, "no GitHub App is configured (GITHUB_APP_ID)"))?;
    let full_name = format!("{owner}/{name}");
    let repo = repo_ref(env, &github, &full_name).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::NotFound, format!("the GitHub App is not installed on {full_name:?}"))
    })?;
    access::require(env, &caller.user.id, &full_name, access::TO_LIST).await?;
    let list = github.branches(&repo).await.map_err(ApiError::from)?;
    json_response(200, &list)
}
