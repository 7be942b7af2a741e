//! Client sockets: subscribe and catch up, prompts, stop, presence.

use oi_protocol::client::{ClientMessage, ServerMessage};
use oi_protocol::decode::decode_frame;
use oi_protocol::limits::MAX_FRAME_BYTES;
use oi_protocol::rest::PromptRequest;
use oi_protocol::session::{PresenceStatus, SandboxState, SessionState};
use oi_protocol::User;
use oi_session_core::frames::chunk_events;
use worker::{Response, Result, WebSocket, WebSocketPair};

use super::sockets::{client_attachment, ClientAttachment, CLIENT_TAG};
use super::store::Meta;
use super::SessionObject;
use crate::http::{Failure, Outcome};

impl SessionObject {
    /// The full state clients see.
    pub(super) fn session_state(&self, meta: &Meta) -> Result<SessionState> {
        Ok(SessionState {
            summary: meta.summary.clone(),
            sandbox: SandboxState {
                status: meta.sandbox_status,
                sandbox_id: meta.sandbox_id.clone(),
                connected: self.bridge_socket(meta).is_some(),
            },
            queue: self.queue()?,
            last_seq: meta.last_seq,
            participants: self.participants(),
            pull_request: self.store.pull_request()?,
        })
    }

    /// Accepts a client WebSocket (hibernatable) for `user`.
    pub(super) fn accept_client(&self, user: User) -> Outcome<Response> {
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &[CLIENT_TAG]);
        self.write_client_attachment(
            &pair.server,
            &ClientAttachment { user, subscribed: false, presence: PresenceStatus::Active, closed: false },
        )?;
        Ok(Response::from_websocket(pair.client)?)
    }

    pub(super) fn on_client_frame(&self, ws: &WebSocket, text: &str) -> Result<()> {
        let message: ClientMessage = match decode_frame(text, ClientMessage::TYPES) {
            Ok(m) => m,
            Err(e) => return self.refuse_frame(ws, e),
        };
        let Some(mut attachment) = client_attachment(ws) else {
            return Ok(());
        };
        match message {
            ClientMessage::Subscribe { after_seq } => self.subscribe(ws, attachment, after_seq.unwrap_or(0)),
            ClientMessage::Prompt { text, client_request_id, model } => {
                let req = PromptRequest { text, client_request_id: client_request_id.clone(), model };
                match self.enqueue(&attachment.user, &req) {
                    Ok(accepted) => self.send(
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
            ClientMessage::CancelPrompt { message_id } => match self.cancel(&message_id) {
                Ok(()) => Ok(()),
                Err(failure) => self.reply_failure(ws, failure, None),
            },
            ClientMessage::Stop => match self.stop() {
                Ok(_) => Ok(()),
                Err(failure) => self.reply_failure(ws, failure, None),
            },
            ClientMessage::Typing => {
                // Someone is composing: start a sandbox early, if the session has none.
                self.store.warm_requested(crate::ids::now_ms())?;
                self.lifecycle_changed();
                self.set_presence(ws, &mut attachment, PresenceStatus::Typing)
            }
            ClientMessage::Presence { status } => self.set_presence(ws, &mut attachment, status),
            ClientMessage::Ping => self.send(ws, &ServerMessage::Pong),
        }
    }

    /// Replies with the state and every event after `after_seq`, then marks the socket live.
    /// Nothing awaits in between, so no event can fall between catch-up and live.
    fn subscribe(&self, ws: &WebSocket, mut attachment: ClientAttachment, after_seq: u64) -> Result<()> {
        let Some(meta) = self.store.meta()? else {
            return self.reply_failure(
                ws,
                Failure::Api(oi_protocol::ApiError::new(oi_protocol::ErrorCode::SessionNotFound, "no such session")),
                None,
            );
        };
        let was_subscribed = attachment.subscribed;
        attachment.subscribed = true;
        self.write_client_attachment(ws, &attachment)?;
        let state = self.session_state(&meta)?;
        let events = self.store.events_after(after_seq, None)?;
        let mut chunks = chunk_events(events, MAX_FRAME_BYTES).into_iter().peekable();
        let first = chunks.next().unwrap_or_default();
        self.send(
            ws,
            &ServerMessage::Subscribed { state: Box::new(state), events: first, complete: chunks.peek().is_none() },
        )?;
        while let Some(events) = chunks.next() {
            self.send(ws, &ServerMessage::Backlog { events, complete: chunks.peek().is_none() })?;
        }
        if !was_subscribed {
            self.broadcast_presence();
        }
        Ok(())
    }

    fn set_presence(&self, ws: &WebSocket, attachment: &mut ClientAttachment, status: PresenceStatus) -> Result<()> {
        if attachment.presence != status {
            attachment.presence = status;
            self.write_client_attachment(ws, attachment)?;
            self.broadcast_presence();
        }
        Ok(())
    }

    fn reply_failure(&self, ws: &WebSocket, failure: Failure, client_request_id: Option<String>) -> Result<()> {
        let error = match failure {
            Failure::Api(e) => e,
            Failure::Internal(e) => {
                worker::console_error!("client frame: {e}");
                oi_protocol::ApiError::new(
                    oi_protocol::ErrorCode::Internal,
                    "internal error; see the control-plane log",
                )
            }
        };
        self.send(ws, &ServerMessage::Error { error, client_request_id })
    }
}
