//! The conversation around pull requests and issues, kept in [`AppState`](super::state::AppState):
//! issues, reviews, review comments, issue comments and reactions. The tests read them back
//! through [`GithubDouble`](crate::GithubDouble) as these records.

use super::state::Author;

const FIRST_ISSUE_ID: u64 = 2_100_000_000;
const FIRST_REVIEW_ID: u64 = 2_200_000_000;
const FIRST_REVIEW_COMMENT_ID: u64 = 2_300_000_000;
const FIRST_ISSUE_COMMENT_ID: u64 = 2_400_000_000;
const FIRST_REACTION_ID: u64 = 2_500_000_000;

/// Who wrote something: a configured user or the App's bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Writer {
    /// The login (`<slug>[bot]` for the App).
    pub login: String,
    /// Whether an installation token wrote it (the App's bot).
    pub by_app: bool,
}

impl Writer {
    pub(crate) fn author(&self) -> Author {
        if self.by_app {
            Author::Bot
        } else {
            Author::User(self.login.clone())
        }
    }
}

/// An issue (not a pull request) a test opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Issue {
    pub repo_id: u64,
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: Option<String>,
    pub author: Writer,
    pub created_at: u64,
}

/// A pull request review, as `pulls/create-review` stored it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedReview {
    pub id: u64,
    pub pull_number: u64,
    pub author: Writer,
    /// `""` when the request had none.
    pub body: String,
    /// `PENDING`, `COMMENTED`, `APPROVED` or `CHANGES_REQUESTED`.
    pub state: String,
    pub commit_id: String,
    /// Epoch second; `None` while pending.
    pub submitted_at: Option<u64>,
    pub(crate) repo_id: u64,
}

/// A review comment: one line (or range) of a pull request's diff, or a reply in its thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedReviewComment {
    pub id: u64,
    pub pull_number: u64,
    /// The review it belongs to (every comment has one on GitHub; a lone comment gets its own).
    pub review_id: u64,
    /// The thread's first comment, for replies.
    pub in_reply_to: Option<u64>,
    pub author: Writer,
    pub body: String,
    pub path: String,
    pub line: u64,
    /// `LEFT` or `RIGHT`.
    pub side: String,
    pub start_line: Option<u64>,
    pub start_side: Option<String>,
    pub commit_id: String,
    pub(crate) repo_id: u64,
    pub(crate) position: u64,
    pub(crate) diff_hunk: String,
    pub(crate) created_at: u64,
}

/// A comment on an issue or on a pull request's conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedIssueComment {
    pub id: u64,
    /// The issue's or the pull request's number.
    pub issue_number: u64,
    pub author: Writer,
    pub body: String,
    pub(crate) repo_id: u64,
    pub(crate) created_at: u64,
}

/// What a reaction is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReactionTarget {
    /// An issue or pull request, by number.
    Issue(u64),
    /// An issue comment, by id.
    IssueComment(u64),
    /// A pull request review comment, by id.
    ReviewComment(u64),
}

/// A reaction (`+1`, `eyes`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedReaction {
    pub id: u64,
    pub target: ReactionTarget,
    pub author: Writer,
    pub content: String,
    pub(crate) repo_id: u64,
    pub(crate) created_at: u64,
}

/// Everything said on the repositories.
#[derive(Default)]
pub(crate) struct Discussion {
    pub issues: Vec<Issue>,
    pub reviews: Vec<RecordedReview>,
    pub review_comments: Vec<RecordedReviewComment>,
    pub issue_comments: Vec<RecordedIssueComment>,
    pub reactions: Vec<RecordedReaction>,
    counter: u64,
}

impl Discussion {
    fn fresh(&mut self, base: u64) -> u64 {
        self.counter += 1;
        base + self.counter
    }

    pub fn new_issue_id(&mut self) -> u64 {
        self.fresh(FIRST_ISSUE_ID)
    }

    pub fn new_review_id(&mut self) -> u64 {
        self.fresh(FIRST_REVIEW_ID)
    }

    pub fn new_review_comment_id(&mut self) -> u64 {
        self.fresh(FIRST_REVIEW_COMMENT_ID)
    }

    pub fn new_issue_comment_id(&mut self) -> u64 {
        self.fresh(FIRST_ISSUE_COMMENT_ID)
    }

    pub fn new_reaction_id(&mut self) -> u64 {
        self.fresh(FIRST_REACTION_ID)
    }

    pub fn issue(&self, repo_id: u64, number: u64) -> Option<&Issue> {
        self.issues.iter().find(|i| i.repo_id == repo_id && i.number == number)
    }

    pub fn review_comment(&self, repo_id: u64, id: u64) -> Option<&RecordedReviewComment> {
        self.review_comments.iter().find(|c| c.repo_id == repo_id && c.id == id)
    }

    pub fn issue_comment(&self, repo_id: u64, id: u64) -> Option<&RecordedIssueComment> {
        self.issue_comments.iter().find(|c| c.repo_id == repo_id && c.id == id)
    }

    /// The reactions on `target` of the repository.
    pub fn reactions_on(&self, repo_id: u64, target: ReactionTarget) -> impl Iterator<Item = &RecordedReaction> {
        self.reactions.iter().filter(move |r| r.repo_id == repo_id && r.target == target)
    }
}
