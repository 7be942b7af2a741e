//! The review bot's job (`Work::GithubReview`): a trigger from a delivery becomes a prompt in
//! its pull request's session. In order: who asked may ask (GitHub's answer about their
//! permission, kept a few minutes), 👀 on what asked, the pull request and its files, the
//! person it acts as, the session (started on the head branch, or the one the pull request
//! already has) and the prompt, with every piece of GitHub's text fenced as untrusted.
//!
//! Invariant: doing a job twice does no harm: the session's id follows from the pull request,
//! and the prompt's `client_request_id` from what asked (the comment, or the head reviewed).

use oi_integrations::github_review::diff::{unified_diff, DiffEntry};
use oi_integrations::github_review::prompt::{
    follow_up_prompt, mention_prompt, review_prompt, Allowed, MentionContext, PullRequestContext,
};
use oi_integrations::github_review::replies::{CommentBody, ReplyTarget};
use oi_integrations::github_review::review::may_approve;
use oi_integrations::github_review::triggers::{gate, CommentKind, Trigger, TriggerKind};
use oi_protocol::origin::{OriginKind, SessionOrigin};
use oi_protocol::rest::{CreateSessionRequest, PromptRequest};
use oi_protocol::User;
use oi_session_core::github::review_events::{parse_pull_request, PullRequestDetails};
use oi_source_control::{RepoRef, SourceControlError};
use serde::Deserialize;
use serde_json::json;
use worker::Env;

use super::store;
use crate::api::sessions::{start_with_id, PushTo, StartOptions};
use crate::github::{provider, repo_ref, Provider};
use crate::http::Failure;
use crate::ids;
use crate::jobs::JobError;
use crate::session::internal::{Internal, SessionStub};

/// A GitHub error as a job's outcome: worth another try when GitHub is busy or away.
pub fn host_error(e: SourceControlError) -> JobError {
    match e {
        SourceControlError::RateLimited { retry_after_secs, message } => {
            JobError::RetryAfter { secs: retry_after_secs.unwrap_or(60) as u32, why: message }
        }
        SourceControlError::Unreachable(why) => JobError::Retry(why),
        SourceControlError::Upstream { status, message } if status >= 500 => JobError::Retry(message),
        other => JobError::GiveUp(other.to_string()),
    }
}

pub async fn run(env: &Env, trigger: &Trigger) -> Result<(), JobError> {
    let (Some(github), Some(app)) = (provider(env), super::app_identity(env)) else {
        return Err(JobError::GiveUp("no GitHub App is configured (GITHUB_APP_ID, GITHUB_APP_SLUG)".into()));
    };
    let Some(config) = super::config(env).await? else { return Ok(()) };
    let Some(repo) = repo_ref(env, &github, &trigger.repository).await? else {
        return Err(JobError::GiveUp(format!("the App is not installed on {}", trigger.repository)));
    };
    let permission = permission(env, &github, &repo, &trigger.requested_by).await?;
    if let Err(refusal) = gate(&trigger.requested_by, permission.as_deref(), &config) {
        // Someone who may not ask is told so where they asked; an automatic review just does
        // not happen.
        if matches!(trigger.kind, TriggerKind::Mention { .. }) {
            let body = CommentBody { body: format!("{refusal}, so I have not started anything.") };
            post_comment(&github, &repo, ReplyTarget::of(trigger), &body).await.map_err(host_error)?;
        }
        return Ok(());
    }
    acknowledge(&github, &repo, trigger).await;
    let what = format!("read pull request #{} of {}", trigger.pr, trigger.repository);
    let path = format!("/repos/{}/pulls/{}", trigger.repository, trigger.pr);
    let raw = github.app_call(&repo, &what, "GET", &path, None).await.map_err(host_error)?;
    let pr = parse_pull_request(&raw.to_string()).map_err(JobError::GiveUp)?;
    let what = format!("list the files of pull request #{}", trigger.pr);
    let files: Vec<DiffEntry> = github
        .app_list(&repo, &what, &format!("{path}/files"))
        .await
        .map_err(host_error)?
        .into_iter()
        .filter_map(|f| serde_json::from_value(f).ok())
        .collect();
    let (user, mapped) = acting_person(env, &trigger.requested_by).await?;
    let allowed = Allowed {
        push: mapped && !pr.head_on_fork,
        approve: may_approve(&pr.author.login, &trigger.requested_by, &app),
    };
    let session = super::session_id_of(&trigger.repository, trigger.pr);
    store::remember_request(env, &session, trigger, &pr.author.login, ids::now_ms()).await?;
    let existing = crate::index_store::exists(env, &session).await?;
    if !existing {
        if let Some(why) = start(env, trigger, &pr, user.clone(), &session, allowed.push).await? {
            let body = CommentBody { body: format!("@{} I could not start a session: {why}", trigger.requested_by) };
            post_comment(&github, &repo, ReplyTarget::of(trigger), &body).await.map_err(host_error)?;
            return Ok(());
        }
    }
    let diff = unified_diff(&files);
    let context = PullRequestContext {
        repository: &trigger.repository,
        number: pr.number,
        title: &pr.title,
        description: &pr.body,
        author: &pr.author.login,
        base_ref: &pr.base_ref,
        head_ref: &pr.head_ref,
        head_on_fork: pr.head_on_fork,
        diff: &diff,
    };
    let (text, request_id) = match &trigger.kind {
        TriggerKind::Review { .. } => (
            review_prompt(&context, &config.instructions, allowed),
            format!("gh-review-{}", &pr.head_sha[..pr.head_sha.len().min(40)]),
        ),
        TriggerKind::Mention { comment_id, comment_kind, request, location } => {
            let mention = MentionContext {
                author: &trigger.requested_by,
                request,
                comment_kind: *comment_kind,
                location: location.as_ref(),
            };
            let text = if existing {
                follow_up_prompt(&mention, allowed)
            } else {
                mention_prompt(&context, &mention, &config.instructions, allowed)
            };
            (text, format!("gh-comment-{comment_id}"))
        }
    };
    let call = Internal::Prompt {
        author: user,
        request: PromptRequest { text, client_request_id: request_id, model: None, attachments: Vec::new() },
    };
    match SessionStub::new(env, &session)?.call_api(&call).await? {
        Ok(_) => Ok(()),
        Err(refused) => {
            let body = CommentBody {
                body: format!("@{} I could not send that to the session: {}", trigger.requested_by, refused.message),
            };
            post_comment(&github, &repo, ReplyTarget::of(trigger), &body).await.map(drop).map_err(host_error)
        }
    }
}

/// Starts the pull request's session on its head (a fork's head is not ours to push to: the
/// session starts from the base and only answers). `Some(why)` when it was refused.
async fn start(
    env: &Env,
    trigger: &Trigger,
    pr: &PullRequestDetails,
    user: User,
    session: &str,
    may_push: bool,
) -> Result<Option<String>, JobError> {
    let on_head = !pr.head_on_fork;
    let body = CreateSessionRequest {
        repo: trigger.repository.clone(),
        branch: Some(if on_head { pr.head_ref.clone() } else { pr.base_ref.clone() }),
        model: None,
        title: Some(format!("#{} {}", pr.number, pr.title.chars().take(70).collect::<String>())),
        private: None,
    };
    let origin = SessionOrigin {
        kind: OriginKind::Github,
        reference: Some(format!("{}#{}", trigger.repository, pr.number)),
        label: Some(format!("Pull request #{}", pr.number)),
        url: Some(pr.html_url.clone()),
    };
    let options = StartOptions {
        push_to: if on_head && may_push { PushTo::StartBranch } else { PushTo::SessionBranch },
        access_checked_by_host: true,
    };
    match start_with_id(env, user, &body, origin, session, options).await {
        Ok(_) => {
            crate::github::store::index_pull_request(env, &trigger.repository, pr.number, session, Some(&pr.head_sha))
                .await?;
            Ok(None)
        }
        Err(Failure::Api(refused)) => Ok(Some(refused.message)),
        Err(Failure::Internal(e)) => Err(JobError::Retry(e.to_string())),
    }
}

/// GitHub's word on `login`'s permission, from D1 while it is fresh.
async fn permission(env: &Env, github: &Provider, repo: &RepoRef, login: &str) -> Result<Option<String>, JobError> {
    let now = ids::now_ms();
    let name = repo.full_name();
    if let Some(known) = store::cached_permission(env, &name, login, now).await? {
        return Ok(known);
    }
    let asked = github.collaborator_permission(repo, login).await.map_err(host_error)?;
    store::keep_permission(env, &name, login, asked.as_deref(), now).await?;
    Ok(asked)
}

/// 👀 on what asked: the comment, or the pull request for a review. Best effort.
async fn acknowledge(github: &Provider, repo: &RepoRef, trigger: &Trigger) {
    let name = &trigger.repository;
    let path = match &trigger.kind {
        TriggerKind::Mention { comment_id, comment_kind: CommentKind::Issue, .. } => {
            format!("/repos/{name}/issues/comments/{comment_id}/reactions")
        }
        TriggerKind::Mention { comment_id, comment_kind: CommentKind::Review, .. } => {
            format!("/repos/{name}/pulls/comments/{comment_id}/reactions")
        }
        TriggerKind::Review { .. } => format!("/repos/{name}/issues/{}/reactions", trigger.pr),
    };
    let reacted = github.app_call(repo, "react with 👀", "POST", &path, Some(json!({"content": "eyes"}))).await;
    if let Err(e) = reacted {
        worker::console_error!("reacting to {name}#{}: {e}", trigger.pr);
    }
}

/// Posts `body` where `target` says; the comment's URL.
pub async fn post_comment(
    github: &Provider,
    repo: &RepoRef,
    target: ReplyTarget,
    body: &CommentBody,
) -> Result<String, SourceControlError> {
    let what = "answer on the pull request";
    let path = target.path(&repo.full_name());
    let posted =
        github.app_call(repo, what, "POST", &path, Some(serde_json::to_value(body).unwrap_or_default())).await?;
    Ok(posted["html_url"].as_str().unwrap_or_default().to_string())
}

/// The person of this deployment `login` is (signed in with that GitHub account, or linked by
/// an admin), and whether there is one; otherwise the App acts on their behalf, for answers
/// only.
async fn acting_person(env: &Env, login: &str) -> Result<(User, bool), JobError> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        name: String,
        email: String,
        login: Option<String>,
    }
    let signed_in: Option<Row> = env
        .d1("DB")?
        .prepare("SELECT id, name, email, login FROM users WHERE login = ?1 COLLATE NOCASE AND github_id IS NOT NULL")
        .bind(&[login.into()])?
        .first(None)
        .await?;
    if let Some(r) = signed_in {
        return Ok((User { id: r.id, name: r.name, email: r.email, login: r.login }, true));
    }
    let vendor = oi_integrations::people::VendorUser { id: login, email: None, email_verified: false };
    match crate::integrations::people::acting_person(env, oi_protocol::integrations::IntegrationName::Github, vendor)
        .await?
    {
        Ok(user) => Ok((user, true)),
        Err(_) => Ok((
            User {
                id: format!("github-app:{}", login.to_ascii_lowercase()),
                name: format!("{login} (via GitHub)"),
                email: format!("{login}@users.noreply.github.com"),
                login: Some(login.to_string()),
            },
            false,
        )),
    }
}
