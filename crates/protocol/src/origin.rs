//! Where a session came from, and what its origin is told about it afterwards.
//!
//! Every session records its origin: the web page, the REST API, or an integration that started
//! it without a person at the keyboard (an automation, Slack, GitHub, Linear). An integration's
//! origin carries its own reference (the automation run, the Slack thread, the pull request,
//! the Linear issue) so the session page links back and the origin can be told what happened
//! ([`OriginNotice`]).

use serde::{Deserialize, Serialize};

/// The kinds of origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OriginKind {
    /// A person on the web page (a session cookie).
    #[default]
    Web,
    /// A program with a bearer token.
    Api,
    /// An automation run (schedule, webhook or Sentry).
    Automation,
    Slack,
    Github,
    Linear,
}

impl OriginKind {
    pub const ALL: [OriginKind; 6] = [
        OriginKind::Web,
        OriginKind::Api,
        OriginKind::Automation,
        OriginKind::Slack,
        OriginKind::Github,
        OriginKind::Linear,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OriginKind::Web => "web",
            OriginKind::Api => "api",
            OriginKind::Automation => "automation",
            OriginKind::Slack => "slack",
            OriginKind::Github => "github",
            OriginKind::Linear => "linear",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether sessions of this origin are started by an integration (and its origin is told
    /// what happened).
    pub fn is_integration(self) -> bool {
        !matches!(self, OriginKind::Web | OriginKind::Api)
    }
}

/// A session's origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SessionOrigin {
    pub kind: OriginKind,
    /// The origin's own reference: the automation and its run (`aut_…/run_…`), the Slack
    /// thread (`C0123/1700000000.000100`), the pull request (`owner/name#12`), the Linear issue
    /// (`ENG-42`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// What the reference is called, for people (the automation's name, `#general`, the
    /// issue's title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Where it is: a path of this deployment (`/automations/aut_…`) or the vendor's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl SessionOrigin {
    /// An origin without a reference.
    pub fn of(kind: OriginKind) -> Self {
        Self { kind, ..Self::default() }
    }
}

/// What an origin is told about its session. Delivered at least once: `id` is stable across
/// attempts, so a receiver drops one it has seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginNotice {
    /// `ntc_<session>_<n>`: unique per notice, the same on every attempt.
    pub id: String,
    pub session_id: String,
    pub origin: SessionOrigin,
    /// Milliseconds since the Unix epoch, when it happened.
    pub at: i64,
    #[serde(flatten)]
    pub event: NoticeEvent,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum NoticeEvent {
    /// A prompt ran to its end.
    PromptFinished {
        prompt_id: String,
        /// The agent's last message (or what it said it did), cut to 4,000 characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        /// The branch the work was pushed to, if anything was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<String>,
        /// How many files that push changed (0 when nothing was pushed).
        #[serde(default, skip_serializing_if = "is_zero")]
        files_changed: u32,
        /// The session's pull request, if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pull_request_url: Option<String>,
    },
    /// A prompt failed or was stopped.
    PromptFailed { prompt_id: String, reason: String },
    /// A prompt is working: its last few tool actions (at most one such notice every 15
    /// seconds; sent to Slack threads, where the status message shows them, and Linear agent
    /// sessions, as `action` activities).
    PromptWorking { prompt_id: String, recent_actions: Vec<String> },
    /// The session's pull request was opened.
    PullRequestOpened { url: String, number: u64 },
    /// The session's pull request was merged.
    PullRequestMerged { url: String, number: u64 },
    /// The agent posted to where the session was started (`OriginPost`), as checked by the
    /// control plane; the receiver still makes it safe for its medium.
    AgentPosted { text: String },
}

/// What the agent posts to its session's origin (`POST /api/sessions/:id/sandbox/origin`, with
/// the sandbox token), named by the tool that posts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "tool", rename_all = "snake_case", deny_unknown_fields)]
pub enum OriginPost {
    /// A message in the Slack thread the session was started from: at most
    /// [`MAX_AGENT_POST_CHARS`] characters; broadcast mentions and links are not honoured.
    SlackNotify { text: String },
    /// The agent's review of the pull request its session answers on (a GitHub origin).
    SubmitReview(crate::review::SubmitReview),
    /// The agent's answer to the comment its session was asked in (a GitHub origin).
    ReplyComment(crate::review::ReplyComment),
}

/// The answer to an accepted [`OriginPost`]: for a Slack post (202) the notice that carries
/// it; for a GitHub review or reply (201), where it was posted and what the agent should know
/// (comments moved into the review's body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginPostAccepted {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The longest text the agent may post to its origin.
pub const MAX_AGENT_POST_CHARS: usize = 3_000;
/// How many posts the agent may make to its origin in one session.
pub const MAX_AGENT_POSTS: usize = 20;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_posts_are_named_by_their_tool() {
        let review: OriginPost = serde_json::from_value(serde_json::json!({
            "tool": "submit_review", "summary": "One thing.", "event": "COMMENT",
            "comments": [{"path": "a.rs", "line": 3, "body": "here"}]
        }))
        .unwrap();
        assert!(matches!(&review, OriginPost::SubmitReview(r) if r.comments.len() == 1));
        let reply: OriginPost =
            serde_json::from_value(serde_json::json!({"tool": "reply_comment", "body": "Done."})).unwrap();
        assert_eq!(
            serde_json::to_value(&reply).unwrap(),
            serde_json::json!({"tool": "reply_comment", "body": "Done."})
        );
        for bad in [
            serde_json::json!({"tool": "reply_comment", "body": "x", "to": 5}),
            serde_json::json!({"tool": "submit_review", "summary": "x", "event": "MERGE"}),
            serde_json::json!({"tool": "delete_repo"}),
        ] {
            assert!(serde_json::from_value::<OriginPost>(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for kind in OriginKind::ALL {
            assert_eq!(OriginKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(OriginKind::parse("email"), None);
        assert!(!OriginKind::Web.is_integration() && OriginKind::Slack.is_integration());
    }
}
