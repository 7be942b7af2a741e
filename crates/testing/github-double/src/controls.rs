//! The test controls of the GitHub App side: installation tokens, pull requests, check runs and
//! webhooks.

use std::time::Duration;

use anyhow::{bail, Result};
use serde_json::Value;

use crate::app::state::PullSnapshot;
use crate::app_config::{RepoConfig, ROLES};
use crate::server::GithubDouble;
use crate::webhooks::{payloads, Delivery};

/// The `status` values of a check run.
const CHECK_STATUSES: &[&str] = &["queued", "in_progress", "completed", "waiting", "requested", "pending"];
/// The `conclusion` values of a completed check run.
const CHECK_CONCLUSIONS: &[&str] =
    &["success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"];

impl GithubDouble {
    /// How many installation tokens were minted.
    pub fn access_tokens_minted(&self) -> usize {
        self.shared.lock().app.minted
    }

    /// Whether `token` is a live installation token (minted, not expired, not revoked).
    pub fn installation_token_valid(&self, token: &str) -> bool {
        self.shared.lock().installation_access(token).is_some()
    }

    /// Sets the App's webhook: from now on events are delivered to `url`, signed with `secret`.
    pub fn set_webhook(&self, url: &str, secret: &str) {
        self.shared.webhooks.set_hook(Some((url.to_string(), secret.to_string())));
    }

    /// Removes the webhook: events are no longer delivered.
    pub fn clear_webhook(&self) {
        self.shared.webhooks.set_hook(None);
    }

    /// Every delivery so far, in order (pending ones have `finished: false`).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.webhooks.deliveries()
    }

    /// Waits until at least `count` deliveries have been attempted and none is pending (or until
    /// `timeout`), and returns them all.
    pub async fn wait_for_deliveries(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
        self.shared.webhooks.wait(count, timeout).await
    }

    /// Delivers `event` with a payload the test wrote, as is.
    pub fn send_webhook(&self, event: &str, payload: Value) {
        payloads::raw(&self.shared, event, payload);
    }

    /// Delivers `installation` `created` for a configured installation, with its repositories.
    ///
    /// # Panics
    /// If there is no such installation.
    pub fn send_installation_created(&self, installation_id: u64) {
        let sent = payloads::installation_created(&self.shared, installation_id);
        assert!(sent, "github-double: no installation {installation_id}");
    }

    /// Delivers `installation_repositories` `added` for repositories (`owner/name`) the
    /// installation has.
    ///
    /// # Panics
    /// If the installation or one of the repositories is unknown.
    pub fn send_installation_repositories_added(&self, installation_id: u64, repos: &[&str]) {
        let repos: Vec<String> = repos.iter().map(|r| r.to_string()).collect();
        let sent = payloads::installation_repositories_added(&self.shared, installation_id, &repos);
        assert!(sent, "github-double: installation {installation_id} does not have all of {repos:?}");
    }

    /// Grants an installation another repository (after start), and delivers
    /// `installation_repositories` `added` for it.
    pub fn add_installation_repo(&self, installation_id: u64, repo: RepoConfig) -> Result<()> {
        let full_name = repo.full_name();
        {
            let mut inner = self.shared.lock();
            if inner.config.find_repo(&repo.owner, &repo.name).is_some() {
                bail!("repository {full_name} is already configured");
            }
            if inner.config.installations.iter().flat_map(|i| &i.repos).any(|r| r.id == repo.id) {
                bail!("another repository already has id {}", repo.id);
            }
            let Some(installation) = inner.config.installations.iter_mut().find(|i| i.id == installation_id) else {
                bail!("no installation {installation_id}");
            };
            installation.repos.push(repo);
        }
        payloads::installation_repositories_added(&self.shared, installation_id, &[full_name]);
        Ok(())
    }

    /// Sets a user's own role on `owner/name`: `none`, `read`, `triage`, `write`, `maintain` or
    /// `admin` (what `GET /repos/{owner}/{repo}/collaborators/{username}/permission` answers).
    pub fn set_user_access(&self, owner_repo: &str, login: &str, level: &str) -> Result<()> {
        let Some((owner, name)) = owner_repo.split_once('/') else { bail!("{owner_repo:?} is not owner/name") };
        if !ROLES.contains(&level) {
            bail!("unknown role {level:?} (one of {ROLES:?})");
        }
        let mut inner = self.shared.lock();
        let Some(repo) = inner.config.installations.iter_mut().flat_map(|i| &mut i.repos).find(|r| r.is(owner, name))
        else {
            bail!("no repository {owner_repo}");
        };
        *repo = repo.clone().user_access(login, level);
        Ok(())
    }

    /// The pull requests of `owner/name`, by number.
    pub fn pulls(&self, owner_repo: &str) -> Vec<PullSnapshot> {
        let inner = self.shared.lock();
        let Some(repo_id) = inner.config.find_repo_full(owner_repo).map(|(_, r)| r.id) else { return Vec::new() };
        let mut pulls: Vec<PullSnapshot> =
            inner.app.pulls.iter().filter(|p| p.repo_id == repo_id).map(|p| inner.snapshot(p)).collect();
        pulls.sort_by_key(|p| p.number);
        pulls
    }

    /// Merges an open pull request as if someone pressed the button (the repository owner if
    /// they are a configured user, else the first user): a merge commit on the base branch in
    /// the git directory (if it merges cleanly), closed, `merged: true`, and a `pull_request`
    /// `closed` delivery with `merged: true`.
    ///
    /// # Panics
    /// If `owner/name` has no open pull request `number`.
    pub fn merge_pull(&self, owner_repo: &str, number: u64) {
        let merged = crate::app::pulls::merge(&self.shared, owner_repo, number);
        assert!(merged, "github-double: {owner_repo} has no open pull request #{number}");
    }

    /// Looks for commits pushed to the head branches of `owner/name`'s open pull requests
    /// straight into the git directory, and delivers `pull_request` `synchronize` for each
    /// pull request whose head moved. (Pushes through the double's git endpoint do this by
    /// themselves.)
    pub fn notice_push(&self, owner_repo: &str) {
        crate::app::pulls::notice_push(&self.shared, owner_repo, None);
    }

    /// Creates (or updates: same repository, commit and name) a check run, and delivers
    /// `check_run` `created` for a new run, `check_run` `completed` when it completes, and
    /// `check_suite` `completed` (with the suite's conclusion) once every run on the commit has
    /// completed. `status` is `queued`, `in_progress`, `completed`, …; `conclusion` (`success`,
    /// `failure`, …) is for completed runs. Returns the run's id.
    ///
    /// # Panics
    /// If the repository is unknown, or the status or conclusion is not one of GitHub's.
    pub fn set_check_run(
        &self,
        owner_repo: &str,
        head_sha: &str,
        name: &str,
        status: &str,
        conclusion: Option<&str>,
    ) -> u64 {
        assert!(CHECK_STATUSES.contains(&status), "github-double: unknown check run status {status:?}");
        if let Some(conclusion) = conclusion {
            assert!(CHECK_CONCLUSIONS.contains(&conclusion), "github-double: unknown conclusion {conclusion:?}");
        }
        let repo = self.shared.lock().config.find_repo_full(owner_repo).map(|(_, r)| r.clone());
        let repo = repo.unwrap_or_else(|| panic!("github-double: no repository {owner_repo}"));
        crate::app::checks::set_check_run(&self.shared, &repo, head_sha, name, status, conclusion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_match_the_schema() {
        let spec: Value =
            serde_json::from_str(include_str!("../tests/fixtures/github/openapi-subset.json")).expect("the spec");
        let run = &spec["components"]["schemas"]["check-run"]["properties"];
        assert_eq!(run["status"]["enum"], serde_json::json!(CHECK_STATUSES));
        assert_eq!(run["conclusion"]["enum"], serde_json::json!(CHECK_CONCLUSIONS));
    }
}
