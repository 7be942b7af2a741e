//! The session Durable Object: one per session. Its parts own the state and return effects;
//! this file is the object's entry points and the one place effects are applied.
//!
//! - [`store`]: the session's SQLite (meta, event log, prompt queue, lifecycle, …).
//! - [`prompt_queue`]: admission, order, dispatch, stop, cancel, finish.
//! - [`bridge_link`]: the sandbox token, hello/welcome, numbered events recorded once.
//! - [`lifecycle`] (and `alarm.rs`, its provider calls): the sandbox's life from one alarm.
//! - [`sockets`]: client and bridge sockets, presence, live events.
//! - [`window`], [`inbound`] and `streaming.rs`: work that waits a few milliseconds for company
//!   (live events to clients; bridge events to the log), and the timers that take it.
//! - `clients.rs`, `handlers.rs`: client frames and REST routes, which call the parts.
//! - `model_proxy.rs`, `git_proxy.rs`, `pull_request.rs`, `ws_tokens.rs`: the session's
//!   other routes.

mod alarm;
pub mod bridge_link;
mod clients;
pub mod effects;
mod git_proxy;
mod handlers;
pub mod inbound;
pub mod internal;
pub mod lifecycle;
pub mod media;
mod media_routes;
mod model_proxy;
pub mod origin_notices;
mod origin_posts;
pub mod previews;
pub mod prompt_queue;
mod pull_request;
pub mod routes;
pub mod sockets;
pub mod store;
mod streaming;
pub mod window;
mod ws_tokens;

#[cfg(test)]
mod testing;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use oi_protocol::client::ServerMessage;
use oi_protocol::{ApiError, ErrorCode};
use wasm_bindgen::{JsCast, JsValue};
use worker::{durable_object, Env, Request, Response, Result, SqlStorage, State, WebSocket, WebSocketIncomingMessage};

use crate::http::{failure_response, Outcome};
use crate::{ids, index_store};
use effects::{Effect, Turn};
use inbound::Inbound;
use sockets::{BridgeAttachment, ClientAttachment, Socket, BRIDGE_TAG, CLIENT_TAG};
use store::{Meta, Store};
use streaming::{apply_socket_effect, SharedSockets};

/// A failure where only a `worker::Error` can go (socket handlers, the alarm).
fn worker_error(failure: crate::http::Failure) -> worker::Error {
    match failure {
        crate::http::Failure::Internal(e) => e,
        crate::http::Failure::Api(e) => worker::Error::RustError(e.message),
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A WebSocket as `send` sees it: a JS string is sent as it is, not decoded from WASM
    /// memory again for every socket.
    type JsSocket;
    #[wasm_bindgen(method, catch, js_name = send)]
    fn send_string(this: &JsSocket, data: &js_sys::JsString) -> std::result::Result<(), JsValue>;
}

impl Socket for WebSocket {
    type Frame = js_sys::JsString;

    fn frame(text: &str) -> js_sys::JsString {
        js_sys::JsString::from(text)
    }

    fn same(&self, other: &Self) -> bool {
        let a: &JsValue = self.as_ref().as_ref();
        let b: &JsValue = other.as_ref().as_ref();
        a == b
    }

    fn send_frame(&self, frame: &js_sys::JsString) -> bool {
        let socket: &JsValue = self.as_ref().as_ref();
        socket.unchecked_ref::<JsSocket>().send_string(frame).is_ok()
    }
}

#[durable_object]
pub struct SessionObject {
    state: State,
    env: Env,
    /// The store, the sockets and the bridge events waiting to be written are shared with the
    /// timers that take what waits after the object's turn ended (`streaming.rs`).
    store: Rc<Store<SqlStorage>>,
    sockets: SharedSockets,
    inbound: Rc<RefCell<Inbound>>,
    /// Set when a lifecycle deadline may have moved earlier; the alarm is reset at the end of
    /// the event.
    reschedule_wanted: Cell<bool>,
    /// Prompts whose pushed commit brings the session's open pull request up to date, after
    /// the frame.
    pull_request_refresh: RefCell<Vec<String>>,
    /// Preview answers streaming from the sandbox now (`previews.rs`).
    previews: previews::PendingPreviews,
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
            store: Rc::new(store),
            sockets: Default::default(),
            inbound: Default::default(),
            reschedule_wanted: Default::default(),
            pull_request_refresh: Default::default(),
            previews: Default::default(),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        self.write_waiting_bridge_events();
        let response = match self.handle(req).await {
            Ok(response) => Ok(response),
            Err(failure) => failure_response(failure),
        };
        self.reschedule_if_wanted().await?;
        response
    }

    async fn alarm(&self) -> Result<Response> {
        self.write_waiting_bridge_events();
        self.on_alarm().await?;
        Response::ok("ok")
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        self.load_sockets();
        let bridge_connection = self.bridge_connection_of(&ws);
        let text = match message {
            WebSocketIncomingMessage::String(text) => text,
            WebSocketIncomingMessage::Binary(_) => {
                let error = ApiError::new(ErrorCode::BadJson, "binary frames are not accepted; send JSON text");
                return self.refuse_frame(&ws, bridge_connection.is_some(), error);
            }
        };
        match bridge_connection {
            Some(connection) => {
                self.on_bridge_frame(&ws, &connection, &text)?;
                self.refresh_pull_requests().await;
            }
            None => {
                self.write_waiting_bridge_events();
                self.on_client_frame(&ws, &text).await?
            }
        }
        self.reschedule_if_wanted().await
    }

    async fn websocket_close(&self, ws: WebSocket, code: usize, reason: String, _was_clean: bool) -> Result<()> {
        self.write_waiting_bridge_events();
        self.on_socket_closed(&ws)?;
        // Completes the closing handshake; throws for reserved codes such as 1005.
        let _ = ws.close(Some(code as u16), Some(reason));
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.write_waiting_bridge_events();
        self.on_socket_closed(&ws)
    }
}

impl SessionObject {
    /// The session's row, or `session_not_found` (never initialized, or purged).
    fn meta(&self) -> Outcome<Meta> {
        self.store.meta()?.ok_or_else(|| ApiError::new(ErrorCode::SessionNotFound, "no such session").into())
    }

    /// Reads the sockets' attachments once after a wake-up.
    fn load_sockets(&self) {
        let mut sockets = self.sockets.borrow_mut();
        if !sockets.clients_loaded() {
            let clients = self
                .state
                .get_websockets_with_tag(CLIENT_TAG)
                .into_iter()
                .filter_map(|ws| ws.deserialize_attachment::<ClientAttachment>().ok().flatten().map(|a| (ws, a)))
                .collect();
            sockets.load_clients(clients);
        }
        if !sockets.bridges_loaded() {
            let bridges = self
                .state
                .get_websockets_with_tag(BRIDGE_TAG)
                .into_iter()
                .filter_map(|ws| {
                    ws.deserialize_attachment::<BridgeAttachment>().ok().flatten().map(|a| (ws, a.connection))
                })
                .collect();
            sockets.load_bridges(bridges);
        }
    }

    /// The bridge connection a socket belongs to, or `None` for a client socket. A bridge
    /// socket this object already closed is no longer cached: its attachment says.
    fn bridge_connection_of(&self, ws: &WebSocket) -> Option<String> {
        if let Some(connection) = self.sockets.borrow().bridge_connection(ws) {
            return Some(connection.to_string());
        }
        if self.sockets.borrow().client(ws).is_some() || !self.state.get_tags(ws).iter().any(|t| t == BRIDGE_TAG) {
            return None;
        }
        ws.deserialize_attachment::<BridgeAttachment>().ok().flatten().map(|a| a.connection)
    }

    /// Whether the current bridge's socket is open.
    fn bridge_connected(&self) -> bool {
        self.load_sockets();
        let current = self.store.meta_field(|m| m.bridge_connection.clone()).ok().flatten().flatten();
        self.sockets.borrow().bridge(current.as_deref()).is_some()
    }

    /// A turn for a part, now.
    fn turn(&self) -> Turn<'_, SqlStorage> {
        Turn::new(&self.store, ids::now_ms(), self.bridge_connected())
    }

    /// Runs a part in a turn and applies its effects, also when it fails (what it did before
    /// failing was written and must be told).
    fn run<T>(&self, part: impl FnOnce(&mut Turn<'_, SqlStorage>) -> Outcome<T>) -> Outcome<T> {
        let mut turn = self.turn();
        let result = part(&mut turn);
        self.apply(turn.into_effects());
        result
    }

    /// Runs a part that fails only inside (storage), in a turn, and applies its effects.
    fn step<T>(&self, part: impl FnOnce(&mut Turn<'_, SqlStorage>) -> Result<T>) -> Result<T> {
        self.run(|turn| Ok(part(turn)?)).map_err(worker_error)
    }

    /// Applies effects in order.
    fn apply(&self, effects: Vec<Effect>) {
        if effects.is_empty() {
            return;
        }
        self.load_sockets();
        let now = ids::now_ms();
        for effect in effects {
            let Some(effect) = apply_socket_effect(&self.store, &self.sockets, effect, now) else { continue };
            match effect {
                Effect::SummaryChanged(summary) => {
                    let message = ServerMessage::Session { summary: Box::new(summary.clone()) };
                    self.sockets.borrow_mut().broadcast(&message, now);
                    let env = self.env.clone();
                    self.state.wait_until(async move {
                        if let Err(e) = index_store::update(&env, &summary).await {
                            worker::console_error!("index update for {}: {e}", summary.id);
                        }
                    });
                }
                Effect::CloseBridges { code, reason } => {
                    let bridges = self.sockets.borrow().all_bridges();
                    for ws in bridges {
                        let _ = ws.close(Some(code), Some(reason));
                        self.sockets.borrow_mut().bridge_closed(&ws);
                    }
                    self.previews.fail_all();
                }
                Effect::LifecycleChanged => self.reschedule_wanted.set(true),
                Effect::RefreshPullRequest { message_id } => self.pull_request_refresh.borrow_mut().push(message_id),
                Effect::TerminateSandbox { sandbox_id } => self.terminate_sandbox(sandbox_id),
                Effect::NoticesWaiting => {
                    // The alarm is the safety net should the queue not take them now.
                    self.reschedule_wanted.set(true);
                    self.send_notices();
                }
                Effect::DeleteMedia { keys } => self.delete_media(keys),
                Effect::Recorded(_) | Effect::Broadcast(_) | Effect::ToBridge(_) => unreachable!("applied above"),
            }
        }
    }

    /// Hands the notices waiting in the store to the `JOBS` queue, in the background; what the
    /// queue does not take waits for the alarm ([`Self::notices_waiting`]).
    fn send_notices(&self) {
        let store = self.store.clone();
        let env = self.env.clone();
        self.state.wait_until(async move {
            if let Err(e) = send_waiting_notices(&store, &env).await {
                worker::console_error!("sending notices to the queue: {e}");
            }
        });
    }

    /// Whether notices wait for the queue (the alarm tries again).
    fn notices_waiting(&self) -> bool {
        self.store.unsent_notices().map(|n| !n.is_empty()).unwrap_or(false)
    }

    /// Tells the sender its frame was refused; nothing else changes.
    fn refuse_frame(&self, ws: &WebSocket, bridge: bool, error: ApiError) -> Result<()> {
        let text = if bridge {
            serde_json::to_string(&oi_protocol::bridge::BridgeCommand::Error { error })
        } else {
            serde_json::to_string(&ServerMessage::<oi_protocol::SessionEvent>::Error { error, client_request_id: None })
        }
        .expect("protocol types serialize");
        self.sockets.borrow_mut().send_to(ws, &text, ids::now_ms());
        Ok(())
    }
}

/// Sends every waiting notice to the queue, marking each sent once the queue took it.
async fn send_waiting_notices(store: &Store<SqlStorage>, env: &Env) -> Result<()> {
    for (id, json) in store.unsent_notices()? {
        let notice = serde_json::from_str(&json).map_err(|e| worker::Error::RustError(e.to_string()))?;
        crate::jobs::enqueue(env, crate::jobs::Work::Notice { notice: Box::new(notice) }).await?;
        store.notice_sent(&id)?;
    }
    Ok(())
}
