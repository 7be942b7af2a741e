//! The prompt queue in motion: enqueue, dispatch, stop, cancel and finish.

use oi_protocol::bridge::BridgeCommand;
use oi_protocol::client::ServerMessage;
use oi_protocol::events::{EventBody, PromptFinished, PromptOutcome, SandboxStatusChanged, UserMessage};
use oi_protocol::rest::{PromptAccepted, PromptRequest, StopAccepted};
use oi_protocol::{ApiError, ErrorCode, PromptStatus, QueuedPrompt, SandboxStatus, User};
use oi_session_core::admission::{admit, Admission, PriorRequest};
use oi_session_core::compaction;
use oi_session_core::queue::{self, decide_stop, next_to_dispatch, StopDecision};
use oi_session_core::validation::{validate_model, validate_prompt};
use worker::Result;

use super::store::{Meta, Prompt};
use super::SessionObject;
use crate::http::Outcome;
use crate::ids;

impl SessionObject {
    /// Appends an event and fans it out.
    pub(super) fn record(&self, body: EventBody) -> Result<u64> {
        let (event, json) = self.store.append_event(body, ids::now_ms())?;
        self.broadcast_event_json(&json);
        Ok(event.seq)
    }

    /// The unfinished prompts in run order, with their positions.
    pub(super) fn queue(&self) -> Result<Vec<QueuedPrompt>> {
        let prompts = self.store.unfinished_prompts()?;
        let entries: Vec<_> = prompts.iter().map(Prompt::entry).collect();
        let mut out = vec![];
        for (message_id, position) in queue::positions(&entries) {
            if let Some(p) = prompts.iter().find(|p| p.message_id == message_id) {
                out.push(p.queued(position));
            }
        }
        Ok(out)
    }

    fn broadcast_queue(&self) -> Result<()> {
        self.broadcast(&ServerMessage::QueueUpdated { queue: self.queue()? });
        Ok(())
    }

    /// Re-derives the session status from the queue and saves the summary if it changed
    /// (always when `touched`, to move `updated_at`).
    fn refresh_status(&self, touched: bool) -> Result<()> {
        let Some(meta) = self.store.meta()? else { return Ok(()) };
        let entries: Vec<_> = self.store.unfinished_prompts()?.iter().map(Prompt::entry).collect();
        let status = queue::session_status(meta.summary.status, &entries, self.store.any_prompt()?);
        if touched || status != meta.summary.status {
            let mut summary = meta.summary;
            summary.status = status;
            summary.updated_at = ids::now_ms().max(summary.updated_at);
            self.save_summary(&summary)?;
        }
        Ok(())
    }

    pub(super) fn set_sandbox_status(&self, meta: &Meta, status: SandboxStatus, message: Option<String>) -> Result<()> {
        if meta.sandbox_status == status && message.is_none() {
            return Ok(());
        }
        self.store.set_sandbox_status(status)?;
        self.record(EventBody::SandboxStatus(SandboxStatusChanged {
            status,
            sandbox_id: meta.sandbox_id.clone(),
            message,
        }))?;
        Ok(())
    }

    /// Queues a prompt (or answers a retry of one) and dispatches if the sandbox is free.
    pub(super) fn enqueue(&self, author: &User, req: &PromptRequest) -> Outcome<PromptAccepted> {
        validate_prompt(&req.text, &req.client_request_id)?;
        if let Some(model) = &req.model {
            validate_model(model)?;
        }
        let meta = self.meta()?;
        let unfinished = self.store.unfinished_prompts()?;
        let entries: Vec<_> = unfinished.iter().map(Prompt::entry).collect();
        let prior = self.store.prompt_by_request(&req.client_request_id)?.map(|p| PriorRequest {
            position: queue::positions(&entries).into_iter().find(|(id, _)| *id == p.message_id).map(|(_, pos)| pos),
            text: p.text,
            message_id: p.message_id,
        });
        match admit(prior.as_ref(), &req.text, queue::waiting_count(&entries), meta.summary.archived)? {
            Admission::Duplicate { message_id, position } => {
                Ok(PromptAccepted { message_id, position, duplicate: true })
            }
            Admission::Accept => {
                let prompt = Prompt {
                    message_id: ids::new_id("msg"),
                    client_request_id: req.client_request_id.clone(),
                    text: req.text.clone(),
                    model: req.model.clone(),
                    author: author.clone(),
                    status: PromptStatus::Queued,
                    created_at: ids::now_ms(),
                };
                let position = queue::position_of_new(&entries);
                self.store.insert_prompt(&prompt)?;
                self.broadcast_queue()?;
                self.refresh_status(true)?;
                self.dispatch_next()?;
                self.lifecycle_changed();
                Ok(PromptAccepted { message_id: prompt.message_id, position, duplicate: false })
            }
        }
    }

    /// Who the commit of `author`'s prompt is by: them (on GitHub, their noreply address), with
    /// everyone else who prompted the session as co-authors.
    fn attribution(&self, author: &oi_protocol::User) -> Result<oi_protocol::source_control::CommitAttribution> {
        let prompters: Vec<oi_protocol::User> = self.store.sent_prompts()?.into_iter().map(|(a, _)| a).collect();
        Ok(oi_session_core::github::commit_attribution(author, &prompters))
    }

    /// Sends the next queued prompt to the bridge, if one is connected and nothing runs.
    pub(super) fn dispatch_next(&self) -> Result<()> {
        let Some(meta) = self.store.meta()? else { return Ok(()) };
        // Only a booted sandbox takes prompts: its bridge connects early to stream the boot,
        // and says `ready` once its agent is healthy.
        if meta.sandbox_status != SandboxStatus::Ready {
            return Ok(());
        }
        let Some(bridge) = self.bridge_socket(&meta) else {
            return Ok(());
        };
        let prompts = self.store.unfinished_prompts()?;
        let entries: Vec<_> = prompts.iter().map(Prompt::entry).collect();
        let Some(next) = next_to_dispatch(&entries, true) else {
            return Ok(());
        };
        let Some(prompt) = prompts.iter().find(|p| p.message_id == next) else {
            return Ok(());
        };
        let command = BridgeCommand::Prompt {
            message_id: prompt.message_id.clone(),
            text: prompt.text.clone(),
            author: prompt.author.clone(),
            model: prompt.model.clone().unwrap_or_else(|| meta.summary.model.clone()),
            attribution: Some(Box::new(self.attribution(&prompt.author)?)),
        };
        if self.send(&bridge, &command).is_err() {
            return Ok(()); // The bridge is going away; the prompt stays queued.
        }
        self.store.set_prompt_status(&prompt.message_id, PromptStatus::Processing, ids::now_ms())?;
        self.store.prompt_dispatched(ids::now_ms())?;
        self.lifecycle_changed();
        self.record(EventBody::UserMessage(UserMessage {
            message_id: prompt.message_id.clone(),
            author: prompt.author.clone(),
            text: prompt.text.clone(),
        }))?;
        self.set_sandbox_status(&meta, SandboxStatus::Running, None)?;
        self.broadcast_queue()
    }

    /// After a bridge (re)connects: re-sends the command for the prompt it holds, if any.
    /// The bridge ignores a prompt it has already seen, so this is safe to repeat.
    pub(super) fn resend_active(&self, meta: &Meta) -> Result<()> {
        let Some(bridge) = self.bridge_socket(meta) else {
            return Ok(());
        };
        for p in self.store.unfinished_prompts()? {
            if !queue::is_active(p.status) {
                continue;
            }
            self.send(
                &bridge,
                &BridgeCommand::Prompt {
                    message_id: p.message_id.clone(),
                    text: p.text.clone(),
                    author: p.author.clone(),
                    model: p.model.clone().unwrap_or_else(|| meta.summary.model.clone()),
                    attribution: Some(Box::new(self.attribution(&p.author)?)),
                },
            )?;
            if p.status == PromptStatus::Stopping {
                self.send(&bridge, &BridgeCommand::Stop { message_id: p.message_id.clone() })?;
            }
        }
        Ok(())
    }

    /// Stops the running prompt: asks the bridge, or finishes it at once when no bridge can.
    pub(super) fn stop(&self) -> Outcome<StopAccepted> {
        let meta = self.meta()?;
        let bridge = self.bridge_socket(&meta);
        let entries: Vec<_> = self.store.unfinished_prompts()?.iter().map(Prompt::entry).collect();
        match decide_stop(&entries, bridge.is_some()) {
            StopDecision::NothingRunning => Ok(StopAccepted { message_id: None }),
            StopDecision::AskBridge { message_id } => {
                self.store.set_prompt_status(&message_id, PromptStatus::Stopping, ids::now_ms())?;
                if let Some(bridge) = bridge {
                    let _ = self.send(&bridge, &BridgeCommand::Stop { message_id: message_id.clone() });
                }
                self.broadcast_queue()?;
                Ok(StopAccepted { message_id: Some(message_id) })
            }
            StopDecision::FinishNow { message_id } => {
                self.finish(&message_id, PromptOutcome::Stopped, Some("stopped before the sandbox confirmed".into()))?;
                Ok(StopAccepted { message_id: Some(message_id) })
            }
        }
    }

    /// Cancels a prompt that has not started.
    pub(super) fn cancel(&self, message_id: &str) -> Outcome<()> {
        let prompt = self
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
        self.store.set_prompt_status(message_id, PromptStatus::Cancelled, ids::now_ms())?;
        self.broadcast_queue()?;
        self.refresh_status(true)?;
        Ok(())
    }

    /// Fails a prompt that never started (its sandbox could not boot).
    pub(super) fn fail_waiting(&self, message_id: &str, error: &str) -> Result<()> {
        let Some(prompt) = self.store.prompt(message_id)? else {
            return Ok(());
        };
        self.store.set_prompt_status(message_id, PromptStatus::Finished, ids::now_ms())?;
        // The transcript shows the prompt with its failure.
        self.record(EventBody::UserMessage(UserMessage {
            message_id: prompt.message_id.clone(),
            author: prompt.author.clone(),
            text: prompt.text.clone(),
        }))?;
        self.record(EventBody::PromptFinished(PromptFinished {
            message_id: message_id.to_string(),
            outcome: PromptOutcome::Failed,
            error: Some(format!("the sandbox could not boot: {error}")),
        }))?;
        self.broadcast_queue()?;
        self.refresh_status(true)
    }

    /// Ends the active prompt: logs the outcome, compacts its events, starts the next one.
    /// A second finish for the same prompt is ignored.
    pub(super) fn finish(&self, message_id: &str, outcome: PromptOutcome, error: Option<String>) -> Result<()> {
        let Some(prompt) = self.store.prompt(message_id)? else {
            return Ok(());
        };
        if !queue::is_active(prompt.status) {
            return Ok(());
        }
        self.store.set_prompt_status(message_id, PromptStatus::Finished, ids::now_ms())?;
        self.record(EventBody::PromptFinished(PromptFinished { message_id: message_id.to_string(), outcome, error }))?;
        let plan = compaction::plan(&self.store.events_of_message(message_id)?, message_id);
        self.store.apply_compaction(&plan)?;
        // Snapshot the sandbox once it is idle again.
        self.store.set_snapshot_due(true)?;
        self.lifecycle_changed();
        if let Some(meta) = self.store.meta()? {
            if meta.sandbox_status == SandboxStatus::Running {
                self.set_sandbox_status(&meta, SandboxStatus::Ready, None)?;
            }
        }
        self.broadcast_queue()?;
        self.refresh_status(true)?;
        self.dispatch_next()
    }
}
