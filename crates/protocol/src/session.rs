//! What a session is: its summary (the cross-session index row), its full state (owned by the
//! session's Durable Object), its prompt queue and the people in it.

use serde::{Deserialize, Serialize};

/// What a signed-in person may do across the deployment (docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages global settings, global secrets, automations and integrations.
    Admin,
    /// Creates sessions, and views, joins and prompts the deployment's shared sessions.
    #[default]
    Member,
}

/// A person who can own a session, prompt it and be a commit author.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct User {
    /// Stable id, unique per deployment.
    pub id: String,
    /// Display name; also the git author name.
    pub name: String,
    /// Email; also the git author email (on GitHub, commits use the noreply address instead).
    pub email: String,
    /// The GitHub login, for a person signed in with GitHub (their id is `gh-<GitHub id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
}

/// Where a session is in its life. Archiving is a separate flag, so an archived session keeps
/// the status it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Created; no prompt has run yet.
    Created,
    /// A prompt is running (or waiting for a sandbox to run it).
    Running,
    /// Nothing is running; prompts may be sent.
    Idle,
    /// The session cannot go on (its sandbox failed to boot, for example).
    Failed,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 4] =
        [SessionStatus::Created, SessionStatus::Running, SessionStatus::Idle, SessionStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Created => "created",
            SessionStatus::Running => "running",
            SessionStatus::Idle => "idle",
            SessionStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The sandbox behind a session, as the control plane sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SandboxStatus {
    /// No sandbox has been asked for.
    #[default]
    None,
    /// The provider is creating it.
    Spawning,
    /// Its bridge is connected and it is waiting for work.
    Ready,
    /// Its bridge is connected and a prompt is running.
    Running,
    /// It is being snapshotted and stopped; prompts wait for the next one.
    Stopping,
    /// It was stopped; a new prompt starts (or restores) another.
    Stopped,
    /// It failed to boot or died.
    Failed,
}

impl SandboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxStatus::None => "none",
            SandboxStatus::Spawning => "spawning",
            SandboxStatus::Ready => "ready",
            SandboxStatus::Running => "running",
            SandboxStatus::Stopping => "stopping",
            SandboxStatus::Stopped => "stopped",
            SandboxStatus::Failed => "failed",
        }
    }
}

/// A session as listed in the cross-session index (D1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: String,
    /// The repository: a git URL, a local path, or `owner/name` for a hosted provider.
    pub repo: String,
    /// The base branch the session starts from.
    pub branch: String,
    /// The branch the session's work is pushed to when it is not `oi/<id>`: the head branch of
    /// the pull request the session answers on (then `branch` is that head too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_branch: Option<String>,
    /// The model, as `provider/model`.
    pub model: String,
    pub title: Option<String>,
    pub status: SessionStatus,
    pub archived: bool,
    /// Only its owner and admins may see and join it (otherwise every member may).
    #[serde(default)]
    pub private: bool,
    pub created_by: User,
    /// Where it came from (the web page for sessions from before origins were kept).
    #[serde(default)]
    pub origin: crate::origin::SessionOrigin,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Milliseconds since the Unix epoch; moves on every status change and prompt.
    pub updated_at: i64,
}

/// Where a prompt is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptStatus {
    /// Waiting for its turn (or for a sandbox).
    Queued,
    /// Sent to the sandbox; running.
    Processing,
    /// Stop was asked for; waiting for the sandbox to confirm.
    Stopping,
    /// Finished; see the `prompt_finished` event for the outcome.
    Finished,
    /// Cancelled before it ran.
    Cancelled,
}

/// A prompt that has not finished yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedPrompt {
    pub message_id: String,
    pub client_request_id: String,
    pub text: String,
    pub author: User,
    pub status: PromptStatus,
    /// Prompts that run before this one: 0 for the running prompt and for the next in line
    /// when nothing runs.
    pub position: u32,
    pub created_at: i64,
}

/// Whether a connected person is looking at the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    #[default]
    Active,
    Idle,
    Typing,
}

/// A person connected to a session, with how many sockets they hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub user: User,
    pub status: PresenceStatus,
    pub connections: u32,
}

/// The sandbox part of a session's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SandboxState {
    pub status: SandboxStatus,
    /// The current sandbox's id, when there is one.
    pub sandbox_id: Option<String>,
    /// Whether its bridge is connected right now.
    pub connected: bool,
}

/// A session's full current state, as its Durable Object holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    #[serde(flatten)]
    pub summary: SessionSummary,
    pub sandbox: SandboxState,
    /// Unfinished prompts in run order: the running one first.
    pub queue: Vec<QueuedPrompt>,
    /// The sequence number of the newest event; 0 when there is none.
    pub last_seq: u64,
    /// Who is connected.
    pub participants: Vec<Participant>,
    /// The session's pull request, once one is opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<crate::source_control::PullRequest>,
}
