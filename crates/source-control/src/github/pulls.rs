//! Opening or updating the session's pull request.
//!
//! With the user's token when there is one (the PR is theirs), else, or when GitHub refuses it
//! (401/403), with the App's installation token and a body that says who asked. A PR the
//! session already has is updated (`PATCH`); a create that GitHub answers with 422 "A pull
//! request already exists" finds the open PR for the branch and updates it instead.

use oi_protocol::source_control::OpenedAs;
use serde_json::json;

use super::rest::{self, json};
use super::GitHub;
use crate::http::HttpClient;
use crate::provider::{PublishedPull, PullRequestDraft, SourceControlError, TokenCache};

pub(super) fn published(pull: rest::Pull, opened_as: OpenedAs, created: bool) -> PublishedPull {
    PublishedPull {
        state: pull.state(),
        number: pull.number,
        url: pull.html_url,
        title: pull.title,
        draft: pull.draft.unwrap_or(false),
        head_sha: pull.head.sha,
        opened_as,
        created,
    }
}

/// Whether a 422 says the branch already has an open pull request.
fn already_exists(e: &SourceControlError) -> bool {
    matches!(e, SourceControlError::Invalid(m) if m.contains("already exists"))
}

pub(super) async fn publish<H: HttpClient, C: TokenCache>(
    github: &GitHub<H, C>,
    draft: &PullRequestDraft,
) -> Result<PublishedPull, SourceControlError> {
    if let Some(user_token) = &draft.user_token {
        match publish_with(github, draft, user_token, OpenedAs::User, &draft.body_as_user).await {
            Err(SourceControlError::Unauthorized(_) | SourceControlError::Forbidden(_)) => {}
            other => return other,
        }
    }
    let app_token = github.installation_token(&draft.repo.access).await?;
    publish_with(github, draft, &app_token, OpenedAs::App, &draft.body_as_app).await
}

async fn publish_with<H: HttpClient, C: TokenCache>(
    github: &GitHub<H, C>,
    draft: &PullRequestDraft,
    token: &str,
    opened_as: OpenedAs,
    body: &str,
) -> Result<PublishedPull, SourceControlError> {
    let pulls = format!("{}/pulls", GitHub::<H, C>::repo_path(&draft.repo));
    if let Some(number) = draft.known_number {
        match update(github, &pulls, number, draft, token, body).await {
            Err(SourceControlError::NotFound(_)) => {}
            Ok(pull) => return Ok(published(pull, opened_as, false)),
            Err(e) => return Err(e),
        }
    }
    let what = format!("open a pull request on {}", draft.repo.full_name());
    let create = json!({
        "title": draft.title,
        "head": draft.head,
        "base": draft.base,
        "body": body,
        "draft": draft.draft,
    });
    match github.call(&what, "POST", &pulls, token, Some(create)).await {
        Ok(response) => Ok(published(json(&what, &response)?, opened_as, true)),
        Err(e) if already_exists(&e) => {
            let what = format!("find the open pull request for {}", draft.head);
            let head = rest::encode(&format!("{}:{}", draft.repo.owner, draft.head));
            let response = github.call(&what, "GET", &format!("{pulls}?state=open&head={head}"), token, None).await?;
            let open: Vec<rest::Pull> = json(&what, &response)?;
            let existing = open.first().ok_or(e)?;
            let pull = update(github, &pulls, existing.number, draft, token, body).await?;
            Ok(published(pull, opened_as, false))
        }
        Err(e) => Err(e),
    }
}

async fn update<H: HttpClient, C: TokenCache>(
    github: &GitHub<H, C>,
    pulls: &str,
    number: u64,
    draft: &PullRequestDraft,
    token: &str,
    body: &str,
) -> Result<rest::Pull, SourceControlError> {
    let what = format!("update pull request #{number}");
    let patch = json!({ "title": draft.title, "body": body });
    let response = github.call(&what, "PATCH", &format!("{pulls}/{number}"), token, Some(patch)).await?;
    json(&what, &response)
}
