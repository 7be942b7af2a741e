//! The media part, natively: what keeping a piece writes, which effects it returns, and how a
//! prompt carries its attachments.

use oi_protocol::bridge::BridgeCommand;
use oi_protocol::events::EventBody;
use oi_protocol::media::{
    MediaInfo, MediaKind, MediaType, MAX_SCREENSHOTS_PER_SESSION, UNREFERENCED_ATTACHMENT_TTL_MS,
};
use oi_protocol::{ErrorCode, SessionEvent};

use super::*;
use crate::http::Failure;
use crate::session::effects::Effect;
use crate::session::prompt_queue::{dispatch_next, enqueue};
use crate::session::testing::*;

fn piece(id: &str, kind: MediaKind) -> MediaInfo {
    MediaInfo {
        media_id: id.into(),
        kind,
        name: format!("{id}.png"),
        content_type: MediaType::Png,
        size: 1000,
        width: Some(10),
        height: Some(10),
        url: format!("/api/sessions/ses_1/media/{id}"),
        caption: None,
        source_url: None,
        evidence: false,
    }
}

fn code(failure: Failure) -> ErrorCode {
    match failure {
        Failure::Api(e) => e.code,
        Failure::Internal(e) => panic!("internal: {e}"),
    }
}

#[test]
fn an_attachment_waits_for_a_prompt_and_the_prompt_carries_it_to_the_sandbox() {
    let store = ready_session();
    for id in ["med_a", "med_b"] {
        let mut t = turn(&store, T0, true);
        keep(&mut t, piece(id, MediaKind::Attachment)).unwrap();
        assert!(describe(t.effects()).is_empty(), "an attachment is quiet until a prompt carries it");
    }
    let mut request = prompt("What is in these?", "r1");
    request.attachments = vec!["med_b".into(), "med_a".into()];
    let mut t = turn(&store, T0 + 1, true);
    enqueue(&mut t, &person("Ada"), &request).unwrap();
    let sent = t.effects().iter().find_map(|e| match e {
        Effect::ToBridge(BridgeCommand::Prompt(p)) => Some(p.clone()),
        _ => None,
    });
    let sent = sent.expect("the prompt went to the bridge");
    assert_eq!(sent.attachments.iter().map(|m| m.media_id.as_str()).collect::<Vec<_>>(), ["med_b", "med_a"]);
    let logged = t.effects().iter().find_map(|e| match e {
        Effect::Recorded(raw) => match serde_json::from_str::<SessionEvent>(raw.get()).unwrap().body {
            EventBody::UserMessage(m) => Some(m),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(logged.expect("user_message").attachments.len(), 2);
    assert!(store.unbound_attachments().unwrap().is_empty());

    // A second prompt cannot take them again.
    let mut again = prompt("And these?", "r2");
    again.attachments = vec!["med_a".into()];
    let mut t = turn(&store, T0 + 2, true);
    assert_eq!(code(enqueue(&mut t, &person("Ada"), &again).unwrap_err()), ErrorCode::InvalidRequest);
    assert!(store.prompt_by_request("r2").unwrap().is_none(), "a refused prompt is not queued");
}

#[test]
fn a_prompt_with_an_unknown_attachment_is_refused_and_changes_nothing() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    keep(&mut t, piece("med_a", MediaKind::Attachment)).unwrap();
    let mut request = prompt("Look", "r1");
    request.attachments = vec!["med_a".into(), "med_nope".into()];
    let mut t = turn(&store, T0 + 1, true);
    assert_eq!(code(enqueue(&mut t, &person("Ada"), &request).unwrap_err()), ErrorCode::InvalidRequest);
    assert!(t.effects().is_empty());
    assert_eq!(store.unbound_attachments().unwrap().len(), 1, "the attachment still waits");
    assert!(store.prompt_by_request("r1").unwrap().is_none());
}

#[test]
fn an_artifact_is_logged_with_the_running_prompt() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    enqueue(&mut t, &person("Ada"), &prompt("Show me the page", "r1")).unwrap();
    dispatch_next(&mut t).unwrap();
    let running = store.running_prompt().unwrap().expect("running");
    let mut t = turn(&store, T0 + 1, true);
    keep(&mut t, MediaInfo { evidence: true, ..piece("med_s", MediaKind::Screenshot) }).unwrap();
    assert_eq!(describe(t.effects()), ["recorded artifact"]);
    let events = store.events_after(0, None).unwrap();
    let Some(EventBody::Artifact(artifact)) = events.last().map(|e| &e.body) else { panic!("{events:?}") };
    assert_eq!(artifact.message_id.as_deref(), Some(running.as_str()));
    assert_eq!(store.evidence_screenshots().unwrap().len(), 1);
}

#[test]
fn past_a_limit_the_piece_is_refused_and_its_bytes_deleted() {
    let store = ready_session();
    for i in 0..MAX_SCREENSHOTS_PER_SESSION {
        let mut t = turn(&store, T0, true);
        keep(&mut t, piece(&format!("med_{i}"), MediaKind::Screenshot)).unwrap();
    }
    let mut t = turn(&store, T0 + 1, true);
    let refused = keep(&mut t, piece("med_over", MediaKind::Screenshot)).unwrap_err();
    assert_eq!(code(refused), ErrorCode::QuotaExceeded);
    assert_eq!(describe(t.effects()), ["delete_media sessions/ses_1/media/med_over"]);
    assert!(store.media("med_over").unwrap().is_none());
}

#[test]
fn attachments_no_prompt_took_for_a_day_are_dropped_with_their_bytes() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    keep(&mut t, piece("med_old", MediaKind::Attachment)).unwrap();
    let mut t = turn(&store, T0 + UNREFERENCED_ATTACHMENT_TTL_MS - 1, true);
    keep(&mut t, piece("med_mid", MediaKind::Attachment)).unwrap();
    assert!(describe(t.effects()).is_empty(), "not a day yet");
    let mut t = turn(&store, T0 + UNREFERENCED_ATTACHMENT_TTL_MS + 1, true);
    keep(&mut t, piece("med_new", MediaKind::Attachment)).unwrap();
    assert_eq!(describe(t.effects()), ["delete_media sessions/ses_1/media/med_old"]);
    let left: Vec<String> = store.unbound_attachments().unwrap().into_iter().map(|m| m.media_id).collect();
    assert_eq!(left, ["med_mid", "med_new"]);
}
