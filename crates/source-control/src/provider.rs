//! The provider trait and the shapes it trades in.

use oi_protocol::source_control::{BranchList, OpenedAs, PullRequestState, Repository};
use oi_protocol::{ApiError, ErrorCode};

/// A repository on a host, with what the provider needs to reach it (GitHub: the App
/// installation that has it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    pub owner: String,
    pub name: String,
    /// Opaque to callers: stored with the repository and handed back.
    pub access: String,
}

impl RepoRef {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// What a person may do with a repository, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RepoPermission {
    /// They cannot see it.
    None,
    Read,
    /// They may push branches.
    Write,
    Admin,
}

impl RepoPermission {
    /// How it reads in a message.
    pub fn as_str(self) -> &'static str {
        match self {
            RepoPermission::None => "no access",
            RepoPermission::Read => "read",
            RepoPermission::Write => "write",
            RepoPermission::Admin => "admin",
        }
    }
}

/// A token kept between requests, with its expiry (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedToken {
    pub token: String,
    pub expires_at: i64,
}

/// Where installation tokens are kept between requests (D1 in production, sealed).
#[allow(async_fn_in_trait)]
pub trait TokenCache {
    async fn get(&self, key: &str) -> Option<CachedToken>;
    async fn put(&self, key: &str, token: &CachedToken);
}

/// The session's pull request, to open or bring up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestDraft {
    pub repo: RepoRef,
    /// The session branch.
    pub head: String,
    pub base: String,
    pub title: String,
    pub draft: bool,
    /// The number the session already has, if any: that PR is updated.
    pub known_number: Option<u64>,
    /// The prompting user's own token; without one (or when the host refuses it) the App
    /// opens the PR.
    pub user_token: Option<String>,
    /// The body when the user's token opens it.
    pub body_as_user: String,
    /// The body when the App opens it: it also says who asked.
    pub body_as_app: String,
}

/// The pull request as the host answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPull {
    pub number: u64,
    pub url: String,
    pub title: String,
    pub state: PullRequestState,
    pub draft: bool,
    pub head_sha: Option<String>,
    pub opened_as: OpenedAs,
    /// Whether this call opened it (`false`: an existing one was updated).
    pub created: bool,
}

/// Why a provider call failed. Messages never contain a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceControlError {
    /// The provider lacks configuration (for GitHub: the App id or key).
    NotConfigured(String),
    NotFound(String),
    /// The credential was refused (401).
    Unauthorized(String),
    /// Not allowed (403 that is not a rate limit).
    Forbidden(String),
    /// The host's rate limit; `retry_after_secs` when it said.
    RateLimited {
        message: String,
        retry_after_secs: Option<u64>,
    },
    /// The host refused the request's content (422).
    Invalid(String),
    /// Any other answer.
    Upstream {
        status: u16,
        message: String,
    },
    /// No answer at all.
    Unreachable(String),
}

impl std::fmt::Display for SourceControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceControlError::NotConfigured(m)
            | SourceControlError::NotFound(m)
            | SourceControlError::Unauthorized(m)
            | SourceControlError::Forbidden(m)
            | SourceControlError::Invalid(m)
            | SourceControlError::Unreachable(m) => f.write_str(m),
            SourceControlError::RateLimited { message, retry_after_secs: Some(s) } => {
                write!(f, "{message} (retry in {s} s)")
            }
            SourceControlError::RateLimited { message, .. } => f.write_str(message),
            SourceControlError::Upstream { status, message } => write!(f, "{message} (status {status})"),
        }
    }
}

impl std::error::Error for SourceControlError {}

impl From<SourceControlError> for ApiError {
    /// The status a client sees: the host's refusals are the gateway's problem (502), except
    /// what the client can act on (404, 422 as 409, rate limits as 429, no configuration 503).
    fn from(e: SourceControlError) -> Self {
        let code = match &e {
            SourceControlError::NotConfigured(_) => ErrorCode::Misconfigured,
            SourceControlError::NotFound(_) => ErrorCode::NotFound,
            SourceControlError::RateLimited { .. } => ErrorCode::RateLimited,
            SourceControlError::Invalid(_) => ErrorCode::Conflict,
            SourceControlError::Unauthorized(_)
            | SourceControlError::Forbidden(_)
            | SourceControlError::Upstream { .. }
            | SourceControlError::Unreachable(_) => ErrorCode::UpstreamUnavailable,
        };
        ApiError::new(code, e.to_string())
    }
}

/// A source-control host.
#[allow(async_fn_in_trait)] // Used through generics, on one thread (WASM) or with tokio.
pub trait SourceControl {
    /// The repository a session's `repo` names on this host (`owner/name`, or this host's URL
    /// of it), without its access; `None` when it is not on this host.
    fn recognise(&self, repo: &str) -> Option<(String, String)>;

    /// The URL git clones and pushes `repo` at.
    fn git_url(&self, repo: &RepoRef) -> String;

    /// Every repository one access grant (GitHub: installation) reaches.
    async fn repositories(&self, access: &str) -> Result<Vec<Repository>, SourceControlError>;

    /// A repository's branches and default branch.
    async fn branches(&self, repo: &RepoRef) -> Result<BranchList, SourceControlError>;

    /// `Authorization` for git over HTTP to [`Self::git_url`] (read and write).
    async fn git_authorization(&self, repo: &RepoRef) -> Result<String, SourceControlError>;

    /// Opens the session's pull request, or updates the one it has (or the one already open
    /// for its branch).
    async fn publish_pull_request(&self, draft: &PullRequestDraft) -> Result<PublishedPull, SourceControlError>;

    /// What the person whose own token this is may do with `repo` (a repository they cannot
    /// see is [`RepoPermission::None`]; a refused token is [`SourceControlError::Unauthorized`]).
    async fn user_permission(&self, repo: &RepoRef, user_token: &str) -> Result<RepoPermission, SourceControlError>;

    /// A pull request as it is now (state and head), read with the App's access.
    async fn pull_request(&self, repo: &RepoRef, number: u64) -> Result<PublishedPull, SourceControlError>;
}
