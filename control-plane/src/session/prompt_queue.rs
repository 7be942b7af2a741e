//! The prompt queue in motion: admission, order, dispatch to the bridge, stop, cancel and
//! finish. Decisions are `oi_session_core::{admission, queue, compaction}`; this part applies
//! them to the store and returns effects.
//!
//! Invariant: at most one prompt holds the sandbox (`processing` or `stopping`), it is sent
//! to the bridge only when the sandbox is `ready` and its bridge is connected, and every
//! change to the queue is broadcast as `queue_updated`.

use oi_protocol::bridge::{BridgeCommand, PromptCommand};
use oi_protocol::client::ServerMessage;
use oi_protocol::events::{EventBody, PromptFinished, PromptOutcome, UserMessage};
use oi_protocol::rest::{PromptAccepted, PromptRequest, StopAccepted};
use oi_protocol::source_control::CommitAttribution;
use oi_protocol::{ApiError, ErrorCode, PromptStatus, QueuedPrompt, SandboxStatus, User};
use oi_session_core::admission::{admit, Admission, PriorRequest};
use oi_session_core::compaction;
use oi_session_core::media::prompt_attachments;
use oi_session_core::queue::{self, decide_stop, next_to_dispatch, StopDecision};
use oi_session_core::validation::{validate_model, validate_prompt};
use worker::Result;

use super::effects::{Effect, Turn};
use super::store::{Meta, Prompt, SqlExec, Store};
use crate::http::Outcome;

fn no_session() -> ApiError {
    ApiError::new(ErrorCode::SessionNotFound, "no such session")
}

/// The unfinished prompts in run order, with their positions.
pub fn queue<S: SqlExec>(store: &Store<S>) -> Result<Vec<QueuedPrompt>> {
    let prompts = store.unfinished_prompts()?;
    let entries: Vec<_> = prompts.iter().map(Prompt::entry).collect();
    let mut out = vec![];
    for (message_id, position) in queue::positions(&entries) {
        if let Some(p) = prompts.iter().find(|p| p.message_id == message_id) {
            out.push(p.queued(position));
        }
    }
    Ok(out)
}

fn broadcast_queue<S: SqlExec>(turn: &mut Turn<S>) -> Result<()> {
    let queue = queue(turn.store)?;
    turn.emit(Effect::Broadcast(ServerMessage::QueueUpdated { queue }));
    Ok(())
}

/// Re-derives the session status from the queue and saves the summary if it changed (always
/// when `touched`, to move `updated_at`).
fn refresh_status<S: SqlExec>(turn: &mut Turn<S>, touched: bool) -> Result<()> {
    let Some(meta) = turn.store.meta()? else { return Ok(()) };
    let entries: Vec<_> = turn.store.unfinished_prompts()?.iter().map(Prompt::entry).collect();
    let status = queue::session_status(meta.summary.status, &entries, turn.store.any_prompt()?);
    if touched || status != meta.summary.status {
        let mut summary = meta.summary;
        summary.status = status;
        summary.updated_at = turn.now.max(summary.updated_at);
        turn.save_summary(&summary)?;
    }
    Ok(())
}

/// Queues a prompt (or answers a retry of one) and dispatches it if the sandbox is free.
pub fn enqueue<S: SqlExec>(turn: &mut Turn<S>, author: &User, req: &PromptRequest) -> Outcome<PromptAccepted> {
    validate_prompt(&req.text, &req.client_request_id)?;
    if let Some(model) = &req.model {
        validate_model(model)?;
    }
    let meta = turn.store.meta()?.ok_or_else(no_session)?;
    let unfinished = turn.store.unfinished_prompts()?;
    let entries: Vec<_> = unfinished.iter().map(Prompt::entry).collect();
    let prior = turn.store.prompt_by_request(&req.client_request_id)?.map(|p| PriorRequest {
        position: queue::positions(&entries).into_iter().find(|(id, _)| *id == p.message_id).map(|(_, pos)| pos),
        text: p.text,
        message_id: p.message_id,
    });
    match admit(prior.as_ref(), &req.text, queue::waiting_count(&entries), meta.summary.archived)? {
        Admission::Duplicate { message_id, position } => Ok(PromptAccepted { message_id, position, duplicate: true }),
        Admission::Accept => {
            let attachments = prompt_attachments(&req.attachments, &turn.store.unbound_attachments()?)?;
            let prompt = Prompt {
                message_id: turn.new_id("msg"),
                client_request_id: req.client_request_id.clone(),
                text: req.text.clone(),
                model: req.model.clone(),
                author: author.clone(),
                status: PromptStatus::Queued,
                created_at: turn.now,
            };
            let position = queue::position_of_new(&entries);
            turn.store.insert_prompt(&prompt)?;
            let ids: Vec<String> = attachments.into_iter().map(|m| m.media_id).collect();
            turn.store.bind_attachments(&prompt.message_id, &ids)?;
            broadcast_queue(turn)?;
            refresh_status(turn, true)?;
            dispatch_next(turn)?;
            turn.emit(Effect::LifecycleChanged);
            Ok(PromptAccepted { message_id: prompt.message_id, position, duplicate: false })
        }
    }
}

/// Who the commit of `author`'s prompt is by: them (on GitHub, their noreply address), with
/// everyone else who prompted the session as co-authors.
fn attribution<S: SqlExec>(store: &Store<S>, author: &User) -> Result<CommitAttribution> {
    let prompters: Vec<User> = store.sent_prompts()?.into_iter().map(|(a, _)| a).collect();
    Ok(oi_session_core::github::commit_attribution(author, &prompters))
}

fn prompt_command<S: SqlExec>(store: &Store<S>, meta: &Meta, prompt: &Prompt) -> Result<BridgeCommand> {
    Ok(BridgeCommand::Prompt(PromptCommand {
        message_id: prompt.message_id.clone(),
        text: prompt.text.clone(),
        author: prompt.author.clone(),
        model: prompt.model.clone().unwrap_or_else(|| meta.summary.model.clone()),
        attribution: Some(Box::new(attribution(store, &prompt.author)?)),
        attachments: store.attachments_of(&prompt.message_id)?,
    }))
}

/// Sends the next queued prompt to the bridge, if the sandbox is ready, its bridge connected
/// and nothing runs.
pub fn dispatch_next<S: SqlExec>(turn: &mut Turn<S>) -> Result<()> {
    let Some(meta) = turn.store.meta()? else { return Ok(()) };
    // Only a booted sandbox takes prompts: its bridge connects early to stream the boot, and
    // says `ready` once its agent is healthy.
    if meta.sandbox_status != SandboxStatus::Ready || !turn.bridge_connected {
        return Ok(());
    }
    let prompts = turn.store.unfinished_prompts()?;
    let entries: Vec<_> = prompts.iter().map(Prompt::entry).collect();
    let Some(next) = next_to_dispatch(&entries, true) else { return Ok(()) };
    let Some(prompt) = prompts.iter().find(|p| p.message_id == next) else { return Ok(()) };
    // If the bridge goes away before it gets this, it is sent again when it reconnects.
    turn.emit(Effect::ToBridge(prompt_command(turn.store, &meta, prompt)?));
    turn.store.set_prompt_status(&prompt.message_id, PromptStatus::Processing, turn.now)?;
    turn.store.prompt_dispatched(turn.now)?;
    turn.emit(Effect::LifecycleChanged);
    turn.record(EventBody::UserMessage(UserMessage {
        message_id: prompt.message_id.clone(),
        author: prompt.author.clone(),
        text: prompt.text.clone(),
        attachments: turn.store.attachments_of(&prompt.message_id)?,
    }))?;
    turn.set_sandbox_status(&meta, SandboxStatus::Running, None)?;
    broadcast_queue(turn)
}

/// After a bridge (re)connects: sends again the command for the prompt it holds, if any (the
/// bridge ignores a prompt it has already seen), and `stop` if one was asked for.
pub fn resend_active<S: SqlExec>(turn: &mut Turn<S>, meta: &Meta) -> Result<()> {
    for p in turn.store.unfinished_prompts()? {
        if !queue::is_active(p.status) {
            continue;
        }
        turn.emit(Effect::ToBridge(prompt_command(turn.store, meta, &p)?));
        if p.status == PromptStatus::Stopping {
            turn.emit(Effect::ToBridge(BridgeCommand::Stop { message_id: p.message_id.clone() }));
        }
    }
    Ok(())
}

/// Stops the running prompt: asks the bridge, or finishes it at once when no bridge can.
pub fn stop<S: SqlExec>(turn: &mut Turn<S>) -> Outcome<StopAccepted> {
    turn.store.meta()?.ok_or_else(no_session)?;
    let entries: Vec<_> = turn.store.unfinished_prompts()?.iter().map(Prompt::entry).collect();
    match decide_stop(&entries, turn.bridge_connected) {
        StopDecision::NothingRunning => Ok(StopAccepted { message_id: None }),
        StopDecision::AskBridge { message_id } => {
            turn.store.set_prompt_status(&message_id, PromptStatus::Stopping, turn.now)?;
            turn.emit(Effect::ToBridge(BridgeCommand::Stop { message_id: message_id.clone() }));
            broadcast_queue(turn)?;
            Ok(StopAccepted { message_id: Some(message_id) })
        }
        StopDecision::FinishNow { message_id } => {
            finish(turn, &message_id, PromptOutcome::Stopped, Some("stopped before the sandbox confirmed".into()))?;
            Ok(StopAccepted { message_id: Some(message_id) })
        }
    }
}

/// Cancels a prompt that has not started.
pub fn cancel<S: SqlExec>(turn: &mut Turn<S>, message_id: &str) -> Outcome<()> {
    let prompt = turn
        .store
        .prompt(message_id)?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no prompt {message_id:?} in this session")))?;
    if prompt.status != PromptStatus::Queued {
        return Err(ApiError::new(
            ErrorCode::PromptNotCancellable,
            "only a prompt that has not started can be cancelled; use stop for the running one",
        )
        .into());
    }
    turn.store.set_prompt_status(message_id, PromptStatus::Cancelled, turn.now)?;
    broadcast_queue(turn)?;
    refresh_status(turn, true)?;
    Ok(())
}

/// Fails a prompt that never started (its sandbox could not boot): the transcript shows it
/// with its failure.
pub fn fail_waiting<S: SqlExec>(turn: &mut Turn<S>, message_id: &str, error: &str) -> Result<()> {
    let Some(prompt) = turn.store.prompt(message_id)? else { return Ok(()) };
    turn.store.set_prompt_status(message_id, PromptStatus::Finished, turn.now)?;
    turn.record(EventBody::UserMessage(UserMessage {
        message_id: prompt.message_id.clone(),
        author: prompt.author.clone(),
        text: prompt.text.clone(),
        attachments: turn.store.attachments_of(&prompt.message_id)?,
    }))?;
    turn.record(EventBody::PromptFinished(PromptFinished {
        message_id: message_id.to_string(),
        outcome: PromptOutcome::Failed,
        error: Some(format!("the sandbox could not boot: {error}")),
    }))?;
    broadcast_queue(turn)?;
    refresh_status(turn, true)
}

/// Fails every prompt that is waiting for a sandbox.
pub fn fail_all_waiting<S: SqlExec>(turn: &mut Turn<S>, why: &str) -> Result<()> {
    for p in turn.store.unfinished_prompts()? {
        if p.status == PromptStatus::Queued {
            fail_waiting(turn, &p.message_id, why)?;
        }
    }
    Ok(())
}

/// Fails the prompt that holds the sandbox, if one does.
pub fn fail_active<S: SqlExec>(turn: &mut Turn<S>, why: &str) -> Result<()> {
    for p in turn.store.unfinished_prompts()? {
        if queue::is_active(p.status) {
            finish(turn, &p.message_id, PromptOutcome::Failed, Some(why.to_string()))?;
        }
    }
    Ok(())
}

/// Ends the active prompt: logs the outcome, compacts its events, dispatches the next one. A
/// second finish for the same prompt is ignored.
pub fn finish<S: SqlExec>(
    turn: &mut Turn<S>,
    message_id: &str,
    outcome: PromptOutcome,
    error: Option<String>,
) -> Result<()> {
    let Some(prompt) = turn.store.prompt(message_id)? else { return Ok(()) };
    if !queue::is_active(prompt.status) {
        return Ok(());
    }
    turn.store.set_prompt_status(message_id, PromptStatus::Finished, turn.now)?;
    turn.record(EventBody::PromptFinished(PromptFinished { message_id: message_id.to_string(), outcome, error }))?;
    let plan = compaction::plan(&turn.store.events_of_message(message_id)?, message_id);
    turn.store.apply_compaction(&plan)?;
    // Snapshot the sandbox once it is idle again.
    turn.store.set_snapshot_due(true)?;
    turn.emit(Effect::LifecycleChanged);
    if let Some(meta) = turn.store.meta()? {
        if meta.sandbox_status == SandboxStatus::Running {
            turn.set_sandbox_status(&meta, SandboxStatus::Ready, None)?;
        }
    }
    broadcast_queue(turn)?;
    refresh_status(turn, true)?;
    dispatch_next(turn)
}

#[cfg(test)]
#[path = "prompt_queue_tests.rs"]
mod tests;
