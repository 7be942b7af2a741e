//! Helpers for the parts' native tests: a session in an in-memory SQLite, people, and readable
//! views of the effects a part returned.

use oi_protocol::bridge::BridgeCommand;
use oi_protocol::client::ServerMessage;
use oi_protocol::rest::PromptRequest;
use oi_protocol::{SandboxStatus, SessionEvent, SessionStatus, SessionSummary, User};
use oi_session_core::lifecycle::Millis;

use super::effects::{Effect, Turn};
use super::store::memory::{self, MemorySql};
use super::store::Store;

pub const T0: Millis = 1_800_000_000_000;

pub fn person(name: &str) -> User {
    User {
        id: format!("u-{}", name.to_lowercase()),
        name: name.to_string(),
        email: format!("{}@example.test", name.to_lowercase()),
        login: None,
    }
}

/// A store holding a new session created by Ada.
pub fn session() -> Store<MemorySql> {
    let store = memory::store();
    store
        .insert_meta(&SessionSummary {
            id: "ses_1".into(),
            repo: "/srv/app.git".into(),
            branch: "main".into(),
            work_branch: None,
            model: "scripted/test-model".into(),
            title: None,
            status: SessionStatus::Created,
            archived: false,
            private: false,
            created_by: person("Ada"),
            origin: Default::default(),
            created_at: T0,
            updated_at: T0,
        })
        .unwrap();
    store
}

/// The same session with a sandbox that is ready (its bridge id `sbx_1`).
pub fn ready_session() -> Store<MemorySql> {
    let store = session();
    store.set_sandbox("sbx_1", "hash", SandboxStatus::Ready).unwrap();
    store
}

pub fn prompt(text: &str, request: &str) -> PromptRequest {
    PromptRequest { text: text.into(), client_request_id: request.into(), model: None, attachments: Vec::new() }
}

pub fn turn(store: &Store<MemorySql>, now: Millis, bridge_connected: bool) -> Turn<'_, MemorySql> {
    Turn::new(store, now, bridge_connected)
}

/// A compact view of effects: `recorded user_message`, `to_bridge prompt`,
/// `broadcast queue_updated`, `summary running`, `lifecycle`, …
pub fn describe(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .map(|e| match e {
            Effect::Recorded(raw) => {
                let event: SessionEvent = serde_json::from_str(raw.get()).expect("a session event");
                format!("recorded {}", event.body.kind())
            }
            Effect::Broadcast(m) => format!("broadcast {}", m.kind()),
            Effect::SummaryChanged(s) => format!("summary {}", s.status.as_str()),
            Effect::ToBridge(c) => format!("to_bridge {}", c.kind()),
            Effect::CloseBridges { code, .. } => format!("close_bridges {code}"),
            Effect::LifecycleChanged => "lifecycle".into(),
            Effect::RefreshPullRequest { message_id } => format!("refresh_pr {message_id}"),
            Effect::TerminateSandbox { sandbox_id } => format!("terminate {sandbox_id}"),
            Effect::NoticesWaiting => "notices".into(),
            Effect::DeleteMedia { keys } => format!("delete_media {}", keys.join(" ")),
        })
        .collect()
}

/// The events recorded, parsed.
pub fn recorded(effects: &[Effect]) -> Vec<SessionEvent> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Recorded(raw) => Some(serde_json::from_str(raw.get()).expect("a session event")),
            _ => None,
        })
        .collect()
}

/// The commands sent to the bridge.
pub fn to_bridge(effects: &[Effect]) -> Vec<BridgeCommand> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::ToBridge(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// The last `queue_updated` broadcast, as message ids.
pub fn last_queue(effects: &[Effect]) -> Option<Vec<String>> {
    effects.iter().rev().find_map(|e| match e {
        Effect::Broadcast(ServerMessage::QueueUpdated { queue }) => {
            Some(queue.iter().map(|p| p.message_id.clone()).collect())
        }
        _ => None,
    })
}
