//! The agent's tools for answering on a GitHub pull request: the arguments the sandbox's MCP
//! server accepts and forwards, and the control plane checks and posts with the App's token.
//!
//! Invariant: these are the agent's words only; where they go (which pull request, which
//! comment) is the session's, never an argument, so the agent cannot post elsewhere.

use serde::{Deserialize, Serialize};

/// The tool that submits the agent's review of the session's pull request.
pub const SUBMIT_REVIEW_TOOL: &str = "submit_review";
/// The tool that answers the comment the agent was asked in.
pub const REPLY_COMMENT_TOOL: &str = "reply_comment";

/// What the review does, as GitHub names it (`event` of `pulls/create-review`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewAction {
    Comment,
    RequestChanges,
    Approve,
}

impl ReviewAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::Comment => "COMMENT",
            ReviewAction::RequestChanges => "REQUEST_CHANGES",
            ReviewAction::Approve => "APPROVE",
        }
    }
}

/// Which side of the diff a line is on: `LEFT` the base (removed lines), `RIGHT` the head
/// (added lines; context lines are on both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiffSide {
    Left,
    Right,
}

impl DiffSide {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffSide::Left => "LEFT",
            DiffSide::Right => "RIGHT",
        }
    }
}

/// `submit_review`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitReview {
    /// The review's body (markdown).
    pub summary: String,
    pub event: ReviewAction,
    /// Comments on lines of the diff.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<InlineComment>,
}

/// A comment on one line (or, with `start_line`, a range of lines) of a file in the diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineComment {
    /// The file's path in the head (`filename` of the pull request's files).
    pub path: String,
    /// The (last) line commented on, in the file on `side`.
    pub line: u64,
    /// Default `RIGHT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<DiffSide>,
    /// The first line of a range, on the same side and in the same hunk as `line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u64>,
    pub body: String,
}

/// `reply_comment`'s arguments: the answer, posted where the agent was asked (a reply in the
/// review comment's thread, or a comment on the pull request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyComment {
    pub body: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn submit_review_arguments() {
        let args: SubmitReview = serde_json::from_value(json!({
            "summary": "Looks good apart from one thing.",
            "event": "REQUEST_CHANGES",
            "comments": [
                {"path": "src/lib.rs", "line": 12, "body": "off by one"},
                {"path": "src/lib.rs", "line": 30, "side": "LEFT", "start_line": 28, "body": "why remove this?"}
            ]
        }))
        .unwrap();
        assert_eq!(args.event, ReviewAction::RequestChanges);
        assert_eq!(args.comments[0].side, None);
        assert_eq!((args.comments[1].side, args.comments[1].start_line), (Some(DiffSide::Left), Some(28)));
        // It writes back what it read; comments may be left out.
        assert_eq!(serde_json::from_value::<SubmitReview>(serde_json::to_value(&args).unwrap()).unwrap(), args);
        let bare: SubmitReview = serde_json::from_value(json!({"summary": "ok", "event": "COMMENT"})).unwrap();
        assert!(bare.comments.is_empty());
    }

    #[test]
    fn unknown_or_misspelt_arguments_are_refused() {
        let refused = [
            json!({"summary": "x", "event": "approve"}),
            json!({"summary": "x", "event": "PENDING"}),
            json!({"summary": "x", "event": "COMMENT", "pull_number": 3}),
            json!({"summary": "x", "event": "COMMENT", "comments": [{"path": "a", "line": 1, "body": "b", "position": 1}]}),
            json!({"summary": "x", "event": "COMMENT", "comments": [{"path": "a", "line": -1, "body": "b"}]}),
            json!({"event": "COMMENT"}),
            json!({"body": "hi", "comment_id": 5}),
        ];
        for args in &refused[..6] {
            assert!(serde_json::from_value::<SubmitReview>(args.clone()).is_err(), "{args}");
        }
        assert!(serde_json::from_value::<ReplyComment>(refused[6].clone()).is_err());
        assert_eq!(serde_json::from_value::<ReplyComment>(json!({"body": "hi"})).unwrap().body, "hi");
    }

    #[test]
    fn names_are_githubs() {
        for (action, name) in [
            (ReviewAction::Comment, "COMMENT"),
            (ReviewAction::RequestChanges, "REQUEST_CHANGES"),
            (ReviewAction::Approve, "APPROVE"),
        ] {
            assert_eq!(action.as_str(), name);
            assert_eq!(serde_json::to_value(action).unwrap(), json!(name));
        }
        assert_eq!((DiffSide::Left.as_str(), DiffSide::Right.as_str()), ("LEFT", "RIGHT"));
        assert_eq!(serde_json::to_value(DiffSide::Right).unwrap(), json!("RIGHT"));
    }
}
