//! Repositories and pull requests: the repository picker (`/api/repos`), a session's pull
//! request (`/api/sessions/:id/pull-request`) and how commits are attributed.
//!
//! The control plane speaks to the source-control host (GitHub first) through one provider
//! boundary; these are the shapes clients see, whichever host it is.

use serde::{Deserialize, Serialize};

/// A repository the deployment can work on (for GitHub: one the App is installed on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    /// `owner/name`: what a session's `repo` is set to.
    pub full_name: String,
    pub default_branch: String,
    pub private: bool,
    /// The repository's page on its host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_url: Option<String>,
}

/// `GET /api/repos`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryList {
    /// By `full_name`.
    pub repositories: Vec<Repository>,
    /// Whether a source-control host is configured at all (`false`: type a URL or path).
    pub configured: bool,
}

/// One branch of a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    pub name: String,
    /// The commit the branch points at.
    pub sha: String,
}

/// `GET /api/repos/:owner/:name/branches`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchList {
    pub default_branch: String,
    pub branches: Vec<Branch>,
}

/// `POST /api/sessions/:id/pull-request`: open the session's pull request, or update it when
/// it exists. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePullRequest {
    /// The title; default: the pull request's own (when it exists), else the session's title,
    /// else its first prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A summary of the change (the agent writes one when it opens the PR itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Open it as a draft.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
}

/// Whether a pull request is open, merged or closed unmerged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullRequestState {
    Open,
    Merged,
    Closed,
}

/// The combined status of the checks on the pull request's head commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecksStatus {
    /// No check has reported.
    #[default]
    None,
    /// Some check is queued or running.
    Pending,
    /// Every check finished, none failed.
    Passed,
    /// A check failed, timed out, was cancelled or needs action.
    Failed,
}

/// Whose credential opened the pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenedAs {
    /// The prompting user's own token: the PR is theirs.
    User,
    /// The App's installation token (the user has no GitHub identity here); the body says who
    /// asked.
    App,
}

/// A session's pull request as the session shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// `owner/name`.
    pub repo: String,
    pub number: u64,
    pub url: String,
    pub title: String,
    /// The session branch.
    pub head: String,
    pub base: String,
    pub state: PullRequestState,
    #[serde(default)]
    pub draft: bool,
    pub opened_as: OpenedAs,
    /// The user the PR was opened for (the latest prompter when it was opened).
    pub requested_by: String,
    /// The head commit the checks ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    #[serde(default)]
    pub checks: ChecksStatus,
    /// Unix milliseconds of the last change the control plane saw.
    pub updated_at: i64,
}

/// One person as a commit names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitPerson {
    pub name: String,
    pub email: String,
}

/// Who a prompt's commit is by: its author (the prompting user: on GitHub, their name and
/// noreply address) and `Co-authored-by` trailers for the session's other prompters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitAttribution {
    pub author: CommitPerson,
    /// Whole trailer lines, `Co-authored-by: Name <email>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trailers: Vec<String>,
}

/// `POST /api/github/webhook` → 200: what was done with a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAck {
    pub ok: bool,
    /// What it changed here: `installation`, `installation_repositories`, `session` (a pull
    /// request's or check's news for its session), `no_session`, `ignored`, or `replay` (seen
    /// before; nothing done).
    pub handled: String,
    /// What the review bot did with it, when it is an event the bot reads: `review_queued`, or
    /// `review_ignored: <why>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}
