//! The sandbox bridge, as the session sees it: the sandbox token, hello/welcome, numbered
//! events recorded exactly once with their acknowledgement, and what the agent's events do.
//!
//! Invariant: a bridge event is recorded only if its id is above the acknowledged position,
//! and that position is written in the same turn as the event's effects (they commit
//! together); every frame of events is answered with one cumulative `ack`.

use oi_protocol::bridge::{AgentEvent, BridgeCommand, BridgeMessage, NumberedEvent, CLOSE_REPLACED};
use oi_protocol::events::{AgentError, EventBody, Notice, NoticeLevel, PromptOutcome, SandboxStatusChanged};
use oi_protocol::rest::SandboxAttachment;
use oi_protocol::{ApiError, ErrorCode, SandboxStatus, SessionStatus};
use oi_session_core::bridge_ack::{classify, Delivery};
use oi_session_core::queue;
use worker::Result;

use super::effects::{Effect, Turn};
use super::prompt_queue;
use super::store::{Meta, SqlExec};
use crate::http::Outcome;
use crate::ids;

/// Checks a presented bearer token against the current sandbox's. A stopped sandbox's token
/// is cleared, so it no longer passes.
pub fn check_sandbox_token(meta: &Meta, bearer: Option<&str>) -> Outcome<()> {
    let token = bearer.ok_or_else(|| {
        ApiError::new(ErrorCode::Unauthorized, "this route needs `Authorization: Bearer <sandbox token>`")
    })?;
    let valid =
        meta.sandbox_token_hash.as_deref().is_some_and(|hash| ids::constant_time_eq(hash, &ids::sha256_hex(token)));
    if !valid {
        return Err(ApiError::new(ErrorCode::Unauthorized, "the sandbox token is not valid for this session").into());
    }
    Ok(())
}

/// Mints a token for a sandbox started by hand; only its hash is kept. The earlier sandbox is
/// terminated and its bridge closed; the prompt it held fails.
pub fn attach_sandbox<S: SqlExec>(turn: &mut Turn<S>) -> Outcome<SandboxAttachment> {
    let meta = turn.store.meta()?.ok_or_else(|| ApiError::new(ErrorCode::SessionNotFound, "no such session"))?;
    if let Some(old) = meta.sandbox_id {
        turn.emit(Effect::TerminateSandbox { sandbox_id: old });
    }
    turn.emit(Effect::CloseBridges { code: CLOSE_REPLACED, reason: "replaced by a new sandbox" });
    turn.bridge_connected = false;
    prompt_queue::fail_active(turn, "the sandbox was replaced")?;
    let sandbox_id = turn.new_id("sbx");
    let token = ids::new_token();
    turn.store.set_sandbox(&sandbox_id, &ids::sha256_hex(&token), SandboxStatus::Spawning)?;
    turn.store.sandbox_requested(turn.now)?;
    turn.emit(Effect::LifecycleChanged);
    turn.record(EventBody::SandboxStatus(SandboxStatusChanged {
        status: SandboxStatus::Spawning,
        sandbox_id: Some(sandbox_id.clone()),
        message: Some("waiting for a bridge to connect".into()),
        preview_ports: Vec::new(),
    }))?;
    Ok(SandboxAttachment { sandbox_id, token })
}

/// A frame from the current bridge.
pub fn on_message<S: SqlExec>(turn: &mut Turn<S>, message: BridgeMessage) -> Result<()> {
    let active = matches!(message, BridgeMessage::Event(_) | BridgeMessage::Events { .. });
    turn.store.bridge_seen(turn.now, active)?;
    match message {
        BridgeMessage::Hello { sandbox_id, runtime } => {
            let Some(meta) = turn.store.meta()? else { return Ok(()) };
            let meta = &meta;
            if meta.sandbox_id.as_deref() != Some(sandbox_id.as_str()) {
                let error = ApiError::new(
                    ErrorCode::Forbidden,
                    format!("sandbox {sandbox_id:?} is not this session's sandbox"),
                );
                turn.emit(Effect::ToBridge(BridgeCommand::Error { error }));
                turn.emit(Effect::CloseBridges { code: CLOSE_REPLACED, reason: "not this session's sandbox" });
                return Ok(());
            }
            turn.store.set_bridge_connection(meta.bridge_connection.as_deref(), runtime.as_deref())?;
            turn.emit(Effect::ToBridge(BridgeCommand::Welcome { acked_through: meta.bridge_acked_through }));
            prompt_queue::resend_active(turn, meta)?;
            prompt_queue::dispatch_next(turn)
        }
        BridgeMessage::Event(event) => on_events(turn, vec![event]),
        BridgeMessage::Events { events } => on_events(turn, events),
        // Preview frames go to their request in the object's memory (`previews.rs`), not here.
        BridgeMessage::Heartbeat | BridgeMessage::PreviewHead(_) | BridgeMessage::PreviewBody(_) => Ok(()),
    }
}

/// Records the new events among `events` (re-sends are dropped) and acknowledges once. Runs of
/// events that only append to the log are written together.
fn on_events<S: SqlExec>(turn: &mut Turn<S>, events: Vec<NumberedEvent>) -> Result<()> {
    let mut run: Vec<EventBody> = vec![];
    let mut run_through = 0;
    for NumberedEvent { id, event } in events {
        if classify(turn.store.bridge_acked_through()?.max(run_through), id) != Delivery::Record {
            continue;
        }
        match EventBody::try_from(event) {
            Ok(EventBody::PromptFinished(p)) => {
                write_run(turn, &mut run, run_through)?;
                turn.store.set_bridge_acked(id)?;
                prompt_queue::finish(turn, &p.message_id, p.outcome, p.error)?;
            }
            Ok(body) => {
                if let EventBody::Commit(c) = &body {
                    if c.pushed && c.sha.is_some() {
                        turn.emit(Effect::RefreshPullRequest { message_id: c.message_id.clone() });
                    }
                }
                run.push(body);
                run_through = id;
            }
            Err(control) => {
                write_run(turn, &mut run, run_through)?;
                turn.store.set_bridge_acked(id)?;
                match control {
                    AgentEvent::Ready { preview_ports } => on_ready(turn, preview_ports)?,
                    AgentEvent::BootFailed { message } => on_boot_failed(turn, message)?,
                    other => unreachable!("every other agent event is a log entry: {}", other.kind()),
                }
            }
        }
    }
    write_run(turn, &mut run, run_through)?;
    let through = turn.store.bridge_acked_through()?;
    turn.emit(Effect::ToBridge(BridgeCommand::Ack { through }));
    Ok(())
}

/// Writes a run of log entries, acknowledged through `through`.
fn write_run<S: SqlExec>(turn: &mut Turn<S>, run: &mut Vec<EventBody>, through: u64) -> Result<()> {
    if run.is_empty() {
        return Ok(());
    }
    turn.record_all_acked(std::mem::take(run), through)
}

fn on_ready<S: SqlExec>(turn: &mut Turn<S>, preview_ports: Vec<u16>) -> Result<()> {
    let Some(meta) = turn.store.meta()? else { return Ok(()) };
    let busy = turn.store.unfinished_prompts()?.iter().any(|p| queue::is_active(p.status));
    let status = if busy { SandboxStatus::Running } else { SandboxStatus::Ready };
    turn.sandbox_ready(&meta, status, preview_ports)?;
    turn.emit(Effect::LifecycleChanged);
    prompt_queue::dispatch_next(turn)
}

/// Boot failed: the sandbox is marked failed first (so nothing more is dispatched to it), then
/// the prompt it held and the ones waiting for it fail, then the session.
fn on_boot_failed<S: SqlExec>(turn: &mut Turn<S>, message: String) -> Result<()> {
    // A boot that fails is a permanent spawn failure, for the circuit breaker.
    turn.store.spawn_failed(turn.now)?;
    turn.emit(Effect::LifecycleChanged);
    turn.record(EventBody::AgentError(AgentError { message_id: None, message: message.clone() }))?;
    if let Some(meta) = turn.store.meta()? {
        turn.set_sandbox_status(&meta, SandboxStatus::Failed, Some(message.clone()))?;
    }
    for p in turn.store.unfinished_prompts()? {
        if queue::is_active(p.status) {
            prompt_queue::finish(turn, &p.message_id, PromptOutcome::Failed, Some(message.clone()))?;
        } else {
            prompt_queue::fail_waiting(turn, &p.message_id, &message)?;
        }
    }
    if let Some(meta) = turn.store.meta()? {
        let mut summary = meta.summary;
        summary.status = SessionStatus::Failed;
        summary.updated_at = turn.now.max(summary.updated_at);
        turn.save_summary(&summary)?;
    }
    turn.record(EventBody::Notice(Notice {
        level: NoticeLevel::Error,
        message: format!("sandbox boot failed: {message}"),
    }))
    .map(drop)
}

#[cfg(test)]
#[path = "bridge_link_tests.rs"]
mod tests;
