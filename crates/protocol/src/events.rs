//! The session event log.
//!
//! Every event gets a per-session, strictly increasing `seq` from the Durable Object, is stored
//! in its SQLite log and is fanned out to every connected client. The same payload structs are
//! used by the bridge ([`crate::bridge::AgentEvent`]), so the agent's output is defined once.
//!
//! Streaming text arrives as [`TextDelta`] events. When a prompt finishes, the Durable Object
//! compacts each text part's deltas into one [`TextPart`] event that carries the full text and
//! the `seq` where the part started, and keeps only the last state of each tool call. The
//! [`crate::transcript`] reducer rebuilds the same transcript from either form.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::media::{Artifact, MediaInfo};
use crate::session::{SandboxStatus, User};
use crate::source_control::PullRequest;

/// One entry of a session's event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEvent {
    /// Per-session sequence number: strictly increasing, never reused. Gaps appear where
    /// compaction removed superseded rows.
    pub seq: u64,
    /// Milliseconds since the Unix epoch when the control plane recorded it.
    pub at: i64,
    #[serde(flatten)]
    pub body: EventBody,
}

/// What happened. Serialized with a `type` tag next to `seq` and `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    SessionCreated(SessionCreated),
    UserMessage(UserMessage),
    TextDelta(TextDelta),
    Text(TextPart),
    ToolCall(ToolCall),
    StepFinished(StepFinished),
    Retry(Retry),
    AgentError(AgentError),
    PromptFinished(PromptFinished),
    SandboxStatus(SandboxStatusChanged),
    Archived(ArchiveChanged),
    Log(LogLine),
    Notice(Notice),
    Commit(Commit),
    /// The session's pull request was opened, updated, or changed state or checks.
    PullRequest(PullRequest),
    /// The agent made a screenshot or a video.
    Artifact(Artifact),
}

impl EventBody {
    pub const TYPES: &'static [&'static str] = &[
        "session_created",
        "user_message",
        "text_delta",
        "text",
        "tool_call",
        "step_finished",
        "retry",
        "agent_error",
        "prompt_finished",
        "sandbox_status",
        "archived",
        "log",
        "notice",
        "commit",
        "pull_request",
        "artifact",
    ];

    /// The `type` tag, as it appears on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::SessionCreated(_) => "session_created",
            EventBody::UserMessage(_) => "user_message",
            EventBody::TextDelta(_) => "text_delta",
            EventBody::Text(_) => "text",
            EventBody::ToolCall(_) => "tool_call",
            EventBody::StepFinished(_) => "step_finished",
            EventBody::Retry(_) => "retry",
            EventBody::AgentError(_) => "agent_error",
            EventBody::PromptFinished(_) => "prompt_finished",
            EventBody::SandboxStatus(_) => "sandbox_status",
            EventBody::Archived(_) => "archived",
            EventBody::Log(_) => "log",
            EventBody::Notice(_) => "notice",
            EventBody::Commit(_) => "commit",
            EventBody::PullRequest(_) => "pull_request",
            EventBody::Artifact(_) => "artifact",
        }
    }

    /// The prompt this event belongs to, if any.
    pub fn message_id(&self) -> Option<&str> {
        match self {
            EventBody::UserMessage(e) => Some(&e.message_id),
            EventBody::TextDelta(e) => Some(&e.message_id),
            EventBody::Text(e) => Some(&e.message_id),
            EventBody::ToolCall(e) => Some(&e.message_id),
            EventBody::StepFinished(e) => Some(&e.message_id),
            EventBody::Retry(e) => Some(&e.message_id),
            EventBody::AgentError(e) => e.message_id.as_deref(),
            EventBody::PromptFinished(e) => Some(&e.message_id),
            EventBody::Commit(e) => Some(&e.message_id),
            EventBody::Artifact(e) => e.message_id.as_deref(),
            _ => None,
        }
    }

    /// The part this event belongs to, for the events that compaction folds.
    pub fn part_id(&self) -> Option<&str> {
        match self {
            EventBody::TextDelta(e) => Some(&e.part_id),
            EventBody::Text(e) => Some(&e.part_id),
            EventBody::ToolCall(e) => Some(&e.part_id),
            _ => None,
        }
    }
}

/// The first event of every session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionCreated {
    pub repo: String,
    pub branch: String,
    pub model: String,
    pub title: Option<String>,
    pub created_by: User,
}

/// A prompt, logged when it is sent to the sandbox (queued prompts live in the queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMessage {
    pub message_id: String,
    pub author: User,
    pub text: String,
    /// Images attached to the prompt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<MediaInfo>,
}

/// A piece of streamed assistant text, to be appended to its part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDelta {
    pub message_id: String,
    pub part_id: String,
    pub delta: String,
}

/// The full text of a part; replaces whatever the part held. Written by compaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextPart {
    pub message_id: String,
    pub part_id: String,
    pub text: String,
    /// The `seq` of the part's first event, which fixes its place in the transcript.
    pub started_seq: u64,
}

/// Where a tool call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    Pending,
    Running,
    Completed,
    Error,
}

/// The current state of one tool call (`bash`, `write`, `edit`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub message_id: String,
    /// One part per tool call; later states of the same call reuse it.
    pub part_id: String,
    pub tool: String,
    pub status: ToolStatus,
    #[serde(default)]
    pub input: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Milliseconds since the Unix epoch, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// Set by compaction: the `seq` of the call's first event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_seq: Option<u64>,
}

/// Token counts of one model step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenUsage {
    pub input: u64,
    pub output: u64,
    #[serde(default)]
    pub reasoning: u64,
    #[serde(default)]
    pub cache_read: u64,
    #[serde(default)]
    pub cache_write: u64,
}

/// One model step finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFinished {
    pub message_id: String,
    pub tokens: TokenUsage,
    /// Cost in US dollars, as the agent reports it.
    pub cost: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The model call failed and the agent will try again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retry {
    pub message_id: String,
    pub attempt: u32,
    pub message: String,
}

/// The agent reported an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub message: String,
}

/// How a prompt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptOutcome {
    Completed,
    Failed,
    Stopped,
}

/// A prompt finished; the next one may start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptFinished {
    pub message_id: String,
    pub outcome: PromptOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The sandbox changed status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxStatusChanged {
    pub status: SandboxStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// With `ready`: the ports the repository lists for previews.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preview_ports: Vec<u16>,
}

/// The session was archived or unarchived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveChanged {
    pub archived: bool,
    pub by: User,
}

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogSource {
    Git,
    Setup,
    Start,
    Agent,
    Supervisor,
}

/// One line of boot or supervisor output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub source: LogSource,
    pub line: String,
}

/// How much a notice matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

/// Something a person watching the session should know (a restart, a warning, a failure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub level: NoticeLevel,
    pub message: String,
}

/// The work of a prompt, committed to the session branch and pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub message_id: String,
    /// The session branch, `oi/<session id>`.
    pub branch: String,
    /// The new commit; absent when the prompt changed nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// The commit's author (the prompting user), as `Name <email>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub files_changed: u32,
    pub insertions: u32,
    pub deletions: u32,
    /// Each file the commit changed, with its patch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileChange>,
    /// Whether the branch reached the remote.
    pub pushed: bool,
    /// Why the commit or the push failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileChangeKind {
    Added,
    Modified,
    Deleted,
    Renamed,
}

/// One file of a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    pub kind: FileChangeKind,
    pub insertions: u32,
    pub deletions: u32,
    /// The unified diff of this file (`diff --git` section); absent for binary files, cut at
    /// 64 KiB (`truncated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}
