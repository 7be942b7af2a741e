//! The session's media part: keeping an uploaded piece (an attachment or an artifact), and
//! dropping attachments no prompt took. Decisions are `oi_session_core::media`; the bytes'
//! I/O (R2) is `media_routes.rs`.
//!
//! Invariant: a piece is counted against the session's limits and kept in one synchronous
//! turn, so concurrent uploads cannot pass a limit together; a refused piece keeps nothing
//! (its bytes, already in R2, are deleted through `Effect::DeleteMedia`).

use oi_protocol::events::EventBody;
use oi_protocol::media::{Artifact, MediaInfo, MediaKind, MAX_SESSION_MEDIA_BYTES, UNREFERENCED_ATTACHMENT_TTL_MS};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::media::{admit_counts, MediaUsage};

use super::effects::{Effect, Turn};
use super::store::{r2_key, SqlExec};
use crate::http::Outcome;

/// Keeps a stored piece: an attachment waits for a prompt; an artifact belongs to the running
/// prompt and is logged as an `artifact` event.
pub fn keep<S: SqlExec>(turn: &mut Turn<S>, info: MediaInfo) -> Outcome<()> {
    let session_id = turn.store.meta()?.map(|m| m.summary.id).unwrap_or_default();
    if let Err(refused) = admit_counts(info.kind, info.size, turn.store.media_usage()?) {
        turn.emit(Effect::DeleteMedia { keys: vec![r2_key(&session_id, &info.media_id)] });
        return Err(refused.into());
    }
    match info.kind {
        MediaKind::Attachment => {
            turn.store.insert_media(&info, None, turn.now)?;
            drop_stale_attachments(turn, &session_id)?;
        }
        MediaKind::Screenshot | MediaKind::Video => {
            let message_id = turn.store.running_prompt()?;
            turn.store.insert_media(&info, message_id.as_deref(), turn.now)?;
            turn.record(EventBody::Artifact(Artifact { message_id, media: info }))?;
        }
    }
    Ok(())
}

/// Removes attachments no prompt took within a day, bytes and all.
fn drop_stale_attachments<S: SqlExec>(turn: &mut Turn<S>, session_id: &str) -> Outcome<()> {
    let stale = turn.store.remove_unbound_attachments(turn.now - UNREFERENCED_ATTACHMENT_TTL_MS)?;
    if !stale.is_empty() {
        turn.emit(Effect::DeleteMedia { keys: stale.iter().map(|id| r2_key(session_id, id)).collect() });
    }
    Ok(())
}

/// The session's usage, refused up front when even an empty piece would not fit.
pub fn usage_for_upload<S: SqlExec>(turn: &Turn<S>) -> Outcome<MediaUsage> {
    let usage = turn.store.media_usage()?;
    if usage.total_bytes >= MAX_SESSION_MEDIA_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the session's media has reached {} MiB", MAX_SESSION_MEDIA_BYTES >> 20),
        )
        .into());
    }
    Ok(usage)
}

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
