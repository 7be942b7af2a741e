//! The webhook events the product uses, typed. Only the fields used are read; everything else in
//! GitHub's (large) payloads is ignored, and fields GitHub may leave out or set to null are
//! optional. Verify the signature ([`super::webhook::verify_signature`]) before parsing.
//!
//! - `installation` `created` / `deleted`: the App was installed or removed.
//! - `installation_repositories` `added` / `removed`: the repositories it may use changed.
//! - `pull_request` (every action): a pull request opened, changed, closed or merged.
//! - `check_suite` / `check_run` `completed`: CI finished on a commit.
//!
//! Everything else is [`WebhookEvent::Ignored`] (acknowledge it and move on).

use serde::{Deserialize, Serialize};

/// A parsed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    Installation(InstallationEvent),
    InstallationRepositories(InstallationRepositoriesEvent),
    PullRequest(PullRequestEvent),
    CheckCompleted(CheckCompleted),
    /// Not used. `event` is the `X-GitHub-Event` name, or `<event>.<action>` for an event above
    /// with an action that is not (`installation.suspend`, `check_run.created`).
    Ignored {
        event: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallationAction {
    Created,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationEvent {
    pub action: InstallationAction,
    pub installation_id: u64,
    /// The user or organisation it is installed on (`None` when GitHub sends no account, or an
    /// enterprise without a slug).
    pub account_login: Option<String>,
    /// `owner/name` of each repository in the delivery (empty when GitHub lists none).
    pub repositories: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepositoriesAction {
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationRepositoriesEvent {
    pub action: RepositoriesAction,
    pub installation_id: u64,
    /// `owner/name` of each repository added, then removed.
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// Serializable, so the Worker can hand it to the session it concerns as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestEvent {
    /// GitHub's action as sent (`opened`, `synchronize`, `closed`, `reopened`, `edited`, ...).
    pub action: String,
    pub number: u64,
    /// `open` or `closed`.
    pub state: String,
    /// Whether it was merged (a merged pull request is `closed` with `merged` true).
    pub merged: bool,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub html_url: String,
    /// `owner/name`.
    pub repository: String,
    /// Set on deliveries to a GitHub App.
    pub installation_id: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckKind {
    Suite,
    Run,
}

/// A check suite or check run completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckCompleted {
    pub kind: CheckKind,
    /// `success`, `failure`, `neutral`, `cancelled`, `timed_out`, `action_required`, `stale`,
    /// `skipped`, ... (`None` if GitHub sends null).
    pub conclusion: Option<String>,
    /// The branch checked (a run's comes from its suite); `None` for a fork's or a tag's commit.
    pub head_branch: Option<String>,
    pub head_sha: String,
    /// `owner/name`.
    pub repository: String,
    pub installation_id: Option<u64>,
}

#[derive(Deserialize)]
struct Action {
    #[serde(default)]
    action: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Repo {
    pub(super) full_name: String,
}

#[derive(Deserialize)]
pub(super) struct InstallationId {
    pub(super) id: u64,
}

#[derive(Deserialize)]
struct Account {
    #[serde(default)]
    login: Option<String>,
    #[serde(default)]
    slug: Option<String>,
}

#[derive(Deserialize)]
struct Installation {
    id: u64,
    #[serde(default)]
    account: Option<Account>,
}

#[derive(Deserialize)]
struct InstallationPayload {
    installation: Installation,
    #[serde(default)]
    repositories: Option<Vec<Repo>>,
}

#[derive(Deserialize)]
struct InstallationRepositoriesPayload {
    installation: InstallationId,
    #[serde(default)]
    repositories_added: Option<Vec<Repo>>,
    #[serde(default)]
    repositories_removed: Option<Vec<Repo>>,
}

#[derive(Deserialize)]
struct GitRef {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
}

#[derive(Deserialize)]
struct PullRequest {
    number: u64,
    state: String,
    #[serde(default)]
    merged: Option<bool>,
    head: GitRef,
    base: GitRef,
    html_url: String,
}

#[derive(Deserialize)]
struct PullRequestPayload {
    pull_request: PullRequest,
    repository: Repo,
    #[serde(default)]
    installation: Option<InstallationId>,
}

#[derive(Deserialize)]
struct Suite {
    #[serde(default)]
    head_branch: Option<String>,
    #[serde(default)]
    head_sha: Option<String>,
    #[serde(default)]
    conclusion: Option<String>,
}

#[derive(Deserialize)]
struct Run {
    head_sha: String,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    check_suite: Option<Suite>,
}

#[derive(Deserialize)]
struct CheckSuitePayload {
    check_suite: Suite,
    repository: Repo,
    #[serde(default)]
    installation: Option<InstallationId>,
}

#[derive(Deserialize)]
struct CheckRunPayload {
    check_run: Run,
    repository: Repo,
    #[serde(default)]
    installation: Option<InstallationId>,
}

fn names(repos: Option<Vec<Repo>>) -> Vec<String> {
    repos.unwrap_or_default().into_iter().map(|r| r.full_name).collect()
}

/// Parses a delivery. `event_header` is `X-GitHub-Event`; `body` the raw body. An event not
/// listed above is ignored without reading the body; a listed one whose body does not fit is an
/// error naming the event and the problem.
pub fn parse_event(event_header: &str, body: &[u8]) -> Result<WebhookEvent, String> {
    let event = event_header.trim();
    if !matches!(event, "installation" | "installation_repositories" | "pull_request" | "check_suite" | "check_run") {
        return Ok(WebhookEvent::Ignored { event: event.to_string() });
    }
    let fail = |e: serde_json::Error| format!("the `{event}` webhook body is not what GitHub sends: {e}");
    let action = serde_json::from_slice::<Action>(body).map_err(fail)?.action.unwrap_or_default();
    let ignored = || Ok(WebhookEvent::Ignored { event: format!("{event}.{action}") });

    match event {
        "installation" => {
            let action = match action.as_str() {
                "created" => InstallationAction::Created,
                "deleted" => InstallationAction::Deleted,
                _ => return ignored(),
            };
            let p: InstallationPayload = serde_json::from_slice(body).map_err(fail)?;
            Ok(WebhookEvent::Installation(InstallationEvent {
                action,
                installation_id: p.installation.id,
                account_login: p.installation.account.and_then(|a| a.login.or(a.slug)),
                repositories: names(p.repositories),
            }))
        }
        "installation_repositories" => {
            let action = match action.as_str() {
                "added" => RepositoriesAction::Added,
                "removed" => RepositoriesAction::Removed,
                _ => return ignored(),
            };
            let p: InstallationRepositoriesPayload = serde_json::from_slice(body).map_err(fail)?;
            Ok(WebhookEvent::InstallationRepositories(InstallationRepositoriesEvent {
                action,
                installation_id: p.installation.id,
                added: names(p.repositories_added),
                removed: names(p.repositories_removed),
            }))
        }
        "pull_request" => {
            if action.is_empty() {
                return Err(format!("the `{event}` webhook body has no action"));
            }
            let p: PullRequestPayload = serde_json::from_slice(body).map_err(fail)?;
            let pr = p.pull_request;
            Ok(WebhookEvent::PullRequest(PullRequestEvent {
                action,
                number: pr.number,
                state: pr.state,
                merged: pr.merged.unwrap_or(false),
                head_ref: pr.head.name,
                head_sha: pr.head.sha,
                base_ref: pr.base.name,
                html_url: pr.html_url,
                repository: p.repository.full_name,
                installation_id: p.installation.map(|i| i.id),
            }))
        }
        _ if action != "completed" => ignored(),
        "check_suite" => {
            let p: CheckSuitePayload = serde_json::from_slice(body).map_err(fail)?;
            let head_sha =
                p.check_suite.head_sha.ok_or_else(|| format!("the `{event}` webhook body has no head_sha"))?;
            Ok(WebhookEvent::CheckCompleted(CheckCompleted {
                kind: CheckKind::Suite,
                conclusion: p.check_suite.conclusion,
                head_branch: p.check_suite.head_branch,
                head_sha,
                repository: p.repository.full_name,
                installation_id: p.installation.map(|i| i.id),
            }))
        }
        _ => {
            let p: CheckRunPayload = serde_json::from_slice(body).map_err(fail)?;
            Ok(WebhookEvent::CheckCompleted(CheckCompleted {
                kind: CheckKind::Run,
                conclusion: p.check_run.conclusion,
                head_branch: p.check_run.check_suite.and_then(|s| s.head_branch),
                head_sha: p.check_run.head_sha,
                repository: p.repository.full_name,
                installation_id: p.installation.map(|i| i.id),
            }))
        }
    }
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
