//! Whether the agent's post to a Slack thread (its `slack_notify` tool, an
//! `OriginPost::SlackNotify`) is taken, and the notice that carries it. Reviews and replies on
//! a pull request are posted at once by the control plane, not kept, so they do not come here.
//!
//! Invariant: a post is taken only from a session of the post's origin kind, only when that
//! integration lets the agent post, at most [`MAX_AGENT_POSTS`] times per session, with text
//! that is not blank and at most [`MAX_AGENT_POST_CHARS`] characters; anything else is refused
//! with the reason, and nothing is kept.

use oi_protocol::origin::{NoticeEvent, OriginKind, MAX_AGENT_POSTS, MAX_AGENT_POST_CHARS};
use oi_protocol::ErrorCode;

use crate::inbound::Refusal;

/// What the control plane knows when a post arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostContext {
    /// Where the session was started.
    pub origin: OriginKind,
    /// The integration is on and its settings let the agent post.
    pub integration_allows: bool,
    /// Posts the agent made in this session so far.
    pub posts_so_far: usize,
}

/// The notice a Slack post of `text` becomes, or why it is refused.
pub fn check_slack_post(text: &str, context: PostContext) -> Result<NoticeEvent, Refusal> {
    let kind = OriginKind::Slack;
    if context.origin != kind {
        return Err(Refusal::new(ErrorCode::Conflict, format!("this session was not started from {}", place(kind))));
    }
    if !context.integration_allows {
        return Err(Refusal::new(
            ErrorCode::Forbidden,
            format!("the agent may not post to {}: an admin can allow it in Settings → Integrations", place(kind)),
        ));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::new(ErrorCode::InvalidRequest, "text: the message is empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_AGENT_POST_CHARS {
        return Err(Refusal::new(
            ErrorCode::InvalidRequest,
            format!("text: {chars} characters; at most {MAX_AGENT_POST_CHARS}"),
        ));
    }
    if context.posts_so_far >= MAX_AGENT_POSTS {
        return Err(Refusal::new(
            ErrorCode::QuotaExceeded,
            format!("the agent has posted {MAX_AGENT_POSTS} times in this session, the most it may"),
        ));
    }
    Ok(NoticeEvent::AgentPosted { text: text.to_string() })
}

fn place(kind: OriginKind) -> &'static str {
    match kind {
        OriginKind::Slack => "a Slack thread",
        _ => "this integration",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slack(text: &str) -> String {
        text.to_string()
    }

    #[test]
    fn posts_are_taken_only_where_allowed_and_within_limits() {
        let ok = PostContext { origin: OriginKind::Slack, integration_allows: true, posts_so_far: 0 };
        let long = "x".repeat(MAX_AGENT_POST_CHARS + 1);
        let longest = "é".repeat(MAX_AGENT_POST_CHARS);
        let cases: Vec<(&str, String, PostContext, Result<&str, ErrorCode>)> = vec![
            ("a post in a Slack session", slack("  Halfway there.\n"), ok, Ok("Halfway there.")),
            ("the longest post, in characters", slack(&longest), ok, Ok(&longest)),
            ("a web session", slack("hi"), PostContext { origin: OriginKind::Web, ..ok }, Err(ErrorCode::Conflict)),
            (
                "an automation's session",
                slack("hi"),
                PostContext { origin: OriginKind::Automation, ..ok },
                Err(ErrorCode::Conflict),
            ),
            ("posting is off", slack("hi"), PostContext { integration_allows: false, ..ok }, Err(ErrorCode::Forbidden)),
            ("blank", slack(" \n\t"), ok, Err(ErrorCode::InvalidRequest)),
            ("too long", slack(&long), ok, Err(ErrorCode::InvalidRequest)),
            ("the last post allowed", slack("hi"), PostContext { posts_so_far: MAX_AGENT_POSTS - 1, ..ok }, Ok("hi")),
            (
                "one post too many",
                slack("hi"),
                PostContext { posts_so_far: MAX_AGENT_POSTS, ..ok },
                Err(ErrorCode::QuotaExceeded),
            ),
        ];
        for (name, post, context, want) in cases {
            match (check_slack_post(&post, context), want) {
                (Ok(NoticeEvent::AgentPosted { text }), Ok(expected)) => assert_eq!(text, expected, "{name}"),
                (Err(refusal), Err(code)) => {
                    assert_eq!(refusal.code, code, "{name}: {refusal}");
                    assert!(!refusal.reason.is_empty(), "{name}");
                }
                (got, _) => panic!("{name}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn refusals_name_the_problem() {
        let ok = PostContext { origin: OriginKind::Slack, integration_allows: true, posts_so_far: 0 };
        let off = check_slack_post(&slack("hi"), PostContext { integration_allows: false, ..ok }).unwrap_err();
        assert!(off.reason.contains("Settings → Integrations"), "{off}");
        let web = check_slack_post(&slack("hi"), PostContext { origin: OriginKind::Web, ..ok }).unwrap_err();
        assert!(web.reason.contains("Slack thread"), "{web}");
        let long = check_slack_post(&slack(&"x".repeat(3_001)), ok).unwrap_err();
        assert!(long.reason.contains("3001 characters"), "{long}");
    }
}
