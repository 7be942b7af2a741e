//! The agent's answers on its pull request (`POST /sandbox/origin` with `submit_review` or
//! `reply_comment`), posted with the App's installation token; the sandbox never holds one.
//! Where they go is the session's latest request ([`super::store`]), never the agent's choice.
//!
//! Invariant: a review is checked against the pull request as GitHub has it now (its head and
//! the lines of its diff, `oi_integrations::github_review::review::prepare_review`) before it
//! is posted; what the agent must change is a 400 naming it, what GitHub refuses a 409 or 502.

use oi_integrations::github_review::diff::{CommentableLines, DiffEntry};
use oi_integrations::github_review::replies::{reply_body, ReplyTarget};
use oi_integrations::github_review::review::{prepare_review, review_path, ReviewContext};
use oi_protocol::origin::OriginPostAccepted;
use oi_protocol::review::{ReplyComment, SubmitReview};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::github::review_events::parse_pull_request;
use oi_source_control::RepoRef;
use worker::Env;

use super::requests::post_comment;
use super::store::{self, ReviewSession};
use crate::github::{provider, repo_ref, Provider};
use crate::http::Outcome;

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message)
}

/// The session's pull request, the App and the repository.
async fn context(env: &Env, session_id: &str) -> Outcome<(ReviewSession, Provider, RepoRef)> {
    let row = store::review_session(env, session_id)
        .await?
        .ok_or_else(|| conflict("this session does not answer on a pull request"))?;
    let github = provider(env).ok_or_else(|| conflict("no GitHub App is configured"))?;
    let repo = repo_ref(env, &github, &row.repo)
        .await?
        .ok_or_else(|| conflict(format!("the App is not installed on {}", row.repo)))?;
    Ok((row, github, repo))
}

pub async fn submit_review(env: &Env, session_id: &str, args: &SubmitReview) -> Outcome<OriginPostAccepted> {
    let (row, github, repo) = context(env, session_id).await?;
    let app = super::app_identity(env).ok_or_else(|| conflict("GITHUB_APP_SLUG is not set"))?;
    let path = format!("/repos/{}/pulls/{}", repo.full_name(), row.number);
    let raw = github.app_call(&repo, "read the pull request", "GET", &path, None).await.map_err(ApiError::from)?;
    let pr = parse_pull_request(&raw.to_string()).map_err(|e| ApiError::new(ErrorCode::UpstreamUnavailable, e))?;
    let files: Vec<DiffEntry> = github
        .app_list(&repo, "list the pull request's files", &format!("{path}/files"))
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .filter_map(|f| serde_json::from_value(f).ok())
        .collect();
    let lines = CommentableLines::from_files(&files);
    let context = ReviewContext {
        head_sha: &pr.head_sha,
        pr_author: &pr.author.login,
        requested_by: &row.request.requested_by,
        app: &app,
        lines: &lines,
    };
    let prepared = prepare_review(args, &context).map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?;
    let body = serde_json::to_value(&prepared.request)?;
    let posted = github
        .app_call(&repo, "post the review", "POST", &review_path(&repo.full_name(), row.number), Some(body))
        .await
        .map_err(ApiError::from)?;
    Ok(OriginPostAccepted {
        notice_id: None,
        url: posted["html_url"].as_str().map(str::to_string),
        note: prepared.moved_note(),
    })
}

pub async fn reply_comment(env: &Env, session_id: &str, args: &ReplyComment) -> Outcome<OriginPostAccepted> {
    let (row, github, repo) = context(env, session_id).await?;
    let target = ReplyTarget::of(&row.request);
    let body =
        reply_body(args, target, &row.request.requested_by).map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?;
    let url = post_comment(&github, &repo, target, &body).await.map_err(ApiError::from)?;
    Ok(OriginPostAccepted { notice_id: None, url: Some(url), note: None })
}
