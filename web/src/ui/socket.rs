//! The session socket: mints a single-use token (`POST …/ws-token`), opens
//! `ws://…/api/sessions/:id/ws?token=…`, subscribes from the last event seen,
//! and reconnects with backoff when the connection drops, so the catch-up brings exactly what
//! was missed.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use leptos::prelude::{set_timeout, set_timeout_with_handle, TimeoutHandle};
use leptos::task::spawn_local;
use oi_protocol::client::{ClientMessage, ServerMessage};
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

use crate::model::connection::{reconnect_delay_ms, socket_url, Connection, CLOSE_SESSION_DELETED};

/// What the socket tells its owner.
pub struct Handlers {
    pub on_message: Box<dyn Fn(ServerMessage)>,
    pub on_connection: Box<dyn Fn(Connection)>,
    /// The `after_seq` to subscribe with.
    pub resume_from: Box<dyn Fn() -> Option<u64>>,
}

/// A live socket; [`SessionSocket::close`] ends it for good.
pub struct SessionSocket {
    inner: Rc<Inner>,
}

struct Listeners {
    _open: Closure<dyn FnMut(Event)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

struct Inner {
    session_id: String,
    url: String,
    handlers: Handlers,
    ws: RefCell<Option<(WebSocket, Listeners)>>,
    attempt: Cell<u32>,
    closed: Cell<bool>,
    retry: RefCell<Option<TimeoutHandle>>,
}

impl SessionSocket {
    pub fn connect(session_id: &str, handlers: Handlers) -> Self {
        let location = web_sys::window().expect("window").location();
        let url =
            socket_url(&location.protocol().unwrap_or_default(), &location.host().unwrap_or_default(), session_id);
        let inner = Rc::new(Inner {
            session_id: session_id.to_string(),
            url,
            handlers,
            ws: RefCell::new(None),
            attempt: Cell::new(0),
            closed: Cell::new(false),
            retry: RefCell::new(None),
        });
        (inner.handlers.on_connection)(Connection::Connecting);
        open(&inner);
        Self { inner }
    }

    /// Sends a message; false when the socket is not open (the caller may retry later).
    pub fn send(&self, message: &ClientMessage) -> bool {
        let Ok(text) = serde_json::to_string(message) else {
            return false;
        };
        match &*self.inner.ws.borrow() {
            Some((ws, _)) if ws.ready_state() == WebSocket::OPEN => ws.send_with_str(&text).is_ok(),
            _ => false,
        }
    }

    /// Closes the socket and stops reconnecting.
    pub fn close(&self) {
        self.inner.closed.set(true);
        if let Some(handle) = self.inner.retry.borrow_mut().take() {
            handle.clear();
        }
        drop_socket(&self.inner);
    }
}

impl Drop for SessionSocket {
    fn drop(&mut self) {
        self.close();
    }
}

/// Mints a token, then opens the socket with it; a failure retries with backoff.
fn open(inner: &Rc<Inner>) {
    drop_socket(inner);
    let weak = Rc::downgrade(inner);
    let session_id = inner.session_id.clone();
    spawn_local(async move {
        let grant = crate::ui::api::ws_token(&session_id).await;
        with(&weak, |inner| match grant {
            Ok(grant) => open_socket(inner, &format!("{}?token={}", inner.url, grant.token)),
            Err(_) => retry_later(inner),
        });
    });
}

fn open_socket(inner: &Rc<Inner>, url: &str) {
    drop_socket(inner);
    let ws = match WebSocket::new(url) {
        Ok(ws) => ws,
        Err(_) => return retry_later(inner),
    };
    let weak = Rc::downgrade(inner);
    let on_open = Closure::<dyn FnMut(Event)>::new({
        let weak = weak.clone();
        move |_| with(&weak, subscribe)
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let weak = weak.clone();
        move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match serde_json::from_str::<ServerMessage>(&text) {
                Ok(message) => with(&weak, |inner| (inner.handlers.on_message)(message)),
                Err(e) => leptos::logging::warn!("ignoring a frame the app does not understand: {e}"),
            }
        }
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
        with(&weak, |inner| on_closed(inner, event.code()))
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    *inner.ws.borrow_mut() = Some((ws, Listeners { _open: on_open, _message: on_message, _close: on_close }));
}

fn with(weak: &Weak<Inner>, f: impl FnOnce(&Rc<Inner>)) {
    if let Some(inner) = weak.upgrade() {
        if !inner.closed.get() {
            f(&inner);
        }
    }
}

fn subscribe(inner: &Rc<Inner>) {
    inner.attempt.set(0);
    let after_seq = (inner.handlers.resume_from)();
    let text = serde_json::to_string(&ClientMessage::Subscribe { after_seq }).expect("subscribe encodes");
    if let Some((ws, _)) = &*inner.ws.borrow() {
        let _ = ws.send_with_str(&text);
    }
}

fn on_closed(inner: &Rc<Inner>, code: u16) {
    if code == CLOSE_SESSION_DELETED {
        inner.closed.set(true);
        (inner.handlers.on_connection)(Connection::Closed { reason: "This session was deleted.".to_string() });
        return;
    }
    retry_later(inner);
}

fn retry_later(inner: &Rc<Inner>) {
    drop_socket(inner);
    let attempt = inner.attempt.get() + 1;
    inner.attempt.set(attempt);
    (inner.handlers.on_connection)(Connection::Reconnecting { attempt });
    let weak = Rc::downgrade(inner);
    let delay = Duration::from_millis(reconnect_delay_ms(attempt).into());
    let handle = set_timeout_with_handle(move || with(&weak, open), delay).ok();
    *inner.retry.borrow_mut() = handle;
}

/// Detaches and closes the current socket, if any. Its listeners are dropped on the next tick:
/// this may run inside one of them.
fn drop_socket(inner: &Inner) {
    let Some((ws, listeners)) = inner.ws.borrow_mut().take() else {
        return;
    };
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
    let _ = ws.close();
    set_timeout(move || drop(listeners), Duration::ZERO);
}
