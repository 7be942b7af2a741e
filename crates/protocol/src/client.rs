//! Messages between a client (browser, CLI, test) and a session's Durable Object over
//! `GET /api/sessions/:id/ws`. Text frames of JSON, each with a `type` tag.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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
        /// Attached images, by `media_id` (as in `PromptRequest`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
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

/// Close code sent to a client socket whose session was deleted.
pub const CLOSE_SESSION_DELETED: u16 = 4404;

/// Durable Object → client.
///
/// `E` is how an event is held: a [`SessionEvent`] for everyone who reads frames, or
/// [`RawEvent`] (the event's JSON as written to the log) for the Durable Object, which sends
/// each event serialised once. Both have the same wire shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage<E = SessionEvent> {
    /// The reply to `subscribe`: the current state and the first frame of missed events.
    Subscribed {
        state: Box<SessionState>,
        events: Vec<E>,
        /// False when `backlog` frames follow.
        complete: bool,
    },
    /// More missed events after `subscribed`.
    Backlog {
        events: Vec<E>,
        complete: bool,
    },
    /// A new event, live.
    Event {
        event: E,
    },
    /// Several new events, live, in `seq` order: what arrived within a few milliseconds of
    /// each other goes out in one frame. Fold each as if it came in its own `event` frame.
    Events {
        events: Vec<E>,
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
        /// Boxed: a summary is far larger than the other messages (the JSON is the same).
        summary: Box<SessionSummary>,
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

/// A session event as its JSON text, for sending without parsing or serialising it again.
pub type RawEvent = Box<RawValue>;

/// A server message whose events are already JSON (what the Durable Object sends).
pub type RawServerMessage = ServerMessage<RawEvent>;

impl ServerMessage {
    pub const TYPES: &'static [&'static str] = &[
        "subscribed",
        "backlog",
        "event",
        "events",
        "prompt_accepted",
        "queue_updated",
        "session",
        "presence",
        "error",
        "pong",
    ];
}

impl<E> ServerMessage<E> {
    pub fn kind(&self) -> &'static str {
        match self {
            ServerMessage::Subscribed { .. } => "subscribed",
            ServerMessage::Backlog { .. } => "backlog",
            ServerMessage::Event { .. } => "event",
            ServerMessage::Events { .. } => "events",
            ServerMessage::PromptAccepted { .. } => "prompt_accepted",
            ServerMessage::QueueUpdated { .. } => "queue_updated",
            ServerMessage::Session { .. } => "session",
            ServerMessage::Presence { .. } => "presence",
            ServerMessage::Error { .. } => "error",
            ServerMessage::Pong => "pong",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventBody, Notice, NoticeLevel};

    #[test]
    fn a_raw_event_frame_reads_back_as_the_typed_one() {
        let event = SessionEvent {
            seq: 3,
            at: 10,
            body: EventBody::Notice(Notice { level: NoticeLevel::Info, message: "hi".into() }),
        };
        let raw = serde_json::value::to_raw_value(&event).unwrap();
        let frame = serde_json::to_string(&RawServerMessage::Events { events: vec![raw] }).unwrap();
        let typed: ServerMessage = serde_json::from_str(&frame).unwrap();
        assert_eq!(typed, ServerMessage::Events { events: vec![event.clone()] });
        let single = serde_json::to_string(&ServerMessage::Event { event: event.clone() }).unwrap();
        let raw_single =
            serde_json::to_string(&RawServerMessage::Event { event: serde_json::value::to_raw_value(&event).unwrap() })
                .unwrap();
        assert_eq!(single, raw_single);
    }
}
