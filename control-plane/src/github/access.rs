//! A person's own access to a GitHub repository, read with their own token (never the App's):
//! the App may reach more repositories than a member may, so in GitHub mode starting a session
//! on a repository, or attaching a sandbox to one, needs the person's own `write` (they could
//! push the session branch themselves), and the picker lists only what they can `read`.
//!
//! The check applies to repositories the App is installed on; one it is not installed on gets
//! no credential from us, so there is nothing to guard. Local mode has no GitHub identity: the
//! person at the machine is its operator, and is not checked.

use futures_util::future::join_all;
use oi_protocol::rest::AuthMode;
use oi_protocol::source_control::Repository;
use oi_protocol::{ApiError, ErrorCode};
use oi_source_control::{RepoPermission, RepoRef, SourceControl, SourceControlError};
use worker::Env;

use super::{provider, repo_ref, user_token, Provider};
use crate::http::Outcome;

/// What the check needs the person to hold for each use.
pub const TO_START: RepoPermission = RepoPermission::Write;
pub const TO_LIST: RepoPermission = RepoPermission::Read;

/// Whether `have` (what GitHub said of the person's own access, `None` without a usable token
/// of theirs) is enough for `need` on `full_name`; the error names what is missing.
pub fn judge(full_name: &str, need: RepoPermission, have: Option<RepoPermission>) -> Result<(), ApiError> {
    match have {
        None => Err(sign_in_again(full_name)),
        Some(have) if have >= need => Ok(()),
        Some(have) => Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("you have {} access to {full_name} on GitHub; this needs {}", have.as_str(), need.as_str()),
        )),
    }
}

/// 401: the person's own GitHub token is needed and they have none that works.
fn sign_in_again(full_name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Unauthorized,
        format!("sign in with GitHub again: your access to {full_name} is checked with your own GitHub token, which has expired or was revoked"),
    )
}

/// The person's own permission on `repo`: `None` without a usable token of theirs (none kept,
/// or GitHub refused it).
async fn permission_of(github: &Provider, repo: &RepoRef, token: Option<&str>) -> Outcome<Option<RepoPermission>> {
    let Some(token) = token else { return Ok(None) };
    match github.user_permission(repo, token).await {
        Ok(level) => Ok(Some(level)),
        Err(SourceControlError::Unauthorized(_)) => Ok(None),
        Err(e) => Err(ApiError::from(e).into()),
    }
}

/// Whether the person's access to a repository is checked here at all.
fn checked(env: &Env) -> Option<Provider> {
    (crate::auth::settings::auth_mode(env) == AuthMode::Github).then(|| provider(env)).flatten()
}

/// Refuses unless `user_id` holds `need` on `repo` (a session's `repo`), when it is a GitHub
/// repository the App is installed on.
pub async fn require(env: &Env, user_id: &str, repo: &str, need: RepoPermission) -> Outcome<()> {
    let Some(github) = checked(env) else { return Ok(()) };
    let Some(repo) = repo_ref(env, &github, repo).await? else { return Ok(()) };
    let token = user_token(env, user_id).await;
    let have = permission_of(&github, &repo, token.as_deref()).await?;
    Ok(judge(&repo.full_name(), need, have)?)
}

/// The repositories of `listed` that `user_id` may read (all of them where no check applies).
/// One call per repository, made together.
pub async fn readable(env: &Env, user_id: &str, listed: Vec<Repository>) -> Outcome<Vec<Repository>> {
    let Some(github) = checked(env) else { return Ok(listed) };
    if listed.is_empty() {
        return Ok(listed);
    }
    let Some(token) = user_token(env, user_id).await else {
        return Err(sign_in_again("these repositories").into());
    };
    let refs: Vec<Option<RepoRef>> = listed.iter().map(|r| repo_from(&github, r)).collect();
    let checks = refs.iter().map(|r| async {
        match r {
            Some(repo) => permission_of(&github, repo, Some(&token)).await,
            None => Ok(Some(RepoPermission::None)),
        }
    });
    let levels = join_all(checks).await;
    let mut kept = Vec::new();
    for (repository, level) in listed.into_iter().zip(levels) {
        match level? {
            Some(level) if level >= TO_LIST => kept.push(repository),
            Some(_) => {}
            None => return Err(sign_in_again(&repository.full_name).into()),
        }
    }
    Ok(kept)
}

/// A listed repository as the provider addresses it (its installation does not matter to a
/// user's token).
fn repo_from(github: &Provider, repository: &Repository) -> Option<RepoRef> {
    let (owner, name) = github.recognise(&repository.full_name)?;
    Some(RepoRef { owner, name, access: String::new() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use RepoPermission as P;

    #[test]
    fn the_person_needs_at_least_what_the_use_needs() {
        let cases = [
            (TO_START, Some(P::Admin), None),
            (TO_START, Some(P::Write), None),
            (TO_START, Some(P::Read), Some(ErrorCode::Forbidden)),
            (TO_START, Some(P::None), Some(ErrorCode::Forbidden)),
            (TO_START, None, Some(ErrorCode::Unauthorized)),
            (TO_LIST, Some(P::Read), None),
            (TO_LIST, Some(P::None), Some(ErrorCode::Forbidden)),
            (TO_LIST, None, Some(ErrorCode::Unauthorized)),
        ];
        for (need, have, want) in cases {
            let got = judge("acme/widgets", need, have).err().map(|e| e.code);
            assert_eq!(got, want, "{need:?} with {have:?}");
        }
        let refused = judge("acme/widgets", P::Write, Some(P::Read)).unwrap_err();
        assert_eq!(refused.message, "you have read access to acme/widgets on GitHub; this needs write");
    }
}
