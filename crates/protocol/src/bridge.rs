//! Messages between the sandbox bridge and a session's Durable Object over
//! `GET /api/sessions/:id/sandbox` (header `Authorization: Bearer <sandbox token>`).
//!
//! Delivery is exactly-once into the log: the bridge numbers its events (`id`, strictly
//! increasing per sandbox), keeps them until the Durable Object acknowledges them cumulatively,
//! and re-sends the unacknowledged ones after a reconnect. The Durable Object records an event
//! only if its id is above the highest id it has acknowledged, so re-sends are dropped.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::events::{AgentError, Commit, LogLine, Notice, PromptFinished, Retry, StepFinished, TextDelta, ToolCall};
use crate::session::User;
use crate::source_control::CommitAttribution;

/// Bridge → Durable Object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BridgeMessage {
    /// First frame on every connection. The reply is `welcome`.
    Hello {
        sandbox_id: String,
        /// Free-form runtime version (supervisor and agent), recorded with the sandbox.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runtime: Option<String>,
    },
    /// One numbered agent event.
    Event(NumberedEvent),
    /// A burst of numbered agent events, ids increasing: recorded together and acknowledged
    /// once (the bridge sends what has queued up while the previous frame was on its way).
    Events { events: Vec<NumberedEvent> },
    /// Liveness, every 30 s.
    Heartbeat,
    /// A preview's status line and headers (`crate::preview`); not numbered.
    PreviewHead(crate::preview::PreviewHead),
    /// A piece of a preview's body; not numbered.
    PreviewBody(crate::preview::PreviewBody),
}

/// An agent event with the bridge's number for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberedEvent {
    pub id: u64,
    pub event: AgentEvent,
}

impl BridgeMessage {
    pub const TYPES: &'static [&'static str] =
        &["hello", "event", "events", "heartbeat", "preview_head", "preview_body"];

    pub fn kind(&self) -> &'static str {
        match self {
            BridgeMessage::Hello { .. } => "hello",
            BridgeMessage::Event(_) => "event",
            BridgeMessage::Events { .. } => "events",
            BridgeMessage::Heartbeat => "heartbeat",
            BridgeMessage::PreviewHead(_) => "preview_head",
            BridgeMessage::PreviewBody(_) => "preview_body",
        }
    }
}

/// Close code sent to a bridge replaced by a newer connection or sandbox: this sandbox is over.
pub const CLOSE_REPLACED: u16 = 4409;
/// Close code sent to a bridge whose session was deleted: shut the sandbox down.
pub const CLOSE_SESSION_DELETED: u16 = 4410;

/// What the agent did; each becomes one session event (see [`crate::events`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// The sandbox has booted and its agent is healthy. `preview_ports` are the ports the
    /// repository lists for previews (`.openinspect/config.json`).
    Ready {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        preview_ports: Vec<u16>,
    },
    TextDelta(TextDelta),
    ToolCall(ToolCall),
    StepFinished(StepFinished),
    Retry(Retry),
    AgentError(AgentError),
    /// The prompt is over. The Durable Object then dispatches the next one.
    PromptFinished(PromptFinished),
    Log(LogLine),
    Notice(Notice),
    /// The prompt's work was committed (and pushed). Sent before `prompt_finished`.
    Commit(Commit),
    /// Boot failed; the sandbox is going away.
    BootFailed {
        message: String,
    },
}

impl AgentEvent {
    pub const TYPES: &'static [&'static str] = &[
        "ready",
        "text_delta",
        "tool_call",
        "step_finished",
        "retry",
        "agent_error",
        "prompt_finished",
        "log",
        "notice",
        "commit",
        "boot_failed",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            AgentEvent::Ready { .. } => "ready",
            AgentEvent::TextDelta(_) => "text_delta",
            AgentEvent::ToolCall(_) => "tool_call",
            AgentEvent::StepFinished(_) => "step_finished",
            AgentEvent::Retry(_) => "retry",
            AgentEvent::AgentError(_) => "agent_error",
            AgentEvent::PromptFinished(_) => "prompt_finished",
            AgentEvent::Log(_) => "log",
            AgentEvent::Notice(_) => "notice",
            AgentEvent::Commit(_) => "commit",
            AgentEvent::BootFailed { .. } => "boot_failed",
        }
    }
}

/// Durable Object → bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BridgeCommand {
    /// Reply to `hello`: re-send every event with an id above `acked_through`.
    Welcome { acked_through: u64 },
    /// Every event up to and including `through` is recorded.
    Ack { through: u64 },
    /// Run a prompt.
    Prompt(PromptCommand),
    /// Abort the running prompt; answer with `prompt_finished` (outcome `stopped`).
    Stop { message_id: String },
    /// A frame from the bridge was refused.
    Error { error: ApiError },
    /// Send a viewer's request to the app on a listed port (`crate::preview`); answered with
    /// `preview_head` and `preview_body` frames.
    Preview(crate::preview::PreviewRequest),
}

/// A prompt for the sandbox to run. `message_id` ties every event of the run to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptCommand {
    pub message_id: String,
    pub text: String,
    /// Who asked.
    pub author: User,
    /// `provider/model`.
    pub model: String,
    /// The commit's author and co-authors (absent: `author` as is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Box<CommitAttribution>>,
    /// Images attached to the prompt; the supervisor reads each from its sandbox route
    /// `GET /api/sessions/:id/sandbox/media/:media_id` and hands it to the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::media::MediaInfo>,
}

impl BridgeCommand {
    pub const TYPES: &'static [&'static str] = &["welcome", "ack", "prompt", "stop", "error", "preview"];

    pub fn kind(&self) -> &'static str {
        match self {
            BridgeCommand::Welcome { .. } => "welcome",
            BridgeCommand::Ack { .. } => "ack",
            BridgeCommand::Prompt(_) => "prompt",
            BridgeCommand::Stop { .. } => "stop",
            BridgeCommand::Error { .. } => "error",
            BridgeCommand::Preview(_) => "preview",
        }
    }
}

/// The agent events that are log entries as they are; `ready` and `boot_failed` are about the
/// sandbox and come back as the error, for the Durable Object to act on.
impl TryFrom<AgentEvent> for crate::events::EventBody {
    type Error = AgentEvent;

    fn try_from(event: AgentEvent) -> Result<Self, AgentEvent> {
        use crate::events::EventBody;
        Ok(match event {
            AgentEvent::TextDelta(e) => EventBody::TextDelta(e),
            AgentEvent::ToolCall(e) => EventBody::ToolCall(e),
            AgentEvent::StepFinished(e) => EventBody::StepFinished(e),
            AgentEvent::Retry(e) => EventBody::Retry(e),
            AgentEvent::AgentError(e) => EventBody::AgentError(e),
            AgentEvent::PromptFinished(e) => EventBody::PromptFinished(e),
            AgentEvent::Log(e) => EventBody::Log(e),
            AgentEvent::Notice(e) => EventBody::Notice(e),
            AgentEvent::Commit(e) => EventBody::Commit(e),
            other @ (AgentEvent::Ready { .. } | AgentEvent::BootFailed { .. }) => return Err(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventBody, Notice, NoticeLevel};

    #[test]
    fn agent_events_become_log_entries_of_the_same_type() {
        for (agent, kind) in [
            (AgentEvent::Notice(Notice { level: NoticeLevel::Info, message: "hi".into() }), Some("notice")),
            (AgentEvent::Ready { preview_ports: vec![] }, None),
            (AgentEvent::BootFailed { message: "no".into() }, None),
        ] {
            let agent_kind = agent.kind();
            match EventBody::try_from(agent) {
                Ok(body) => {
                    assert_eq!(Some(body.kind()), kind);
                    assert_eq!(body.kind(), agent_kind, "the same `type` on both surfaces");
                }
                Err(back) => assert_eq!((back.kind(), kind), (agent_kind, None)),
            }
        }
    }

    #[test]
    fn a_single_event_and_a_burst_share_the_numbered_shape() {
        let one = NumberedEvent { id: 7, event: AgentEvent::Ready { preview_ports: vec![] } };
        let single = serde_json::to_value(BridgeMessage::Event(one.clone())).unwrap();
        assert_eq!(single, serde_json::json!({"type": "event", "id": 7, "event": {"type": "ready"}}));
        let burst = serde_json::to_value(BridgeMessage::Events { events: vec![one] }).unwrap();
        assert_eq!(burst["events"][0], serde_json::json!({"id": 7, "event": {"type": "ready"}}));
    }
}
