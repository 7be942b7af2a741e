//! Reviewing a pull request: its files, where a review comment may go in them, and storing
//! reviews, review comments, issue comments and reactions (the REST endpoints and the test
//! controls both come through here, and both deliver the webhooks GitHub would).

use serde_json::{Map, Value};

use super::discussion::{
    ReactionTarget, RecordedIssueComment, RecordedReaction, RecordedReview, RecordedReviewComment, Writer,
};
use super::pulls::shown_shas;
use super::state::Pull;
use crate::app_config::RepoConfig;
use crate::git_diff::{anchor, diff_files, Anchor, FileDiff};
use crate::rest::repos::tips;
use crate::state::{now_epoch, Shared};
use crate::webhooks::discussion_payloads;

/// Why GitHub refuses a review comment's place. The wording is GitHub's, as its 422s show it
/// (e.g. github.com/danobi/prr/issues/11, github.com/parkerbxyz/suggest-changes/issues/64,
/// github.com/villesau/ai-codereviewer/issues/34).
pub(crate) const LINE_NOT_IN_DIFF: &str =
    "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank";
pub(crate) const PATH_NOT_IN_DIFF: &str =
    "Pull request review thread path is invalid and Pull request review thread diff hunk can't be blank";
pub(crate) const START_NOT_IN_HUNK: &str =
    "Pull request review thread start line must be part of the same hunk as the line.";

/// The head sha a pull request shows and the files it changes (`base...head`).
pub(crate) fn pull_files(repo: &RepoConfig, pull: &Pull) -> (String, Vec<FileDiff>) {
    let (head, base) = shown_shas(pull, &tips(repo));
    let files = repo.git_dir.as_deref().map(|dir| diff_files(dir, &base, &head)).unwrap_or_default();
    (head, files)
}

/// Where a review comment is asked to go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub path: String,
    pub line: u64,
    /// `LEFT` or `RIGHT` (`RIGHT` unless asked).
    pub side: String,
    pub start_line: Option<u64>,
    pub start_side: Option<String>,
}

impl Place {
    /// The place fields of a request's comment object (`None` without a `line`).
    pub fn from_request(map: &Map<String, Value>) -> Option<Self> {
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
        Some(Self {
            path: text("path")?,
            line: map.get("line")?.as_u64()?,
            side: text("side").unwrap_or_else(|| "RIGHT".into()),
            start_line: map.get("start_line").and_then(Value::as_u64),
            start_side: text("start_side"),
        })
    }
}

/// Finds `place` in the files' patches; the error is GitHub's message.
pub(crate) fn locate(files: &[FileDiff], place: &Place) -> Result<Anchor, &'static str> {
    let Some(file) = files.iter().find(|f| f.filename == place.path) else { return Err(PATH_NOT_IN_DIFF) };
    let patch = file.patch.as_deref().unwrap_or_default();
    let end = anchor(patch, &place.side, place.line).ok_or(LINE_NOT_IN_DIFF)?;
    if let Some(start_line) = place.start_line {
        let start_side = place.start_side.as_deref().unwrap_or(&place.side);
        let start = anchor(patch, start_side, start_line).ok_or(LINE_NOT_IN_DIFF)?;
        if start.hunk != end.hunk {
            return Err(START_NOT_IN_HUNK);
        }
    }
    Ok(end)
}

/// A review comment placed at `anchor`, to store with [`add_review`].
pub(crate) struct PlacedComment {
    pub place: Place,
    pub anchor: Anchor,
    pub body: String,
    /// The thread's first comment, for a reply.
    pub in_reply_to: Option<u64>,
}

/// Stores a review with its comments on `pull`, and delivers `pull_request_review`
/// `submitted` (unless it is pending) and `pull_request_review_comment` `created` for each
/// comment. Returns the review and its comments.
pub(crate) fn add_review(
    shared: &Shared,
    repo: &RepoConfig,
    pull: &Pull,
    writer: Writer,
    (state, body, commit_id): (&str, String, String),
    comments: Vec<PlacedComment>,
) -> (RecordedReview, Vec<RecordedReviewComment>) {
    let now = now_epoch();
    let (review, stored) = {
        let mut inner = shared.lock();
        let talk = &mut inner.app.discussion;
        let review = RecordedReview {
            id: talk.new_review_id(),
            pull_number: pull.number,
            author: writer.clone(),
            body,
            state: state.to_string(),
            commit_id: commit_id.clone(),
            submitted_at: (state != "PENDING").then_some(now),
            repo_id: repo.id,
        };
        talk.reviews.push(review.clone());
        let mut stored = Vec::new();
        for comment in comments {
            let recorded = RecordedReviewComment {
                id: talk.new_review_comment_id(),
                pull_number: pull.number,
                review_id: review.id,
                in_reply_to: comment.in_reply_to,
                author: writer.clone(),
                body: comment.body,
                path: comment.place.path,
                line: comment.place.line,
                side: comment.place.side,
                start_line: comment.place.start_line,
                start_side: comment.place.start_side,
                commit_id: commit_id.clone(),
                repo_id: repo.id,
                position: comment.anchor.position,
                diff_hunk: comment.anchor.diff_hunk,
                created_at: now,
            };
            talk.review_comments.push(recorded.clone());
            stored.push(recorded);
        }
        (review, stored)
    };
    if review.submitted_at.is_some() {
        discussion_payloads::pull_request_review(shared, repo, pull, &review);
        for comment in &stored {
            discussion_payloads::pull_request_review_comment(shared, repo, pull, comment);
        }
    }
    (review, stored)
}

/// Stores a comment on issue (or pull request) `number` and delivers `issue_comment` `created`.
pub(crate) fn add_issue_comment(
    shared: &Shared,
    repo: &RepoConfig,
    number: u64,
    writer: Writer,
    body: String,
) -> RecordedIssueComment {
    let comment = {
        let mut inner = shared.lock();
        let talk = &mut inner.app.discussion;
        let comment = RecordedIssueComment {
            id: talk.new_issue_comment_id(),
            issue_number: number,
            author: writer,
            body,
            repo_id: repo.id,
            created_at: now_epoch(),
        };
        talk.issue_comments.push(comment.clone());
        comment
    };
    discussion_payloads::issue_comment(shared, repo, &comment);
    comment
}

/// Adds `writer`'s `content` reaction to `target`, unless they already reacted so. Returns the
/// reaction and whether it is new (GitHub: 201 new, 200 already there).
pub(crate) fn react(
    shared: &Shared,
    repo_id: u64,
    target: ReactionTarget,
    writer: Writer,
    content: &str,
) -> (RecordedReaction, bool) {
    let mut inner = shared.lock();
    let talk = &mut inner.app.discussion;
    let existing = talk.reactions_on(repo_id, target).find(|r| r.author == writer && r.content == content).cloned();
    if let Some(existing) = existing {
        return (existing, false);
    }
    let reaction = RecordedReaction {
        id: talk.new_reaction_id(),
        target,
        author: writer,
        content: content.to_string(),
        repo_id,
        created_at: now_epoch(),
    };
    talk.reactions.push(reaction.clone());
    (reaction, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(patch: &str) -> FileDiff {
        let (filename, status, blob_sha) = ("a.txt".to_string(), "modified", String::new());
        FileDiff {
            filename,
            previous_filename: None,
            status,
            blob_sha,
            additions: 0,
            deletions: 0,
            patch: Some(patch.into()),
        }
    }

    fn place(line: u64, start_line: Option<u64>) -> Place {
        Place { path: "a.txt".into(), line, side: "RIGHT".into(), start_line, start_side: None }
    }

    #[test]
    fn a_range_must_stay_in_one_hunk() {
        let files = [file("@@ -1,2 +1,2 @@\n a\n-b\n+B\n@@ -20,2 +20,2 @@\n t\n-u\n+U")];
        assert_eq!(locate(&files, &place(2, Some(1))).map(|a| a.position), Ok(3));
        assert_eq!(locate(&files, &place(21, Some(2))), Err(START_NOT_IN_HUNK));
        assert_eq!(locate(&files, &place(5, None)), Err(LINE_NOT_IN_DIFF));
        assert_eq!(locate(&files, &Place { path: "b.txt".into(), ..place(1, None) }), Err(PATH_NOT_IN_DIFF));
    }
}
