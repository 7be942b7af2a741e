//! The App's mutable state, kept in [`Inner`]: installation tokens, pull requests and check runs.

use std::collections::{BTreeMap, HashMap};

use super::discussion::{Discussion, Writer};
use crate::ids;
use crate::rest::InstallationAccess;
use crate::state::{now_epoch, Inner};

/// How long an installation token lives on GitHub.
pub(crate) const INSTALLATION_TOKEN_TTL: u64 = 3600;
const FIRST_PULL_ID: u64 = 1_800_000_000;
const FIRST_CHECK_RUN_ID: u64 = 2_600_000_000;
const FIRST_CHECK_SUITE_ID: u64 = 3_400_000_000;

/// A minted installation token.
#[derive(Clone, Debug)]
pub(crate) struct InstallationToken {
    pub installation_id: u64,
    /// Epoch second it stops working.
    pub expires_at: u64,
    pub repo_ids: Option<Vec<u64>>,
    pub permissions: BTreeMap<String, String>,
}

/// Who opened (or merged) a pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Author {
    /// A configured user, by login.
    User(String),
    /// The App's bot (an installation token).
    Bot,
}

/// A pull request. Shas are the last ones the double noticed: while the pull request is open the
/// answers show the branches' current tips, read from the git directory.
#[derive(Clone, Debug)]
pub(crate) struct Pull {
    pub repo_id: u64,
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: Option<String>,
    pub open: bool,
    pub draft: bool,
    pub merged: bool,
    pub author: Author,
    pub merged_by: Option<Author>,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub created_at: u64,
    pub updated_at: u64,
    pub closed_at: Option<u64>,
    pub merged_at: Option<u64>,
    pub merge_commit_sha: Option<String>,
    pub maintainer_can_modify: bool,
    /// Who was asked for a review (`requested_reviewers`).
    pub requested_reviewers: Vec<Author>,
}

/// A check run the test set with [`GithubDouble::set_check_run`](crate::GithubDouble::set_check_run).
#[derive(Clone, Debug)]
pub(crate) struct CheckRun {
    pub id: u64,
    pub suite_id: u64,
    pub repo_id: u64,
    pub head_sha: String,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub started_at: u64,
    pub completed_at: Option<u64>,
}

/// A pull request as the tests see it ([`GithubDouble::pulls`](crate::GithubDouble::pulls)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullSnapshot {
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    /// The head branch (`oi/ses_1`).
    pub head: String,
    /// The base branch (`main`).
    pub base: String,
    /// `open` or `closed`.
    pub state: String,
    pub draft: bool,
    pub merged: bool,
    /// The author's login (`<slug>[bot]` for the App).
    pub author_login: String,
    /// Whether an installation token opened it.
    pub by_app: bool,
    /// The head sha the double last noticed.
    pub head_sha: String,
}

#[derive(Default)]
pub(crate) struct AppState {
    pub tokens: HashMap<String, InstallationToken>,
    /// How many installation tokens were minted.
    pub minted: usize,
    pub pulls: Vec<Pull>,
    pub check_runs: Vec<CheckRun>,
    /// Issues, reviews, comments and reactions.
    pub discussion: Discussion,
    /// `(repo id, head sha, suite id)`.
    suites: Vec<(u64, String, u64)>,
    counter: u64,
}

impl AppState {
    fn fresh(&mut self, base: u64) -> u64 {
        self.counter += 1;
        base + self.counter
    }

    pub fn new_pull_id(&mut self) -> u64 {
        self.fresh(FIRST_PULL_ID)
    }

    pub fn new_check_run_id(&mut self) -> u64 {
        self.fresh(FIRST_CHECK_RUN_ID)
    }

    /// The check suite of `sha` in the repository (one per commit, made on first use).
    pub fn suite_id(&mut self, repo_id: u64, sha: &str) -> u64 {
        if let Some((_, _, id)) = self.suites.iter().find(|(r, s, _)| *r == repo_id && s == sha) {
            return *id;
        }
        let id = self.fresh(FIRST_CHECK_SUITE_ID);
        self.suites.push((repo_id, sha.to_string(), id));
        id
    }

    /// The number the next pull request or issue of the repository gets (they share numbers).
    pub fn next_number(&self, repo_id: u64) -> u64 {
        let pulls = self.pulls.iter().filter(|p| p.repo_id == repo_id).map(|p| p.number);
        let issues = self.discussion.issues.iter().filter(|i| i.repo_id == repo_id).map(|i| i.number);
        pulls.chain(issues).max().unwrap_or(0) + 1
    }

    pub fn pull(&self, repo_id: u64, number: u64) -> Option<&Pull> {
        self.pulls.iter().find(|p| p.repo_id == repo_id && p.number == number)
    }

    pub fn pull_mut(&mut self, repo_id: u64, number: u64) -> Option<&mut Pull> {
        self.pulls.iter_mut().find(|p| p.repo_id == repo_id && p.number == number)
    }
}

impl Inner {
    /// What a live installation token may do (`None`: unknown, expired, or its installation is
    /// gone).
    pub fn installation_access(&self, token: &str) -> Option<InstallationAccess> {
        let grant = self.app.tokens.get(token)?;
        if now_epoch() >= grant.expires_at || self.config.find_installation(grant.installation_id).is_none() {
            return None;
        }
        Some(InstallationAccess {
            installation_id: grant.installation_id,
            repo_ids: grant.repo_ids.clone(),
            permissions: grant.permissions.clone(),
        })
    }

    /// Mints an installation token; returns it and the epoch second it expires.
    pub fn mint_installation_token(
        &mut self,
        installation_id: u64,
        repo_ids: Option<Vec<u64>>,
        permissions: BTreeMap<String, String>,
    ) -> (String, u64) {
        let token = format!("ghs_{}", ids::random_alphanumeric(36));
        let expires_at = now_epoch() + INSTALLATION_TOKEN_TTL;
        let grant = InstallationToken { installation_id, expires_at, repo_ids, permissions };
        self.app.tokens.insert(token.clone(), grant);
        self.app.minted += 1;
        (token, expires_at)
    }

    /// The login a pull request's author shows as.
    pub fn author_login(&self, author: &Author) -> String {
        match author {
            Author::User(login) => login.clone(),
            Author::Bot => self.config.app.as_ref().map(|a| a.bot_login()).unwrap_or_else(|| "app[bot]".into()),
        }
    }

    /// The [`Writer`] an author shows as.
    pub fn writer(&self, author: &Author) -> Writer {
        Writer { login: self.author_login(author), by_app: *author == Author::Bot }
    }

    pub fn snapshot(&self, pull: &Pull) -> PullSnapshot {
        PullSnapshot {
            number: pull.number,
            title: pull.title.clone(),
            body: pull.body.clone(),
            head: pull.head_ref.clone(),
            base: pull.base_ref.clone(),
            state: if pull.open { "open" } else { "closed" }.into(),
            draft: pull.draft,
            merged: pull.merged,
            author_login: self.author_login(&pull.author),
            by_app: pull.author == Author::Bot,
            head_sha: pull.head_sha.clone(),
        }
    }
}
