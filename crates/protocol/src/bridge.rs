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
    Event { id: u64, event: AgentEvent },
    /// Liveness, every 30 s.
    Heartbeat,
}

impl BridgeMessage {
    pub const TYPES: &'static [&'static str] = &["hello", "event", "heartbeat"];

    pub fn kind(&self) -> &'static str {
        match self {
            BridgeMessage::Hello { .. } => "hello",
            BridgeMessage::Event { .. } => "event",
            BridgeMessage::Heartbeat => "heartbeat",
        }
    }
}

/// What the agent did; each becomes one session event (see [`crate::events`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// The sandbox has booted and its agent is healthy.
    Ready,
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
            AgentEvent::Ready => "ready",
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
    /// Run a prompt. `message_id` ties every event of the run to it.
    /// `attribution` names the commit's author and co-authors (absent: `author` as is).
    Prompt {
        message_id: String,
        text: String,
        author: User,
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attribution: Option<Box<CommitAttribution>>,
    },
    /// Abort the running prompt; answer with `prompt_finished` (outcome `stopped`).
    Stop { message_id: String },
    /// A frame from the bridge was refused.
    Error { error: ApiError },
}

impl BridgeCommand {
    pub const TYPES: &'static [&'static str] = &["welcome", "ack", "prompt", "stop", "error"];

    pub fn kind(&self) -> &'static str {
        match self {
            BridgeCommand::Welcome { .. } => "welcome",
            BridgeCommand::Ack { .. } => "ack",
            BridgeCommand::Prompt { .. } => "prompt",
            BridgeCommand::Stop { .. } => "stop",
            BridgeCommand::Error { .. } => "error",
        }
    }
}
