//! The test controls of the conversation on pull requests: opening pull requests and issues as
//! someone, asking the App for a review, commenting (each with the webhook GitHub sends),
//! reading back what the App wrote, and redelivering a webhook.

use serde_json::json;

use crate::app::discussion::{
    Issue, RecordedIssueComment, RecordedReaction, RecordedReview, RecordedReviewComment, Writer,
};
use crate::app::pulls::{announce, author_json, insert, NewPull};
use crate::app::reviewing::{add_issue_comment, add_review, locate, pull_files, Place, PlacedComment};
use crate::app::state::{Author, Pull};
use crate::app_config::RepoConfig;
use crate::git;
use crate::server::GithubDouble;
use crate::state::now_epoch;

/// A pull request a test opens with [`GithubDouble::open_pull`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenPull {
    pub head: String,
    pub base: String,
    pub title: String,
    pub body: Option<String>,
    /// The author's login; `None`: the first configured user.
    pub author: Option<String>,
    /// Opened by the App's bot (as an installation token would).
    pub by_app: bool,
    pub draft: bool,
}

impl OpenPull {
    /// A ready pull request from branch `head` into `base`, titled after the head, by the first
    /// configured user.
    pub fn new(head: impl Into<String>, base: impl Into<String>) -> Self {
        let head = head.into();
        Self { title: head.clone(), head, base: base.into(), body: None, author: None, by_app: false, draft: false }
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Opened by this configured user.
    pub fn author(mut self, login: impl Into<String>) -> Self {
        self.author = Some(login.into());
        self
    }

    /// Opened by the App's bot.
    pub fn by_app(mut self) -> Self {
        self.by_app = true;
        self
    }

    pub fn draft(mut self, draft: bool) -> Self {
        self.draft = draft;
        self
    }
}

/// A comment on a line (or a range of lines) of a pull request's diff
/// ([`GithubDouble::comment_on_diff`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffComment {
    pub path: String,
    /// The last line of the range, in the head's numbering (`RIGHT`) unless `side` is `LEFT`.
    pub line: u64,
    pub side: String,
    pub start_line: Option<u64>,
    pub body: String,
}

impl DiffComment {
    /// A comment on `line` of `path` as the head has it (`side: RIGHT`).
    pub fn new(path: impl Into<String>, line: u64, body: impl Into<String>) -> Self {
        Self { path: path.into(), line, side: "RIGHT".into(), start_line: None, body: body.into() }
    }

    /// On the base's numbering (`side: LEFT`: a removed line).
    pub fn left(mut self) -> Self {
        self.side = "LEFT".into();
        self
    }

    /// Spanning `start_line..=line`.
    pub fn start_line(mut self, start_line: u64) -> Self {
        self.start_line = Some(start_line);
        self
    }
}

impl GithubDouble {
    fn repo_named(&self, owner_repo: &str) -> RepoConfig {
        let repo = self.shared.lock().config.find_repo_full(owner_repo).map(|(_, r)| r.clone());
        repo.unwrap_or_else(|| panic!("github-double: no repository {owner_repo}"))
    }

    fn pull_numbered(&self, repo: &RepoConfig, number: u64) -> Pull {
        let pull = self.shared.lock().app.pull(repo.id, number).cloned();
        pull.unwrap_or_else(|| panic!("github-double: {} has no pull request #{number}", repo.full_name()))
    }

    /// The author a configured user's login (or the App's bot login) stands for.
    fn author_named(&self, login: &str) -> Author {
        let inner = self.shared.lock();
        if inner.config.app.as_ref().is_some_and(|a| a.bot_login().eq_ignore_ascii_case(login)) {
            return Author::Bot;
        }
        let user = inner.config.find_user(login).unwrap_or_else(|| panic!("github-double: no user {login:?}"));
        Author::User(user.login.clone())
    }

    fn writer_named(&self, login: &str) -> Writer {
        let author = self.author_named(login);
        self.shared.lock().writer(&author)
    }

    /// Opens a pull request as someone did on github.com, and delivers `pull_request` `opened`
    /// (sent by its author). When an open pull request from `head` into `base` is already there,
    /// answers its number and delivers nothing.
    ///
    /// # Panics
    /// If the repository, a branch or the author is unknown.
    pub fn open_pull(&self, owner_repo: &str, pull: OpenPull) -> u64 {
        let repo = self.repo_named(owner_repo);
        let existing = self.shared.lock().app.pulls.iter().find_map(|p| {
            let same = p.repo_id == repo.id && p.open && p.head_ref == pull.head && p.base_ref == pull.base;
            same.then_some(p.number)
        });
        if let Some(number) = existing {
            return number;
        }
        let dir = repo.git_dir.clone().unwrap_or_default();
        let sha = |branch: &str| {
            git::branch_sha(&dir, branch)
                .unwrap_or_else(|| panic!("github-double: {owner_repo} has no branch {branch}"))
        };
        let author = match (&pull.author, pull.by_app) {
            (_, true) => Author::Bot,
            (Some(login), false) => self.author_named(login),
            (None, false) => {
                let first = self.shared.lock().config.users.first().map(|u| u.login.clone());
                Author::User(first.expect("github-double: no users to open a pull request"))
            }
        };
        let new = NewPull {
            title: pull.title,
            body: pull.body,
            draft: pull.draft,
            author: author.clone(),
            head_sha: sha(&pull.head),
            head_ref: pull.head,
            base_sha: sha(&pull.base),
            base_ref: pull.base,
            maintainer_can_modify: false,
        };
        let pull = insert(&self.shared, repo.id, new);
        announce(&self.shared, &repo, &pull, "opened", &author, json!({}));
        pull.number
    }

    /// Marks a draft pull request ready for review, and delivers `pull_request`
    /// `ready_for_review` (sent by its author).
    ///
    /// # Panics
    /// If there is no such pull request, or it is not an open draft.
    pub fn mark_ready_for_review(&self, owner_repo: &str, number: u64) {
        let repo = self.repo_named(owner_repo);
        let pull = {
            let mut inner = self.shared.lock();
            let pull = inner.app.pull_mut(repo.id, number).filter(|p| p.open && p.draft);
            let pull = pull.unwrap_or_else(|| panic!("github-double: {owner_repo} has no open draft #{number}"));
            (pull.draft, pull.updated_at) = (false, now_epoch());
            pull.clone()
        };
        announce(&self.shared, &repo, &pull, "ready_for_review", &pull.author, json!({}));
    }

    /// `requester` asks the App's bot to review the pull request: it joins
    /// `requested_reviewers`, and `pull_request` `review_requested` is delivered with
    /// `requested_reviewer` the bot.
    ///
    /// # Panics
    /// If there is no such pull request or user, or no App.
    pub fn request_app_review(&self, owner_repo: &str, number: u64, requester: &str) {
        let repo = self.repo_named(owner_repo);
        let requester = self.author_named(requester);
        let (pull, bot) = {
            let mut inner = self.shared.lock();
            assert!(inner.config.app.is_some(), "github-double: no App to request a review from");
            let bot = author_json(&mut inner, &self.shared.base_url, &Author::Bot);
            let pull = inner.app.pull_mut(repo.id, number);
            let pull = pull.unwrap_or_else(|| panic!("github-double: {owner_repo} has no pull request #{number}"));
            if !pull.requested_reviewers.contains(&Author::Bot) {
                pull.requested_reviewers.push(Author::Bot);
            }
            pull.updated_at = now_epoch();
            (pull.clone(), bot)
        };
        announce(&self.shared, &repo, &pull, "review_requested", &requester, json!({ "requested_reviewer": bot }));
    }

    /// Opens an issue (no webhook) and answers its number (issues and pull requests share
    /// numbers).
    ///
    /// # Panics
    /// If the repository or the author is unknown.
    pub fn open_issue(&self, owner_repo: &str, author: &str, title: &str, body: &str) -> u64 {
        let repo = self.repo_named(owner_repo);
        let author = self.writer_named(author);
        let mut inner = self.shared.lock();
        let number = inner.app.next_number(repo.id);
        let id = inner.app.discussion.new_issue_id();
        let issue = Issue {
            repo_id: repo.id,
            number,
            id,
            title: title.into(),
            body: Some(body.into()),
            author,
            created_at: now_epoch(),
        };
        inner.app.discussion.issues.push(issue);
        number
    }

    /// `author` comments on pull request (or issue) `number`'s conversation: the comment is
    /// stored and `issue_comment` `created` delivered (with `issue.pull_request` set on a pull
    /// request). Answers the comment's id.
    ///
    /// # Panics
    /// If the repository, the number or the author is unknown.
    pub fn comment_on_issue(&self, owner_repo: &str, number: u64, author: &str, body: &str) -> u64 {
        let repo = self.repo_named(owner_repo);
        let known = {
            let inner = self.shared.lock();
            inner.app.pull(repo.id, number).is_some() || inner.app.discussion.issue(repo.id, number).is_some()
        };
        assert!(known, "github-double: {owner_repo} has no pull request or issue #{number}");
        add_issue_comment(&self.shared, &repo, number, self.writer_named(author), body.into()).id
    }

    /// `author` comments on a line of pull request `number`'s diff ("Add single comment"): a
    /// `COMMENTED` review with that one comment, delivered as `pull_request_review` `submitted`
    /// and `pull_request_review_comment` `created` (with `path`, `line`, `diff_hunk`,
    /// `commit_id` the head). Answers the comment's id.
    ///
    /// # Panics
    /// If the pull request or author is unknown, or the line is not part of the diff.
    pub fn comment_on_diff(&self, owner_repo: &str, number: u64, author: &str, comment: DiffComment) -> u64 {
        let repo = self.repo_named(owner_repo);
        let pull = self.pull_numbered(&repo, number);
        let (head, files) = pull_files(&repo, &pull);
        let place = Place {
            path: comment.path,
            line: comment.line,
            side: comment.side.clone(),
            start_line: comment.start_line,
            start_side: comment.start_line.map(|_| comment.side),
        };
        let anchor = locate(&files, &place).unwrap_or_else(|e| panic!("github-double: {place:?}: {e}"));
        let placed = PlacedComment { place, anchor, body: comment.body, in_reply_to: None };
        let review = ("COMMENTED", String::new(), head);
        let (_, stored) = add_review(&self.shared, &repo, &pull, self.writer_named(author), review, vec![placed]);
        stored[0].id
    }

    /// The reviews of pull request `number`, oldest first.
    pub fn reviews(&self, owner_repo: &str, number: u64) -> Vec<RecordedReview> {
        let repo = self.repo_named(owner_repo);
        let inner = self.shared.lock();
        let reviews = inner.app.discussion.reviews.iter();
        reviews.filter(|r| r.repo_id == repo.id && r.pull_number == number).cloned().collect()
    }

    /// The review comments (and replies) on pull request `number`'s diff, oldest first.
    pub fn review_comments(&self, owner_repo: &str, number: u64) -> Vec<RecordedReviewComment> {
        let repo = self.repo_named(owner_repo);
        let inner = self.shared.lock();
        let comments = inner.app.discussion.review_comments.iter();
        comments.filter(|c| c.repo_id == repo.id && c.pull_number == number).cloned().collect()
    }

    /// The comments on pull request (or issue) `number`'s conversation, oldest first.
    pub fn issue_comments(&self, owner_repo: &str, number: u64) -> Vec<RecordedIssueComment> {
        let repo = self.repo_named(owner_repo);
        let inner = self.shared.lock();
        let comments = inner.app.discussion.issue_comments.iter();
        comments.filter(|c| c.repo_id == repo.id && c.issue_number == number).cloned().collect()
    }

    /// Every reaction in `owner/name`, oldest first.
    pub fn reactions(&self, owner_repo: &str) -> Vec<RecordedReaction> {
        let repo = self.repo_named(owner_repo);
        let inner = self.shared.lock();
        inner.app.discussion.reactions.iter().filter(|r| r.repo_id == repo.id).cloned().collect()
    }

    /// Sends delivery `id` again (GitHub's "Redeliver"): same event, body, signature and
    /// `X-GitHub-Delivery`; [`GithubDouble::deliveries`] lists it as one more attempt.
    ///
    /// # Panics
    /// If there is no such delivery or no webhook.
    pub fn redeliver(&self, id: &str) {
        let target = self.shared.lock().config.app.as_ref().map_or(0, |a| a.id);
        assert!(self.shared.webhooks.redeliver(id, target), "github-double: no delivery {id} to redeliver");
    }
}
