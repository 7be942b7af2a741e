//! `submit_review`'s arguments as GitHub's create-review request
//! (`POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews`, operation `pulls/create-review`).
//!
//! Invariant: what is posted fits GitHub's schema and limits, and GitHub would not refuse it
//! for its lines: inline comments are only on lines of the diff (one that is not is moved into
//! the body, under its `path:line`, and the agent is told); a review never approves a pull
//! request that the App or the person who asked opened.

use oi_protocol::review::{DiffSide, ReviewAction, SubmitReview};
use serde::Serialize;

use super::diff::CommentableLines;
use super::AppIdentity;

/// The longest summary the agent may submit.
pub const MAX_SUMMARY_CHARS: usize = 20_000;
/// The most inline comments in one review.
pub const MAX_INLINE_COMMENTS: usize = 50;
/// The longest inline comment.
pub const MAX_INLINE_COMMENT_CHARS: usize = 4_000;
/// The longest body GitHub takes (a review's, a comment's).
pub const GITHUB_MAX_BODY_CHARS: usize = 65_536;

/// The request body of `pulls/create-review`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateReview {
    /// The head the diff was read at.
    pub commit_id: String,
    pub body: String,
    pub event: ReviewAction,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<DraftReviewComment>,
}

/// One of `comments[]`: a line (or range) of a file, by its line number on one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftReviewComment {
    pub path: String,
    pub line: u64,
    pub side: DiffSide,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_side: Option<DiffSide>,
    pub body: String,
}

/// What the review is checked against.
#[derive(Debug, Clone, Copy)]
pub struct ReviewContext<'a> {
    /// The pull request's head when `lines` were read.
    pub head_sha: &'a str,
    /// The pull request's author's login.
    pub pr_author: &'a str,
    /// Who asked for the review (or the mention).
    pub requested_by: &'a str,
    pub app: &'a AppIdentity,
    pub lines: &'a CommentableLines,
}

/// A review ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedReview {
    pub request: CreateReview,
    /// `path:line` of each comment moved into the body (not on a line of the diff).
    pub moved: Vec<String>,
}

impl PreparedReview {
    /// What the agent is told about the comments moved into the body, if any.
    pub fn moved_note(&self) -> Option<String> {
        (!self.moved.is_empty()).then(|| {
            format!(
                "These comments were not on lines of the diff, so they were added to the review's body instead: {}",
                self.moved.join(", ")
            )
        })
    }
}

/// Where a review of pull request `pr` of `repository` (`owner/name`) is posted.
pub fn review_path(repository: &str, pr: u64) -> String {
    format!("/repos/{repository}/pulls/{pr}/reviews")
}

/// Whether an `APPROVE` is allowed: not on the App's own pull request, and not for the person
/// who opened it (nobody gets their own change approved by asking).
pub fn may_approve(pr_author: &str, requested_by: &str, app: &AppIdentity) -> bool {
    !app.is_app(pr_author) && !pr_author.trim().eq_ignore_ascii_case(requested_by.trim())
}

/// Checks `args` and builds the request. A refusal says what to change, for the agent to call
/// the tool again.
pub fn prepare_review(args: &SubmitReview, context: &ReviewContext<'_>) -> Result<PreparedReview, String> {
    let summary = args.summary.trim();
    if summary.chars().count() > MAX_SUMMARY_CHARS {
        return Err(format!("`summary` is longer than {MAX_SUMMARY_CHARS} characters; shorten it"));
    }
    if summary.is_empty() && args.event != ReviewAction::Approve {
        return Err(format!("`summary` is empty; a {} review needs one", args.event.as_str()));
    }
    if args.event == ReviewAction::Approve && !may_approve(context.pr_author, context.requested_by, context.app) {
        return Err(
            "`APPROVE` is not allowed on this pull request (it was opened by the App or by the person who asked); use `COMMENT` or `REQUEST_CHANGES`"
                .into(),
        );
    }
    if args.comments.len() > MAX_INLINE_COMMENTS {
        return Err(format!(
            "{} inline comments; at most {MAX_INLINE_COMMENTS}: merge some, or put them in the summary",
            args.comments.len()
        ));
    }
    let mut comments = Vec::new();
    let mut moved = Vec::new();
    for (i, comment) in args.comments.iter().enumerate() {
        let path = comment.path.trim();
        let body = comment.body.trim();
        if path.is_empty() || body.is_empty() {
            return Err(format!("`comments[{i}]` needs a `path` and a `body`"));
        }
        if body.chars().count() > MAX_INLINE_COMMENT_CHARS {
            return Err(format!("`comments[{i}].body` is longer than {MAX_INLINE_COMMENT_CHARS} characters"));
        }
        if comment.line == 0 {
            return Err(format!("`comments[{i}].line` must be 1 or more"));
        }
        let start_line = comment.start_line.filter(|start| *start != comment.line);
        if start_line.is_some_and(|start| start > comment.line) {
            return Err(format!("`comments[{i}].start_line` must come before `line` {}", comment.line));
        }
        let side = comment.side.unwrap_or(DiffSide::Right);
        if !context.lines.contains(path, side, start_line, comment.line) {
            let lines = start_line.map_or(comment.line.to_string(), |s| format!("{s}-{}", comment.line));
            moved.push((format!("{path}:{lines}"), body.to_string()));
            continue;
        }
        comments.push(DraftReviewComment {
            path: path.to_string(),
            line: comment.line,
            side,
            start_line,
            start_side: start_line.map(|_| side),
            body: body.to_string(),
        });
    }
    Ok(PreparedReview {
        request: CreateReview {
            commit_id: context.head_sha.to_string(),
            body: with_moved(summary, &moved),
            event: args.event,
            comments,
        },
        moved: moved.into_iter().map(|(place, _)| place).collect(),
    })
}

/// The summary, then the moved comments under their `path:line`, within GitHub's limit.
fn with_moved(summary: &str, moved: &[(String, String)]) -> String {
    if moved.is_empty() {
        return summary.to_string();
    }
    let mut body = format!("{summary}\n\n---\n\nComments on lines outside the diff:");
    for (i, (place, text)) in moved.iter().enumerate() {
        let entry = format!("\n\n**{place}**\n\n{text}");
        let left_out = format!("\n\n_{} more comments left out._", moved.len() - i);
        if body.chars().count() + entry.chars().count() + left_out.chars().count() > GITHUB_MAX_BODY_CHARS {
            body.push_str(&left_out);
            break;
        }
        body.push_str(&entry);
    }
    body
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
