//! Builders for the agent events a bridge sends, for control-plane tests.

use oi_protocol::bridge::AgentEvent;
use oi_protocol::events::{PromptFinished, PromptOutcome, StepFinished, TextDelta, TokenUsage, ToolCall, ToolStatus};
use serde_json::json;

pub fn delta(message_id: &str, part_id: &str, text: &str) -> AgentEvent {
    AgentEvent::TextDelta(TextDelta { message_id: message_id.into(), part_id: part_id.into(), delta: text.into() })
}

pub fn bash(message_id: &str, part_id: &str, status: ToolStatus) -> AgentEvent {
    AgentEvent::ToolCall(ToolCall {
        message_id: message_id.into(),
        part_id: part_id.into(),
        tool: "bash".into(),
        status,
        input: json!({"command": "echo hi > hello.txt", "description": "write hello.txt"}),
        output: matches!(status, ToolStatus::Completed).then(|| "(no output)".into()),
        error: None,
        title: Some("write hello.txt".into()),
        started_at: None,
        ended_at: None,
        started_seq: None,
    })
}

pub fn step(message_id: &str) -> AgentEvent {
    AgentEvent::StepFinished(StepFinished {
        message_id: message_id.into(),
        tokens: TokenUsage { input: 102, output: 7, ..Default::default() },
        cost: 0.0001,
        reason: Some("stop".into()),
    })
}

pub fn finished(message_id: &str, outcome: PromptOutcome) -> AgentEvent {
    AgentEvent::PromptFinished(PromptFinished { message_id: message_id.into(), outcome, error: None })
}

/// A typical answer: text, a bash call through its states, more text, a step, the end.
pub fn typical_answer(message_id: &str) -> Vec<AgentEvent> {
    let mut events = vec![];
    for word in ["I'll ", "create ", "the ", "file."] {
        events.push(delta(message_id, "prt_a", word));
    }
    events.push(bash(message_id, "prt_b", ToolStatus::Pending));
    events.push(bash(message_id, "prt_b", ToolStatus::Running));
    events.push(bash(message_id, "prt_b", ToolStatus::Completed));
    for word in ["Done: ", "hello.txt ", "exists."] {
        events.push(delta(message_id, "prt_c", word));
    }
    events.push(step(message_id));
    events.push(finished(message_id, PromptOutcome::Completed));
    events
}
