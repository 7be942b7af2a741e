//! The webhook deliveries that can ask the App to review a pull request or answer on it, typed:
//! `pull_request` `opened` / `ready_for_review` / `review_requested`, `issue_comment` `created`
//! and `pull_request_review_comment` `created`. [`super::events::parse_event`] keeps reading the
//! same `pull_request` deliveries for the pull request's state; this reads what a review needs
//! (author, draft, fork, the comment and where it is). Verify the signature first.
//!
//! Invariant: every other event or action is `Ok(None)` (acknowledge it, start nothing); text
//! (titles, bodies, comments) is kept as sent, untrusted, for the caller to fence.

use oi_protocol::review::DiffSide;
use serde::{Deserialize, Serialize};

use super::events::{InstallationId, Repo};

/// A GitHub account as a delivery names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitHubUser {
    pub login: String,
    /// `type` is `Bot` (Apps' users, `dependabot[bot]`, ...).
    pub is_bot: bool,
}

/// A pull request as `pull_request` and `pull_request_review_comment` deliveries describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestDetails {
    pub number: u64,
    pub title: String,
    /// `""` when GitHub sends null.
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
    pub draft: bool,
    pub author: GitHubUser,
    pub head_ref: String,
    pub head_sha: String,
    /// The head is in another repository (a fork, or a fork since deleted): no pushes to it.
    pub head_on_fork: bool,
    pub base_ref: String,
    pub html_url: String,
}

/// A comment: on the pull request's conversation, or on a line of its diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: u64,
    pub body: String,
    pub author: GitHubUser,
    pub html_url: String,
}

/// Where a review comment is: its file, lines and the diff hunk it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCommentLocation {
    pub path: String,
    /// The (last) line; `None` for a comment on the whole file or an outdated line.
    pub line: Option<u64>,
    pub start_line: Option<u64>,
    pub side: Option<DiffSide>,
    pub diff_hunk: String,
    /// The thread's first comment, when this one is a reply in it.
    pub in_reply_to_id: Option<u64>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "activity", rename_all = "snake_case")]
pub enum ReviewActivity {
    Opened {
        pull_request: PullRequestDetails,
    },
    ReadyForReview {
        pull_request: PullRequestDetails,
    },
    ReviewRequested {
        pull_request: PullRequestDetails,
        /// `None` when a team was requested.
        reviewer: Option<GitHubUser>,
    },
    /// A comment on an issue's or a pull request's conversation (GitHub sends both as
    /// `issue_comment`; the issue has `pull_request` set on a pull request).
    IssueComment {
        issue_number: u64,
        on_pull_request: bool,
        /// `open` or `closed`.
        state: String,
        comment: Comment,
    },
    ReviewComment {
        pull_request: PullRequestDetails,
        comment: Comment,
        location: ReviewCommentLocation,
    },
}

/// A delivery that may start a review or an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewEvent {
    /// `owner/name`.
    pub repository: String,
    pub installation_id: Option<u64>,
    /// Who did it (opened, requested, commented).
    pub sender: GitHubUser,
    pub activity: ReviewActivity,
}

#[derive(Deserialize)]
struct User {
    login: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

impl From<User> for GitHubUser {
    fn from(user: User) -> Self {
        let is_bot = user.kind.as_deref() == Some("Bot") || user.login.ends_with("[bot]");
        GitHubUser { login: user.login, is_bot }
    }
}

#[derive(Deserialize)]
struct Branch {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
    /// Null when the head's fork was deleted.
    #[serde(default)]
    repo: Option<Repo>,
}

#[derive(Deserialize)]
struct PullRequest {
    number: u64,
    title: String,
    #[serde(default)]
    body: Option<String>,
    state: String,
    #[serde(default)]
    draft: Option<bool>,
    user: User,
    head: Branch,
    base: Branch,
    html_url: String,
}

impl From<PullRequest> for PullRequestDetails {
    fn from(pr: PullRequest) -> Self {
        let base_repo = pr.base.repo.map(|r| r.full_name);
        let head_on_fork = match (pr.head.repo, base_repo) {
            (Some(head), Some(base)) => !head.full_name.eq_ignore_ascii_case(&base),
            _ => true,
        };
        PullRequestDetails {
            number: pr.number,
            title: pr.title,
            body: pr.body.unwrap_or_default(),
            state: pr.state,
            draft: pr.draft.unwrap_or(false),
            author: pr.user.into(),
            head_ref: pr.head.name,
            head_sha: pr.head.sha,
            head_on_fork,
            base_ref: pr.base.name,
            html_url: pr.html_url,
        }
    }
}

#[derive(Deserialize)]
struct RawComment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    user: User,
    html_url: String,
    // Review comments only.
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    start_line: Option<u64>,
    #[serde(default)]
    side: Option<DiffSide>,
    #[serde(default)]
    diff_hunk: Option<String>,
    #[serde(default)]
    in_reply_to_id: Option<u64>,
}

impl RawComment {
    fn split(self) -> (Comment, Option<ReviewCommentLocation>) {
        let location = self.path.map(|path| ReviewCommentLocation {
            path,
            line: self.line,
            start_line: self.start_line,
            side: self.side,
            diff_hunk: self.diff_hunk.unwrap_or_default(),
            in_reply_to_id: self.in_reply_to_id,
        });
        let comment = Comment {
            id: self.id,
            body: self.body.unwrap_or_default(),
            author: self.user.into(),
            html_url: self.html_url,
        };
        (comment, location)
    }
}

#[derive(Deserialize)]
struct Issue {
    number: u64,
    state: String,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Payload {
    repository: Repo,
    #[serde(default)]
    installation: Option<InstallationId>,
    sender: User,
    #[serde(default)]
    pull_request: Option<PullRequest>,
    #[serde(default)]
    requested_reviewer: Option<User>,
    #[serde(default)]
    issue: Option<Issue>,
    #[serde(default)]
    comment: Option<RawComment>,
}

/// Parses a delivery (`event_header` is `X-GitHub-Event`). Events and actions not listed in the
/// module's header are `Ok(None)` without reading more than the action; a listed one whose body
/// does not fit is an error naming the event and what is missing.
pub fn parse_review_event(event_header: &str, body: &[u8]) -> Result<Option<ReviewEvent>, String> {
    let event = event_header.trim();
    let wanted: &[&str] = match event {
        "pull_request" => &["opened", "ready_for_review", "review_requested"],
        "issue_comment" | "pull_request_review_comment" => &["created"],
        _ => return Ok(None),
    };
    let fail = |e: serde_json::Error| format!("the `{event}` webhook body is not what GitHub sends: {e}");
    #[derive(Deserialize)]
    struct Action {
        #[serde(default)]
        action: Option<String>,
    }
    let action = serde_json::from_slice::<Action>(body).map_err(fail)?.action.unwrap_or_default();
    if !wanted.contains(&action.as_str()) {
        return Ok(None);
    }
    let p: Payload = serde_json::from_slice(body).map_err(fail)?;
    let missing = |field: &str| format!("the `{event}.{action}` webhook body has no `{field}`");
    let activity = match event {
        "pull_request" => {
            let pull_request = p.pull_request.ok_or_else(|| missing("pull_request"))?.into();
            match action.as_str() {
                "opened" => ReviewActivity::Opened { pull_request },
                "ready_for_review" => ReviewActivity::ReadyForReview { pull_request },
                _ => ReviewActivity::ReviewRequested { pull_request, reviewer: p.requested_reviewer.map(Into::into) },
            }
        }
        "issue_comment" => {
            let issue = p.issue.ok_or_else(|| missing("issue"))?;
            let (comment, _) = p.comment.ok_or_else(|| missing("comment"))?.split();
            ReviewActivity::IssueComment {
                issue_number: issue.number,
                on_pull_request: issue.pull_request.is_some_and(|v| !v.is_null()),
                state: issue.state,
                comment,
            }
        }
        _ => {
            let pull_request = p.pull_request.ok_or_else(|| missing("pull_request"))?.into();
            let (comment, location) = p.comment.ok_or_else(|| missing("comment"))?.split();
            let location = location.ok_or_else(|| missing("comment.path"))?;
            ReviewActivity::ReviewComment { pull_request, comment, location }
        }
    };
    Ok(Some(ReviewEvent {
        repository: p.repository.full_name,
        installation_id: p.installation.map(|i| i.id),
        sender: p.sender.into(),
        activity,
    }))
}

/// A pull request as the REST API answers it (`pulls/get`: the same fields as in deliveries).
pub fn parse_pull_request(body: &str) -> Result<PullRequestDetails, String> {
    serde_json::from_str::<PullRequest>(body)
        .map(Into::into)
        .map_err(|e| format!("the pull request is not what GitHub sends: {e}"))
}

#[cfg(test)]
#[path = "review_events_tests.rs"]
mod tests;
