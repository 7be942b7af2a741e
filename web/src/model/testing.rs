//! Fixtures for the view-model tests.

use oi_protocol::automations::{Automation, Trigger};
use oi_protocol::events::{EventBody, TextDelta, UserMessage};
use oi_protocol::media::{Artifact, MediaInfo, MediaKind, MediaType};
use oi_protocol::session::SandboxState;
use oi_protocol::{SessionEvent, SessionState, SessionStatus, SessionSummary, User};

pub fn user(name: &str) -> User {
    User { id: format!("local-{name}"), name: name.to_string(), email: format!("{name}@local.invalid"), login: None }
}

pub fn summary() -> SessionSummary {
    SessionSummary {
        id: "ses_1".into(),
        repo: "/srv/git/app.git".into(),
        branch: "main".into(),
        work_branch: None,
        model: "scripted/test-model".into(),
        title: None,
        status: SessionStatus::Idle,
        archived: false,
        private: false,
        created_by: user("ada"),
        origin: Default::default(),
        created_at: 1_000,
        updated_at: 2_000,
    }
}

pub fn state() -> SessionState {
    SessionState {
        summary: summary(),
        sandbox: SandboxState::default(),
        queue: vec![],
        last_seq: 0,
        participants: vec![],
        pull_request: None,
    }
}

pub fn event(seq: u64, body: EventBody) -> SessionEvent {
    SessionEvent { seq, at: 0, body }
}

pub fn user_message(seq: u64, message_id: &str, author: &str, text: &str) -> SessionEvent {
    event(
        seq,
        EventBody::UserMessage(UserMessage {
            message_id: message_id.into(),
            author: user(author),
            text: text.into(),
            attachments: Vec::new(),
        }),
    )
}

/// A prompt with images attached.
pub fn user_message_with(seq: u64, message_id: &str, text: &str, attachments: Vec<MediaInfo>) -> SessionEvent {
    event(
        seq,
        EventBody::UserMessage(UserMessage {
            message_id: message_id.into(),
            author: user("ada"),
            text: text.into(),
            attachments,
        }),
    )
}

/// A piece of media of session `ses_1`: a 1280×800 PNG of 47 KiB, or a WebM video.
pub fn media(media_id: &str, kind: MediaKind) -> MediaInfo {
    let video = kind == MediaKind::Video;
    MediaInfo {
        media_id: media_id.into(),
        kind,
        name: format!("{media_id}.{}", if video { "webm" } else { "png" }),
        content_type: if video { MediaType::Webm } else { MediaType::Png },
        size: 47 * 1024,
        width: Some(1280),
        height: Some(800),
        url: format!("/api/sessions/ses_1/media/{media_id}"),
        caption: None,
        source_url: None,
        evidence: false,
    }
}

/// The agent made `media` while prompt `message_id` ran (or outside any prompt).
pub fn artifact(seq: u64, message_id: Option<&str>, media: MediaInfo) -> SessionEvent {
    event(seq, EventBody::Artifact(Artifact { message_id: message_id.map(Into::into), media }))
}

/// A delta of part `prt_a` of prompt `msg_1`.
pub fn text_delta(seq: u64, delta: &str) -> SessionEvent {
    event(
        seq,
        EventBody::TextDelta(TextDelta { message_id: "msg_1".into(), part_id: "prt_a".into(), delta: delta.into() }),
    )
}

/// An automation of ada's, enabled, with this trigger.
pub fn automation(trigger: Trigger) -> Automation {
    Automation {
        id: "aut_1".into(),
        name: "Nightly deps".into(),
        repo: "/srv/git/app.git".into(),
        branch: "main".into(),
        model: "scripted/test-model".into(),
        prompt: "Update the dependencies".into(),
        trigger,
        owner: user("ada"),
        enabled: true,
        paused_reason: None,
        consecutive_failures: 0,
        next_run_at: None,
        webhook_path: None,
        callback_url: None,
        created_at: 1_000,
        updated_at: 1_000,
    }
}
