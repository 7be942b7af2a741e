//! The session Durable Object: one per session. It owns the session's SQLite (meta, event
//! log, prompt queue), fans events out over hibernatable WebSockets, and talks to the
//! sandbox bridge.

mod bridge;
mod clients;
mod git_proxy;
mod handlers;
mod lifecycle;
mod lifecycle_store;
mod model_proxy;
mod prompts;
mod pull_request;
mod pull_request_store;
pub mod routes;
mod schema;
mod sockets;
mod store;
mod ws_tokens;

use oi_protocol::{ApiError, ErrorCode, SessionSummary};
use worker::{durable_object, Env, Request, Response, Result, State, WebSocket, WebSocketIncomingMessage};

use crate::http::{failure_response, Outcome};
use crate::index_store;
use store::{Meta, Store};

#[durable_object]
pub struct SessionObject {
    state: State,
    env: Env,
    store: Store,
    client_cache: sockets::ClientCache,
    /// Set when a lifecycle deadline may have moved earlier; the alarm is reset at the end of
    /// the event.
    reschedule_wanted: std::cell::Cell<bool>,
    /// Set when a prompt's commit was pushed: its message id, so the session's open pull
    /// request is brought up to date (its body lists the new prompt) after the frame.
    pull_request_refresh: std::cell::RefCell<Option<String>>,
}

impl worker::DurableObject for SessionObject {
    fn new(state: State, env: Env) -> Self {
        let store = Store::new(state.storage().sql());
        if let Err(e) = store.create_schema() {
            worker::console_error!("session schema: {e}");
        }
        Self {
            state,
            env,
            store,
            client_cache: Default::default(),
            reschedule_wanted: Default::default(),
            pull_request_refresh: Default::default(),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let response = match self.handle(req).await {
            Ok(response) => Ok(response),
            Err(failure) => failure_response(failure),
        };
        self.reschedule_if_wanted().await?;
        response
    }

    async fn alarm(&self) -> Result<Response> {
        self.on_alarm().await?;
        Response::ok("ok")
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        let text = match message {
            WebSocketIncomingMessage::String(text) => text,
            WebSocketIncomingMessage::Binary(_) => {
                let e = ApiError::new(ErrorCode::BadJson, "binary frames are not accepted; send JSON text");
                return self.refuse_frame(&ws, e);
            }
        };
        if self.state.get_tags(&ws).iter().any(|t| t == sockets::BRIDGE_TAG) {
            self.on_bridge_frame(&ws, &text)?;
            self.refresh_pull_request_if_wanted().await;
        } else {
            self.on_client_frame(&ws, &text)?;
        }
        self.reschedule_if_wanted().await
    }

    async fn websocket_close(&self, ws: WebSocket, code: usize, reason: String, _was_clean: bool) -> Result<()> {
        self.on_socket_closed(&ws)?;
        // Completes the closing handshake; throws for reserved codes such as 1005.
        let _ = ws.close(Some(code as u16), Some(reason));
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.on_socket_closed(&ws)
    }
}

impl SessionObject {
    /// The session's row, or `session_not_found` (never initialized, or purged).
    fn meta(&self) -> Outcome<Meta> {
        self.store.meta()?.ok_or_else(|| ApiError::new(ErrorCode::SessionNotFound, "no such session").into())
    }

    /// Saves the summary, tells connected clients, and updates the D1 index in the
    /// background (an older update never overwrites a newer one there).
    fn save_summary(&self, summary: &SessionSummary) -> Result<()> {
        self.store.save_summary(summary)?;
        self.broadcast(&oi_protocol::client::ServerMessage::Session { summary: summary.clone() });
        let env = self.env.clone();
        let summary = summary.clone();
        self.state.wait_until(async move {
            if let Err(e) = index_store::update(&env, &summary).await {
                worker::console_error!("index update for {}: {e}", summary.id);
            }
        });
        Ok(())
    }
}
