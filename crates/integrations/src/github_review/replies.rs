//! Answers where the App was asked: a comment on the pull request's conversation
//! (`issues/create-comment`), or a reply in a review comment's thread
//! (`pulls/create-reply-for-review-comment`); both take `{"body"}`. Also the notice when the
//! work is done or failed, with a link to the session.
//!
//! Invariant: the target comes from the trigger, never from the agent; a body is never empty
//! and never longer than GitHub takes ([`GITHUB_MAX_BODY_CHARS`]).

use oi_protocol::review::ReplyComment;
use serde::Serialize;

use super::review::GITHUB_MAX_BODY_CHARS;
use super::triggers::{CommentKind, Trigger, TriggerKind};
use crate::cut_chars;

/// The longest answer the agent may post.
pub const MAX_REPLY_CHARS: usize = 20_000;
/// The most of a failure's reason a completion notice carries.
pub const MAX_FAILURE_CHARS: usize = 1_000;

/// Where an answer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyTarget {
    /// A new comment on the pull request's conversation, mentioning who asked.
    Conversation { pr: u64 },
    /// A reply in a review comment's thread (GitHub takes replies to a thread's first comment).
    Thread { pr: u64, comment_id: u64 },
}

impl ReplyTarget {
    /// Where a trigger's answers go: a mention's comment (its thread, for a review comment);
    /// a review's notices go on the conversation.
    pub fn of(trigger: &Trigger) -> ReplyTarget {
        match &trigger.kind {
            TriggerKind::Mention { comment_id, comment_kind: CommentKind::Review, location, .. } => {
                let first = location.as_ref().and_then(|l| l.in_reply_to_id).unwrap_or(*comment_id);
                ReplyTarget::Thread { pr: trigger.pr, comment_id: first }
            }
            _ => ReplyTarget::Conversation { pr: trigger.pr },
        }
    }

    /// The API path to post to, for `repository` (`owner/name`).
    pub fn path(&self, repository: &str) -> String {
        match self {
            ReplyTarget::Conversation { pr } => format!("/repos/{repository}/issues/{pr}/comments"),
            ReplyTarget::Thread { pr, comment_id } => {
                format!("/repos/{repository}/pulls/{pr}/comments/{comment_id}/replies")
            }
        }
    }
}

/// The request body of both endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentBody {
    pub body: String,
}

/// `text` for `target`: on the conversation it starts by mentioning `asker`, so they hear of it.
fn addressed(target: ReplyTarget, asker: &str, text: &str) -> CommentBody {
    let body = match target {
        ReplyTarget::Conversation { .. } if !asker.trim().is_empty() => format!("@{} {text}", asker.trim()),
        _ => text.to_string(),
    };
    CommentBody { body: cut_chars(&body, GITHUB_MAX_BODY_CHARS).to_string() }
}

/// `reply_comment`'s answer for `target`; refused when empty or longer than
/// [`MAX_REPLY_CHARS`] (for the agent to call the tool again).
pub fn reply_body(args: &ReplyComment, target: ReplyTarget, asker: &str) -> Result<CommentBody, String> {
    let text = args.body.trim();
    if text.is_empty() {
        return Err("`body` is empty".into());
    }
    if text.chars().count() > MAX_REPLY_CHARS {
        return Err(format!("`body` is longer than {MAX_REPLY_CHARS} characters; shorten it"));
    }
    Ok(addressed(target, asker, text))
}

/// How the work ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// Finished; `pushed` when it pushed commits to the head branch.
    Done {
        pushed: bool,
    },
    Failed {
        reason: String,
    },
}

/// The notice posted when the work ends, with a link to the session.
pub fn completion_body(completion: &Completion, session_url: &str, target: ReplyTarget, asker: &str) -> CommentBody {
    let link = format!("[the session]({session_url})");
    let text = match completion {
        Completion::Done { pushed: true } => {
            format!("Done: I pushed the changes to this pull request's branch. See {link}.")
        }
        Completion::Done { pushed: false } => format!("Done. See {link}."),
        Completion::Failed { reason } => {
            let reason = cut_chars(reason.trim(), MAX_FAILURE_CHARS);
            let reason =
                if reason.is_empty() { "it stopped without saying why".to_string() } else { reason.replace('\n', " ") };
            format!("I could not finish: {reason}. See {link}.")
        }
    };
    addressed(target, asker, &text)
}

#[cfg(test)]
#[path = "replies_tests.rs"]
mod tests;
