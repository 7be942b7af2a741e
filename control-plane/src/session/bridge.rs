//! The sandbox bridge's socket: authentication, hello/welcome, numbered events with
//! cumulative acknowledgement, and the agent events themselves.

use oi_protocol::bridge::{AgentEvent, BridgeCommand, BridgeMessage};
use oi_protocol::decode::decode_frame;
use oi_protocol::events::{AgentError, EventBody, Notice, NoticeLevel, PromptOutcome};
use oi_protocol::rest::SandboxAttachment;
use oi_protocol::{ApiError, ErrorCode, SandboxStatus};
use oi_session_core::bridge_ack::{classify, Delivery};
use oi_session_core::queue;
use worker::{Request, Response, Result, WebSocket, WebSocketPair};

use super::sockets::{BridgeAttachment, BRIDGE_TAG};
use super::store::Prompt;
use super::SessionObject;
use crate::http::Outcome;
use crate::ids;

/// Close code sent to a bridge whose session was deleted: shut the sandbox down.
pub const CLOSE_SESSION_DELETED: u16 = 4410;
/// Close code sent to a bridge replaced by a newer connection or sandbox.
pub const CLOSE_REPLACED: u16 = 4409;

impl SessionObject {
    /// Mints a token for a new sandbox; only its hash is kept. Any earlier bridge is closed.
    pub(super) fn attach_sandbox(&self) -> Outcome<SandboxAttachment> {
        if let Some(old) = self.meta()?.sandbox_id {
            self.terminate_sandbox(old);
        }
        let sandbox_id = ids::new_id("sbx");
        let token = ids::new_token();
        for ws in self.state.get_websockets_with_tag(BRIDGE_TAG) {
            let _ = ws.close(Some(CLOSE_REPLACED), Some("replaced by a new sandbox"));
        }
        // A prompt the old sandbox held cannot finish there any more.
        for p in self.store.unfinished_prompts()?.iter().filter(|p| queue::is_active(p.status)) {
            self.finish(&p.message_id, PromptOutcome::Failed, Some("the sandbox was replaced".into()))?;
        }
        self.store.set_sandbox(&sandbox_id, &ids::sha256_hex(&token), SandboxStatus::Spawning)?;
        self.store.sandbox_requested(ids::now_ms())?;
        self.lifecycle_changed();
        self.record(EventBody::SandboxStatus(oi_protocol::events::SandboxStatusChanged {
            status: SandboxStatus::Spawning,
            sandbox_id: Some(sandbox_id.clone()),
            message: Some("waiting for a bridge to connect".into()),
        }))?;
        Ok(SandboxAttachment { sandbox_id, token })
    }

    /// Checks the request's bearer token against the current sandbox's. A stopped sandbox's
    /// token is cleared, so it no longer passes.
    pub(super) fn check_sandbox_token(&self, req: &Request) -> Outcome<()> {
        let meta = self.meta()?;
        let token = req
            .headers()
            .get("Authorization")?
            .and_then(|h| h.strip_prefix("Bearer ").map(str::to_string))
            .ok_or_else(|| {
                ApiError::new(ErrorCode::Unauthorized, "this route needs `Authorization: Bearer <sandbox token>`")
            })?;
        let valid = meta
            .sandbox_token_hash
            .as_deref()
            .is_some_and(|hash| ids::constant_time_eq(hash, &ids::sha256_hex(&token)));
        if !valid {
            return Err(
                ApiError::new(ErrorCode::Unauthorized, "the sandbox token is not valid for this session").into()
            );
        }
        Ok(())
    }

    /// Accepts the bridge's WebSocket if its bearer token is the current sandbox's.
    pub(super) fn accept_bridge(&self, req: &Request) -> Outcome<Response> {
        self.check_sandbox_token(req)?;
        for ws in self.state.get_websockets_with_tag(BRIDGE_TAG) {
            let _ = ws.close(Some(CLOSE_REPLACED), Some("replaced by a newer connection"));
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &[BRIDGE_TAG]);
        let connection = ids::new_id("conn");
        pair.server.serialize_attachment(&BridgeAttachment { connection: connection.clone() })?;
        self.store.set_bridge_connection(Some(&connection), None)?;
        Ok(Response::from_websocket(pair.client)?)
    }

    pub(super) fn on_bridge_frame(&self, ws: &WebSocket, text: &str) -> Result<()> {
        let message: BridgeMessage = match decode_frame(text, BridgeMessage::TYPES) {
            Ok(m) => m,
            Err(e) => return self.refuse_frame(ws, e),
        };
        let Some(meta) = self.store.meta()? else {
            let _ = ws.close(Some(CLOSE_SESSION_DELETED), Some("session deleted"));
            return Ok(());
        };
        let current = ws
            .deserialize_attachment::<BridgeAttachment>()?
            .is_some_and(|a| meta.bridge_connection.as_deref() == Some(a.connection.as_str()));
        if !current {
            let _ = ws.close(Some(CLOSE_REPLACED), Some("replaced by a newer connection"));
            return Ok(());
        }
        self.store.bridge_seen(ids::now_ms(), matches!(message, BridgeMessage::Event { .. }))?;
        match message {
            BridgeMessage::Hello { sandbox_id, runtime } => {
                if meta.sandbox_id.as_deref() != Some(sandbox_id.as_str()) {
                    let error = ApiError::new(
                        ErrorCode::Forbidden,
                        format!("sandbox {sandbox_id:?} is not this session's sandbox"),
                    );
                    self.send(ws, &BridgeCommand::Error { error })?;
                    let _ = ws.close(Some(CLOSE_REPLACED), Some("not this session's sandbox"));
                    return Ok(());
                }
                self.store.set_bridge_connection(meta.bridge_connection.as_deref(), runtime.as_deref())?;
                self.send(ws, &BridgeCommand::Welcome { acked_through: meta.bridge_acked_through })?;
                self.resend_active(&meta)?;
                self.dispatch_next()
            }
            BridgeMessage::Event { id, event } => {
                if classify(meta.bridge_acked_through, id) == Delivery::Record {
                    // The acknowledgement and the event's effects are written in the same
                    // synchronous turn, so they commit together.
                    self.store.set_bridge_acked(id)?;
                    self.on_agent_event(event)?;
                    self.send(ws, &BridgeCommand::Ack { through: id })
                } else {
                    self.send(ws, &BridgeCommand::Ack { through: meta.bridge_acked_through })
                }
            }
            BridgeMessage::Heartbeat => Ok(()),
        }
    }

    fn on_agent_event(&self, event: AgentEvent) -> Result<()> {
        match event {
            AgentEvent::Ready => {
                let Some(meta) = self.store.meta()? else { return Ok(()) };
                let busy = self.store.unfinished_prompts()?.iter().any(|p| queue::is_active(p.status));
                let status = if busy { SandboxStatus::Running } else { SandboxStatus::Ready };
                self.set_sandbox_status(&meta, status, None)?;
                self.lifecycle_changed();
                self.dispatch_next()
            }
            AgentEvent::TextDelta(e) => self.record(EventBody::TextDelta(e)).map(drop),
            AgentEvent::ToolCall(e) => self.record(EventBody::ToolCall(e)).map(drop),
            AgentEvent::StepFinished(e) => self.record(EventBody::StepFinished(e)).map(drop),
            AgentEvent::Retry(e) => self.record(EventBody::Retry(e)).map(drop),
            AgentEvent::AgentError(e) => self.record(EventBody::AgentError(e)).map(drop),
            AgentEvent::Log(e) => self.record(EventBody::Log(e)).map(drop),
            AgentEvent::Notice(e) => self.record(EventBody::Notice(e)).map(drop),
            AgentEvent::Commit(e) => {
                if e.pushed && e.sha.is_some() {
                    *self.pull_request_refresh.borrow_mut() = Some(e.message_id.clone());
                }
                self.record(EventBody::Commit(e)).map(drop)
            }
            AgentEvent::PromptFinished(p) => self.finish(&p.message_id, p.outcome, p.error),
            AgentEvent::BootFailed { message } => self.on_boot_failed(message),
        }
    }

    /// Boot failed: the sandbox is marked failed first (so nothing more is dispatched to it),
    /// then the prompt it held fails, then the session.
    fn on_boot_failed(&self, message: String) -> Result<()> {
        // A boot that fails is a permanent spawn failure, for the circuit breaker.
        self.store.spawn_failed(ids::now_ms())?;
        self.lifecycle_changed();
        self.record(EventBody::AgentError(AgentError { message_id: None, message: message.clone() }))?;
        if let Some(meta) = self.store.meta()? {
            self.set_sandbox_status(&meta, SandboxStatus::Failed, Some(message.clone()))?;
        }
        // Nothing can run in this sandbox: the prompt it held and the ones waiting for it fail.
        let unfinished: Vec<Prompt> = self.store.unfinished_prompts()?;
        for p in unfinished {
            if queue::is_active(p.status) {
                self.finish(&p.message_id, PromptOutcome::Failed, Some(message.clone()))?;
            } else {
                self.fail_waiting(&p.message_id, &message)?;
            }
        }
        if let Some(meta) = self.store.meta()? {
            let mut summary = meta.summary;
            summary.status = oi_protocol::SessionStatus::Failed;
            summary.updated_at = ids::now_ms().max(summary.updated_at);
            self.save_summary(&summary)?;
        }
        self.record(EventBody::Notice(Notice {
            level: NoticeLevel::Error,
            message: format!("sandbox boot failed: {message}"),
        }))
        .map(drop)
    }
}
