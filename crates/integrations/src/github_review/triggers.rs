//! Which deliveries start a review or an answer, and who may ask for one.
//!
//! Invariant: fail closed. Nothing starts without settings, in a repository that did not opt
//! in, from a comment by a bot (the App included) or without a mention of the App; a pull
//! request is reviewed unasked only with auto-review on, when it is open, not a draft and not
//! the App's own. Then [`gate`] lets through only senders with write, maintain or admin
//! permission, or allow-listed by login.

use oi_session_core::github::review_events::{GitHubUser, ReviewActivity, ReviewCommentLocation, ReviewEvent};
use serde::{Deserialize, Serialize};

use super::mention::{mentions_app, strip_mentions};
use super::settings::GithubReviewConfig;
use super::AppIdentity;

/// How long a permission GitHub reported is trusted before asking again.
pub const PERMISSION_CACHE_MS: i64 = 5 * 60 * 1000;

/// Why a review starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    Opened,
    ReadyForReview,
    /// The App was requested as a reviewer.
    Requested,
}

/// Where the asking comment is, so the answer goes back there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentKind {
    /// On the pull request's conversation (answered with a new comment there).
    Issue,
    /// On a line of the diff (answered in its thread).
    Review,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TriggerKind {
    Review {
        reason: ReviewReason,
    },
    Mention {
        comment_id: u64,
        comment_kind: CommentKind,
        /// The comment without the App's mentions (may be empty: a bare mention).
        request: String,
        /// Review comments: the file, lines and diff hunk.
        location: Option<ReviewCommentLocation>,
    },
}

/// Work to start (or continue, in the pull request's session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// `owner/name`.
    pub repository: String,
    pub installation_id: Option<u64>,
    /// The pull request's number.
    pub pr: u64,
    /// Who asked (opened, requested, commented): [`gate`] them.
    pub requested_by: String,
    pub kind: TriggerKind,
}

/// Why a delivery starts nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreReason {
    IntegrationOff,
    RepoNotEnabled,
    AutoReviewOff,
    Draft,
    Closed,
    OpenedByApp,
    RequestedTeam,
    RequestedSomeoneElse,
    OwnComment,
    BotComment,
    NotAPullRequest,
    NoMention,
}

impl IgnoreReason {
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoreReason::IntegrationOff => "the GitHub integration is off or has no settings",
            IgnoreReason::RepoNotEnabled => "the repository is not enabled for reviews",
            IgnoreReason::AutoReviewOff => "auto-review is off",
            IgnoreReason::Draft => "the pull request is a draft",
            IgnoreReason::Closed => "the pull request is closed",
            IgnoreReason::OpenedByApp => "the App opened the pull request",
            IgnoreReason::RequestedTeam => "a team was requested, not the App",
            IgnoreReason::RequestedSomeoneElse => "someone else was requested, not the App",
            IgnoreReason::OwnComment => "the App's own comment",
            IgnoreReason::BotComment => "a bot's comment",
            IgnoreReason::NotAPullRequest => "a comment on an issue, not a pull request",
            IgnoreReason::NoMention => "the comment does not mention the App",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Start(Box<Trigger>),
    Ignore(IgnoreReason),
}

/// What `event` starts. `config` is `None` when the integration is off or has no settings.
pub fn decide(event: &ReviewEvent, config: Option<&GithubReviewConfig>, app: &AppIdentity) -> Decision {
    match start(event, config, app) {
        Ok(trigger) => Decision::Start(Box::new(trigger)),
        Err(reason) => Decision::Ignore(reason),
    }
}

fn start(event: &ReviewEvent, config: Option<&GithubReviewConfig>, app: &AppIdentity) -> Result<Trigger, IgnoreReason> {
    let config = config.ok_or(IgnoreReason::IntegrationOff)?;
    if !config.repo_enabled(&event.repository) {
        return Err(IgnoreReason::RepoNotEnabled);
    }
    let trigger = |pr: u64, requested_by: &str, kind: TriggerKind| Trigger {
        repository: event.repository.clone(),
        installation_id: event.installation_id,
        pr,
        requested_by: requested_by.to_string(),
        kind,
    };
    let review = |reason| TriggerKind::Review { reason };
    let is_open = |state: &str| state == "open";
    match &event.activity {
        ReviewActivity::Opened { pull_request } | ReviewActivity::ReadyForReview { pull_request } => {
            if !config.auto_review {
                return Err(IgnoreReason::AutoReviewOff);
            }
            if !is_open(&pull_request.state) {
                return Err(IgnoreReason::Closed);
            }
            if pull_request.draft {
                return Err(IgnoreReason::Draft);
            }
            if app.is_app(&pull_request.author.login) {
                return Err(IgnoreReason::OpenedByApp);
            }
            let reason = match event.activity {
                ReviewActivity::Opened { .. } => ReviewReason::Opened,
                _ => ReviewReason::ReadyForReview,
            };
            Ok(trigger(pull_request.number, &event.sender.login, review(reason)))
        }
        ReviewActivity::ReviewRequested { pull_request, reviewer } => {
            let reviewer = reviewer.as_ref().ok_or(IgnoreReason::RequestedTeam)?;
            if !app.is_app(&reviewer.login) {
                return Err(IgnoreReason::RequestedSomeoneElse);
            }
            if !is_open(&pull_request.state) {
                return Err(IgnoreReason::Closed);
            }
            Ok(trigger(pull_request.number, &event.sender.login, review(ReviewReason::Requested)))
        }
        ReviewActivity::IssueComment { issue_number, on_pull_request, state, comment } => {
            ignore_comment_by(&comment.author, app)?;
            if !on_pull_request {
                return Err(IgnoreReason::NotAPullRequest);
            }
            let request = mention(&comment.body, app)?;
            if !is_open(state) {
                return Err(IgnoreReason::Closed);
            }
            let kind = TriggerKind::Mention {
                comment_id: comment.id,
                comment_kind: CommentKind::Issue,
                request,
                location: None,
            };
            Ok(trigger(*issue_number, &comment.author.login, kind))
        }
        ReviewActivity::ReviewComment { pull_request, comment, location } => {
            ignore_comment_by(&comment.author, app)?;
            let request = mention(&comment.body, app)?;
            if !is_open(&pull_request.state) {
                return Err(IgnoreReason::Closed);
            }
            let kind = TriggerKind::Mention {
                comment_id: comment.id,
                comment_kind: CommentKind::Review,
                request,
                location: Some(location.clone()),
            };
            Ok(trigger(pull_request.number, &comment.author.login, kind))
        }
    }
}

fn ignore_comment_by(author: &GitHubUser, app: &AppIdentity) -> Result<(), IgnoreReason> {
    if app.is_app(&author.login) {
        Err(IgnoreReason::OwnComment)
    } else if author.is_bot {
        Err(IgnoreReason::BotComment)
    } else {
        Ok(())
    }
}

/// The request in `body`, when it mentions the App.
fn mention(body: &str, app: &AppIdentity) -> Result<String, IgnoreReason> {
    if !mentions_app(body, &app.slug) {
        return Err(IgnoreReason::NoMention);
    }
    Ok(strip_mentions(body, &app.slug))
}

/// Someone who may not ask the App.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRefusal {
    pub login: String,
    /// What GitHub said they have (`read`, `triage`, `none`, ...), or `None` when it said
    /// nothing (not a collaborator, or the check failed).
    pub permission: Option<String>,
}

impl std::fmt::Display for PermissionRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let has = self.permission.as_deref().unwrap_or("no");
        write!(
            f,
            "@{} has {has} permission on this repository; asking the App needs write, maintain or admin",
            self.login
        )
    }
}

/// Whether `sender_login` may ask: allow-listed in the settings, or with `write`, `maintain`
/// or `admin` permission (GitHub's `permission` or `role_name` for the collaborator; `None`
/// when it has none to give). Everything else is refused.
pub fn gate(
    sender_login: &str,
    permission: Option<&str>,
    config: &GithubReviewConfig,
) -> Result<(), PermissionRefusal> {
    if config.user_allowed(sender_login) {
        return Ok(());
    }
    let permission = permission.map(str::trim);
    if permission.is_some_and(|p| ["write", "maintain", "admin"].iter().any(|ok| p.eq_ignore_ascii_case(ok))) {
        return Ok(());
    }
    Err(PermissionRefusal { login: sender_login.to_string(), permission: permission.map(str::to_string) })
}

/// Whether a permission GitHub reported at `checked_at_ms` may still be used at `now_ms`
/// ([`PERMISSION_CACHE_MS`]; a check in the future, from a clock's skew, is not trusted).
pub fn permission_is_fresh(checked_at_ms: i64, now_ms: i64) -> bool {
    (0..PERMISSION_CACHE_MS).contains(&now_ms.saturating_sub(checked_at_ms))
}

#[cfg(test)]
#[path = "triggers_tests.rs"]
mod tests;
