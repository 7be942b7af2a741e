//! OpenCode's event stream → protocol agent events. Pure: feed it each `/event` frame's JSON
//! and it says what to send. One prompt runs at a time.
//!
//! - Text streams only as `message.part.delta` (OpenCode 1.18.33); a text part's final
//!   `message.part.updated` fills in anything the deltas missed.
//! - Tool calls come from `tool` parts (pending states without input are skipped; repeats are
//!   dropped), step tokens and cost from `step-finish` parts.
//! - Replies are ours when their `parentID` is the OpenCode message id we prompted with; parts
//!   that arrive before their message is known are held until it is.
//! - `session.status` `retry` → `retry`; `session.error` → `agent_error` (an abort is not an
//!   error); `session.idle` ends the prompt.
//! - Session-wide events (`session.status`, `session.error`, `session.idle`) count only once
//!   OpenCode has taken the prompt (its user message with our id): an aborted run's late second
//!   `session.idle` must not end the prompt started right after it.

use std::collections::{HashMap, HashSet};

use oi_protocol::bridge::AgentEvent;
use oi_protocol::events::{
    AgentError, PromptOutcome, Retry, StepFinished, TextDelta, TokenUsage, ToolCall, ToolStatus,
};
use serde_json::Value;

/// How a prompt's run ended, for the supervisor to commit and report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEnded {
    pub message_id: String,
    pub outcome: PromptOutcome,
    pub error: Option<String>,
}

/// What one OpenCode event turns into.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Event(AgentEvent),
    Ended(RunEnded),
}

#[derive(Debug)]
struct Active {
    message_id: String,
    opencode_message_id: String,
    replies: HashSet<String>,
    /// Frames for messages not yet known to be replies.
    held: Vec<Value>,
    texts: HashMap<String, String>,
    non_text_parts: HashSet<String>,
    /// The last (status, input, title, output, error) sent per tool part.
    tool_states: HashMap<String, Value>,
    last_retry: Option<u64>,
    error: Option<String>,
    stop_requested: bool,
    aborted: bool,
    /// OpenCode has taken the prompt: its user message (our OpenCode message id) was seen.
    taken: bool,
}

const MAX_HELD: usize = 2000;

/// Follows one OpenCode session.
#[derive(Debug)]
pub struct Translator {
    session_id: String,
    active: Option<Active>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str)
}

fn u64_at(v: &Value, path: &[&str]) -> u64 {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_u64).unwrap_or(0)
}

impl Translator {
    pub fn new(session_id: impl Into<String>) -> Self {
        Self { session_id: session_id.into(), active: None }
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The prompt being run, if any (our message id).
    pub fn active(&self) -> Option<&str> {
        self.active.as_ref().map(|a| a.message_id.as_str())
    }

    /// A prompt was sent with OpenCode message id `opencode_message_id`.
    pub fn start(&mut self, message_id: &str, opencode_message_id: &str) {
        self.active = Some(Active {
            message_id: message_id.into(),
            opencode_message_id: opencode_message_id.into(),
            replies: HashSet::new(),
            held: vec![],
            texts: HashMap::new(),
            non_text_parts: HashSet::new(),
            tool_states: HashMap::new(),
            last_retry: None,
            error: None,
            stop_requested: false,
            aborted: false,
            taken: false,
        });
    }

    /// Stop was asked for; the run's end will say `stopped`.
    pub fn stop_requested(&mut self) {
        if let Some(a) = &mut self.active {
            a.stop_requested = true;
        }
    }

    /// Ends the run without OpenCode (it died, or the prompt could not be sent).
    pub fn abandon(&mut self, error: String) -> Option<RunEnded> {
        let a = self.active.take()?;
        let outcome = if a.stop_requested { PromptOutcome::Stopped } else { PromptOutcome::Failed };
        Some(RunEnded { message_id: a.message_id, outcome, error: Some(error) })
    }

    /// Translates one `/event` frame (`{"id","type","properties"}`).
    pub fn on_event(&mut self, frame: &Value) -> Vec<Output> {
        let Some(active) = self.active.as_mut() else {
            return vec![];
        };
        let props = &frame["properties"];
        let session = props.get("sessionID").and_then(Value::as_str);
        if session.is_some_and(|s| s != self.session_id) {
            return vec![];
        }
        let mut out = vec![];
        let kind = frame["type"].as_str().unwrap_or_default();
        if kind.starts_with("session.") && !active.taken {
            return out; // The run before this one is still winding down.
        }
        match kind {
            "message.updated" => {
                let info = &props["info"];
                if info["role"] == "user" && str_at(info, &["id"]) == Some(active.opencode_message_id.as_str()) {
                    active.taken = true;
                }
                let is_reply = info["role"] == "assistant"
                    && str_at(info, &["parentID"]) == Some(active.opencode_message_id.as_str());
                if let (true, Some(id)) = (is_reply, str_at(info, &["id"])) {
                    if active.replies.insert(id.to_string()) {
                        let held = std::mem::take(&mut active.held);
                        for frame in held {
                            let message = message_of(&frame).unwrap_or_default().to_string();
                            if message == id {
                                out.extend(part_outputs(active, &frame));
                            } else {
                                active.held.push(frame);
                            }
                        }
                    }
                }
            }
            "message.part.updated" | "message.part.delta" => match message_of(frame) {
                Some(m) if active.replies.contains(m) => out.extend(part_outputs(active, frame)),
                Some(m) if m != active.opencode_message_id && active.held.len() < MAX_HELD => {
                    active.held.push(frame.clone())
                }
                _ => {}
            },
            "session.status" => {
                let status = &props["status"];
                if status["type"] == "retry" {
                    let attempt = u64_at(status, &["attempt"]);
                    if active.last_retry != Some(attempt) {
                        active.last_retry = Some(attempt);
                        out.push(Output::Event(AgentEvent::Retry(Retry {
                            message_id: active.message_id.clone(),
                            attempt: attempt as u32,
                            message: str_at(status, &["message"]).unwrap_or("retrying").to_string(),
                        })));
                    }
                }
            }
            "session.error" => {
                let error = &props["error"];
                let name = str_at(error, &["name"]).unwrap_or("Error");
                if name == "MessageAbortedError" {
                    active.aborted = true;
                } else {
                    let detail = str_at(error, &["data", "message"]).unwrap_or("");
                    let message = if detail.is_empty() { name.to_string() } else { format!("{name}: {detail}") };
                    active.error = Some(message.clone());
                    out.push(Output::Event(AgentEvent::AgentError(AgentError {
                        message_id: Some(active.message_id.clone()),
                        message,
                    })));
                }
            }
            "session.idle" => {
                let a = self.active.take().expect("checked above");
                let outcome = if a.aborted || a.stop_requested {
                    PromptOutcome::Stopped
                } else if a.error.is_some() {
                    PromptOutcome::Failed
                } else {
                    PromptOutcome::Completed
                };
                out.push(Output::Ended(RunEnded { message_id: a.message_id, outcome, error: a.error }));
            }
            _ => {}
        }
        out
    }
}

fn message_of(frame: &Value) -> Option<&str> {
    let props = &frame["properties"];
    str_at(props, &["part", "messageID"]).or_else(|| str_at(props, &["messageID"]))
}

fn part_outputs(active: &mut Active, frame: &Value) -> Vec<Output> {
    let props = &frame["properties"];
    let message_id = active.message_id.clone();
    if frame["type"] == "message.part.delta" {
        let (Some(part_id), Some(delta)) = (str_at(props, &["partID"]), str_at(props, &["delta"])) else {
            return vec![];
        };
        if props["field"] != "text" || active.non_text_parts.contains(part_id) || delta.is_empty() {
            return vec![];
        }
        active.texts.entry(part_id.to_string()).or_default().push_str(delta);
        return vec![text(&message_id, part_id, delta)];
    }
    let part = &props["part"];
    let Some(part_id) = str_at(part, &["id"]) else {
        return vec![];
    };
    match part["type"].as_str().unwrap_or_default() {
        "text" => {
            // The final text fills in whatever the deltas did not carry.
            let full = str_at(part, &["text"]).unwrap_or_default();
            let seen = active.texts.entry(part_id.to_string()).or_default();
            match full.strip_prefix(seen.as_str()) {
                Some(rest) if !rest.is_empty() => {
                    let rest = rest.to_string();
                    seen.push_str(&rest);
                    vec![text(&message_id, part_id, &rest)]
                }
                _ => vec![],
            }
        }
        "tool" => {
            active.non_text_parts.insert(part_id.to_string());
            let state = &part["state"];
            let status = match state["status"].as_str() {
                Some("pending") => ToolStatus::Pending,
                Some("running") => ToolStatus::Running,
                Some("completed") => ToolStatus::Completed,
                Some("error") => ToolStatus::Error,
                _ => return vec![],
            };
            let input = state.get("input").cloned().unwrap_or(Value::Null);
            let empty_input = input.as_object().is_none_or(|o| o.is_empty());
            if status == ToolStatus::Pending && empty_input {
                return vec![];
            }
            // Only what a person sees counts as a change (metadata updates do not).
            let visible = serde_json::json!([state["status"], input, state["title"], state["output"], state["error"]]);
            if active.tool_states.get(part_id) == Some(&visible) {
                return vec![];
            }
            active.tool_states.insert(part_id.to_string(), visible);
            let time = |k: &str| state.get("time").and_then(|t| t.get(k)).and_then(Value::as_i64);
            vec![Output::Event(AgentEvent::ToolCall(ToolCall {
                message_id,
                part_id: part_id.to_string(),
                tool: str_at(part, &["tool"]).unwrap_or("tool").to_string(),
                status,
                input,
                output: str_at(state, &["output"]).map(str::to_string),
                error: str_at(state, &["error"]).map(str::to_string),
                title: str_at(state, &["title"]).map(str::to_string),
                started_at: time("start"),
                ended_at: time("end"),
                started_seq: None,
            }))]
        }
        "step-finish" => {
            active.non_text_parts.insert(part_id.to_string());
            let t = &part["tokens"];
            vec![Output::Event(AgentEvent::StepFinished(StepFinished {
                message_id,
                tokens: TokenUsage {
                    input: u64_at(t, &["input"]),
                    output: u64_at(t, &["output"]),
                    reasoning: u64_at(t, &["reasoning"]),
                    cache_read: u64_at(t, &["cache", "read"]),
                    cache_write: u64_at(t, &["cache", "write"]),
                },
                cost: part["cost"].as_f64().unwrap_or(0.0),
                reason: str_at(part, &["reason"]).map(str::to_string),
            }))]
        }
        _ => {
            active.non_text_parts.insert(part_id.to_string());
            vec![]
        }
    }
}

fn text(message_id: &str, part_id: &str, delta: &str) -> Output {
    Output::Event(AgentEvent::TextDelta(TextDelta {
        message_id: message_id.into(),
        part_id: part_id.into(),
        delta: delta.into(),
    }))
}
