//! Messages between a client (browser, CLI, test) and a session's Durable Object over
//! `GET /api/sessions/:id/ws`. Text frames of JSON, each with a `type` tag.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::events::SessionEvent;
use crate::session::{Participant, PresenceStatus, QueuedPrompt, SessionState, SessionSummary};

/// Client → Durable Object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Ask for the current state and every event after `after_seq` (all events when absent).
    /// The reply is one `subscribed` frame, then `backlog` frames until `complete` is true.
    Subscribe {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_seq: Option<u64>,
    },
    /// Queue a prompt. Idempotent on `client_request_id`.
    Prompt {
        text: String,
        client_request_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// Cancel a prompt that has not started.
    CancelPrompt { message_id: String },
    /// Stop the running prompt.
    Stop,
    /// The user is composing a prompt (used to start a sandbox early).
    Typing,
    /// The user's presence changed.
    Presence { status: PresenceStatus },
    /// Keep-alive; answered with `pong`.
    Ping,
}

impl ClientMessage {
    /// Every `type` this message accepts.
    pub const TYPES: &'static [&'static str] =
        &["subscribe", "prompt", "cancel_prompt", "stop", "typing", "presence", "ping"];

    pub fn kind(&self) -> &'static str {
        match self {
            ClientMessage::Subscribe { .. } => "subscribe",
            ClientMessage::Prompt { .. } => "prompt",
            ClientMessage::CancelPrompt { .. } => "cancel_prompt",
            ClientMessage::Stop => "stop",
            ClientMessage::Typing => "typing",
            ClientMessage::Presence { .. } => "presence",
            ClientMessage::Ping => "ping",
        }
    }
}

/// Durable Object → client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The reply to `subscribe`: the current state and the first frame of missed events.
    Subscribed {
        state: Box<SessionState>,
        events: Vec<SessionEvent>,
        /// False when `backlog` frames follow.
        complete: bool,
    },
    /// More missed events after `subscribed`.
    Backlog {
        events: Vec<SessionEvent>,
        complete: bool,
    },
    /// A new event, live.
    Event {
        event: SessionEvent,
    },
    /// A prompt sent on this socket was accepted (or was already accepted earlier).
    PromptAccepted {
        client_request_id: String,
        message_id: String,
        position: u32,
    },
    /// The prompt queue changed.
    QueueUpdated {
        queue: Vec<QueuedPrompt>,
    },
    /// The session's summary changed (status, archive flag, title).
    Session {
        summary: SessionSummary,
    },
    /// Who is connected changed.
    Presence {
        participants: Vec<Participant>,
    },
    /// A frame from this socket was refused. Nothing else changed.
    Error {
        error: ApiError,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_request_id: Option<String>,
    },
    Pong,
}

impl ServerMessage {
    pub const TYPES: &'static [&'static str] =
        &["subscribed", "backlog", "event", "prompt_accepted", "queue_updated", "session", "presence", "error", "pong"];

    pub fn kind(&self) -> &'static str {
        match self {
            ServerMessage::Subscribed { .. } => "subscribed",
            ServerMessage::Backlog { .. } => "backlog",
            ServerMessage::Event { .. } => "event",
            ServerMessage::PromptAccepted { .. } => "prompt_accepted",
            ServerMessage::QueueUpdated { .. } => "queue_updated",
            ServerMessage::Session { .. } => "session",
            ServerMessage::Presence { .. } => "presence",
            ServerMessage::Error { .. } => "error",
            ServerMessage::Pong => "pong",
        }
    }
}
