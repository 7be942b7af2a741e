//! When a prompt of a pull request's session ends, whoever asked is told where they asked:
//! done (and whether commits were pushed to the pull request) or failed with the reason, with a
//! link to the session. Delivered by the `JOBS` queue at least once, like every notice.

use oi_integrations::github_review::replies::{completion_body, Completion, ReplyTarget};
use oi_protocol::origin::{NoticeEvent, OriginNotice};
use worker::Env;

use super::requests::{host_error, post_comment};
use super::store;
use crate::github::{provider, repo_ref};
use crate::jobs::JobError;

pub async fn deliver(env: &Env, notice: &OriginNotice) -> Result<(), JobError> {
    let completion = match &notice.event {
        NoticeEvent::PromptFinished { branch, .. } => Completion::Done { pushed: branch.is_some() },
        NoticeEvent::PromptFailed { reason, .. } => Completion::Failed { reason: reason.clone() },
        _ => return Ok(()),
    };
    let Some(row) = store::review_session(env, &notice.session_id).await? else { return Ok(()) };
    let Some(github) = provider(env) else { return Err(JobError::GiveUp("no GitHub App is configured".into())) };
    let Some(repo) = repo_ref(env, &github, &row.repo).await? else {
        return Err(JobError::GiveUp(format!("the App is not installed on {}", row.repo)));
    };
    let url = crate::config::session_page_url(env, &notice.session_id);
    let target = ReplyTarget::of(&row.request);
    let body = completion_body(&completion, &url, target, &row.request.requested_by);
    post_comment(&github, &repo, target, &body).await.map_err(host_error)?;
    Ok(())
}
