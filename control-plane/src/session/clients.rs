//! The sockets' side of the object: accepting client and bridge sockets, client frames
//! (subscribe and catch up, prompts, stop, presence), bridge frames, and sockets closing.

use oi_protocol::bridge::{BridgeMessage, CLOSE_REPLACED, CLOSE_SESSION_DELETED};
use oi_protocol::client::{ClientMessage, RawServerMessage, ServerMessage};
use oi_protocol::decode::decode_frame;
use oi_protocol::limits::MAX_FRAME_BYTES;
use oi_protocol::rest::PromptRequest;
use oi_protocol::session::{PresenceStatus, SandboxState, SessionState};
use oi_protocol::{ApiError, ErrorCode, User};
use oi_session_core::frames::chunk_by_size;
use worker::{Request, Response, Result, WebSocket, WebSocketPair};

use super::inbound::may_wait;
use super::sockets::{BridgeAttachment, ClientAttachment, BRIDGE_TAG, CLIENT_TAG};
use super::store::Meta;
use super::{bridge_link, lifecycle, prompt_queue, SessionObject};
use crate::http::{Failure, Outcome};
use crate::ids;

fn bearer(req: &Request) -> Option<String> {
    req.headers().get("Authorization").ok().flatten().and_then(|h| h.strip_prefix("Bearer ").map(str::to_string))
}

impl SessionObject {
    /// The full state clients see.
    pub(super) fn session_state(&self, meta: &Meta) -> Result<SessionState> {
        let connected = self.bridge_connected();
        Ok(SessionState {
            summary: meta.summary.clone(),
            sandbox: SandboxState { status: meta.sandbox_status, sandbox_id: meta.sandbox_id.clone(), connected },
            queue: prompt_queue::queue(&self.store)?,
            last_seq: meta.last_seq,
            participants: self.sockets.borrow().participants(),
            pull_request: self.store.pull_request()?,
        })
    }

    /// Checks the request's sandbox token (`Authorization: Bearer`).
    pub(super) fn check_sandbox_token(&self, req: &Request) -> Outcome<()> {
        bridge_link::check_sandbox_token(&self.meta()?, bearer(req).as_deref())
    }

    /// Accepts a client WebSocket (hibernatable) for `user`.
    pub(super) fn accept_client(&self, user: User) -> Outcome<Response> {
        self.load_sockets();
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &[CLIENT_TAG]);
        let attachment = ClientAttachment { user, subscribed: false, presence: PresenceStatus::Active, closed: false };
        self.write_client_attachment(&pair.server, attachment)?;
        Ok(Response::from_websocket(pair.client)?)
    }

    /// Accepts the bridge's WebSocket if its bearer token is the current sandbox's; any other
    /// bridge is closed.
    pub(super) fn accept_bridge(&self, req: &Request) -> Outcome<Response> {
        self.check_sandbox_token(req)?;
        self.load_sockets();
        let others = self.sockets.borrow().all_bridges();
        for ws in others {
            let _ = ws.close(Some(CLOSE_REPLACED), Some("replaced by a newer connection"));
            self.sockets.borrow_mut().bridge_closed(&ws);
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &[BRIDGE_TAG]);
        let connection = ids::new_id("conn");
        pair.server.serialize_attachment(&BridgeAttachment { connection: connection.clone() })?;
        self.store.set_bridge_connection(Some(&connection), None)?;
        self.sockets.borrow_mut().bridge_added(&pair.server, connection);
        Ok(Response::from_websocket(pair.client)?)
    }

    /// Writes a client socket's attachment (it survives hibernation) and the cache of it.
    fn write_client_attachment(&self, ws: &WebSocket, attachment: ClientAttachment) -> Result<()> {
        ws.serialize_attachment(&attachment)?;
        self.sockets.borrow_mut().client_changed(ws, attachment);
        Ok(())
    }

    fn send_to(&self, ws: &WebSocket, message: &ServerMessage) -> Result<()> {
        let text = serde_json::to_string(message)?;
        self.sockets.borrow_mut().send_to(ws, &text, ids::now_ms());
        Ok(())
    }

    pub(super) fn on_bridge_frame(&self, ws: &WebSocket, connection: &str, text: &str) -> Result<()> {
        let message: BridgeMessage = match decode_frame(text, BridgeMessage::TYPES) {
            Ok(m) => m,
            Err(e) => return self.refuse_frame(ws, true, e),
        };
        let Some(current) = self.store.meta_field(|m| m.bridge_connection.clone())? else {
            let _ = ws.close(Some(CLOSE_SESSION_DELETED), Some("session deleted"));
            return Ok(());
        };
        if current.as_deref() != Some(connection) {
            let _ = ws.close(Some(CLOSE_REPLACED), Some("replaced by a newer connection"));
            self.sockets.borrow_mut().bridge_closed(ws);
            return Ok(());
        }
        match message {
            BridgeMessage::PreviewHead(head) => {
                let id = head.request_id.clone();
                self.previews.deliver(&id, super::previews::PreviewFrame::Head(head), false);
                Ok(())
            }
            BridgeMessage::PreviewBody(body) => {
                let (id, last) = (body.request_id.clone(), body.end || body.error.is_some());
                self.previews.deliver(&id, super::previews::PreviewFrame::Body(body), last);
                Ok(())
            }
            BridgeMessage::Event(event) if may_wait(&event.event) => self.bridge_events(vec![event]),
            BridgeMessage::Events { events } if events.iter().all(|e| may_wait(&e.event)) => self.bridge_events(events),
            other => {
                self.write_waiting_bridge_events();
                self.step(|turn| bridge_link::on_message(turn, other))
            }
        }
    }

    pub(super) async fn on_client_frame(&self, ws: &WebSocket, text: &str) -> Result<()> {
        let message: ClientMessage = match decode_frame(text, ClientMessage::TYPES) {
            Ok(m) => m,
            Err(e) => return self.refuse_frame(ws, false, e),
        };
        let Some(attachment) = self.sockets.borrow().client(ws).cloned() else { return Ok(()) };
        match message {
            ClientMessage::Subscribe { after_seq } => self.subscribe(ws, attachment, after_seq.unwrap_or(0)),
            ClientMessage::Prompt { text, client_request_id, model, attachments } => {
                let req = PromptRequest { text, client_request_id: client_request_id.clone(), model, attachments };
                match self.run(|turn| prompt_queue::enqueue(turn, &attachment.user, &req)) {
                    Ok(accepted) => self.send_to(
                        ws,
                        &ServerMessage::PromptAccepted {
                            client_request_id,
                            message_id: accepted.message_id,
                            position: accepted.position,
                        },
                    ),
                    Err(failure) => self.reply_failure(ws, failure, Some(client_request_id)),
                }
            }
            ClientMessage::CancelPrompt { message_id } => {
                match self.run(|turn| prompt_queue::cancel(turn, &message_id)) {
                    Ok(()) => Ok(()),
                    Err(failure) => self.reply_failure(ws, failure, None),
                }
            }
            ClientMessage::Stop => match self.run(prompt_queue::stop) {
                Ok(_) => Ok(()),
                Err(failure) => self.reply_failure(ws, failure, None),
            },
            ClientMessage::Typing => {
                // Someone is composing: start a sandbox early, if the session has none (within
                // the person's quota of early starts).
                let timing = crate::config::lifecycle_timing(&self.env);
                if lifecycle::typing_would_start(&self.store, ids::now_ms(), &timing)? {
                    let setting = crate::config::var(&self.env, "QUOTA_TYPING_STARTS_PER_HOUR");
                    let quota = oi_session_core::rate_limit::TYPING_STARTS.with_max_from(setting.as_deref());
                    let key = format!("typing:{}", attachment.user.id);
                    let what = "sandboxes started early this hour";
                    if crate::rate_limiter::check(&self.env, &key, quota, what).await.is_ok() {
                        self.step(lifecycle::typing)?;
                    }
                }
                self.set_presence(ws, attachment, PresenceStatus::Typing)
            }
            ClientMessage::Presence { status } => self.set_presence(ws, attachment, status),
            ClientMessage::Ping => self.send_to(ws, &ServerMessage::Pong),
        }
    }

    /// Replies with the state and every event after `after_seq`, then marks the socket live.
    /// Events still waiting in the fan-out go to the other clients first (this one gets them
    /// in its catch-up), and nothing awaits in between, so no event is missed or repeated.
    fn subscribe(&self, ws: &WebSocket, mut attachment: ClientAttachment, after_seq: u64) -> Result<()> {
        let Some(meta) = self.store.meta()? else {
            let e = ApiError::new(ErrorCode::SessionNotFound, "no such session");
            return self.reply_failure(ws, Failure::Api(e), None);
        };
        self.sockets.borrow_mut().flush(ids::now_ms());
        let was_subscribed = attachment.subscribed;
        attachment.subscribed = true;
        self.write_client_attachment(ws, attachment)?;
        let state = Box::new(self.session_state(&meta)?);
        let events = self.store.raw_events_after(after_seq)?;
        let mut chunks = chunk_by_size(events, |e| e.get().len() + 1, MAX_FRAME_BYTES).into_iter().peekable();
        let first = chunks.next().unwrap_or_default();
        let reply = RawServerMessage::Subscribed { state, events: first, complete: chunks.peek().is_none() };
        ws.send_with_str(serde_json::to_string(&reply)?)?;
        while let Some(events) = chunks.next() {
            let backlog = RawServerMessage::Backlog { events, complete: chunks.peek().is_none() };
            ws.send_with_str(serde_json::to_string(&backlog)?)?;
        }
        if !was_subscribed {
            self.broadcast_presence();
        }
        Ok(())
    }

    fn set_presence(&self, ws: &WebSocket, mut attachment: ClientAttachment, status: PresenceStatus) -> Result<()> {
        if attachment.presence != status {
            attachment.presence = status;
            self.write_client_attachment(ws, attachment)?;
            self.broadcast_presence();
        }
        Ok(())
    }

    fn broadcast_presence(&self) {
        let participants = self.sockets.borrow().participants();
        self.sockets.borrow_mut().broadcast(&ServerMessage::Presence { participants }, ids::now_ms());
    }

    /// Answers a refused client frame with its error; internal errors are logged, not shown.
    fn reply_failure(&self, ws: &WebSocket, failure: Failure, client_request_id: Option<String>) -> Result<()> {
        let error = match failure {
            Failure::Api(e) => e,
            Failure::Internal(e) => {
                worker::console_error!("internal error: {e}");
                ApiError::new(ErrorCode::Internal, "internal error; see the control-plane log")
            }
        };
        self.send_to(ws, &ServerMessage::Error { error, client_request_id })
    }

    pub(super) fn on_socket_closed(&self, ws: &WebSocket) -> Result<()> {
        self.load_sockets();
        let client = self.sockets.borrow().client(ws).cloned();
        if let Some(mut attachment) = client {
            attachment.closed = true;
            self.write_client_attachment(ws, attachment)?;
            self.broadcast_presence();
            return Ok(());
        }
        let connection = self.bridge_connection_of(ws);
        self.sockets.borrow_mut().bridge_closed(ws);
        if let Some(connection) = connection {
            if self.store.meta_field(|m| m.bridge_connection.clone())?.flatten().as_deref() == Some(&connection) {
                self.store.set_bridge_connection(None, None)?;
                // Previews in flight end now instead of waiting out their deadline.
                self.previews.fail_all();
            }
        }
        Ok(())
    }
}
