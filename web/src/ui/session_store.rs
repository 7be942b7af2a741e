//! One open session in the page: the socket, the [`SessionModel`] it feeds, and the signals the
//! components read. Streaming events are folded at once but shown in batches (at most one
//! repaint every 40 ms), so a fast stream does not re-render the page for every token.

use std::collections::HashMap;
use std::time::Duration;

use leptos::prelude::*;
use oi_protocol::client::{ClientMessage, ServerMessage};
use oi_protocol::source_control::PullRequest;
use oi_protocol::transcript::Transcript;
use oi_protocol::{ApiError, SessionState};

use super::socket::{Handlers, SessionSocket};
use crate::model::connection::Connection;
use crate::model::pull_request;
use crate::model::session::{Applied, SessionModel, ToolTimes};

const FLUSH_EVERY: Duration = Duration::from_millis(40);

#[derive(Clone, Copy)]
pub struct SessionStore {
    pub id: StoredValue<String>,
    model: StoredValue<SessionModel>,
    pub transcript: RwSignal<Transcript>,
    pub state: RwSignal<Option<SessionState>>,
    pub tool_times: RwSignal<HashMap<String, ToolTimes>>,
    pub connection: RwSignal<Connection>,
    /// Set when the catch-up repeated or reordered an event (it never should).
    pub sync_error: RwSignal<Option<String>>,
    /// The last frame the server refused (a cancel of a prompt that already started, …).
    pub refused: RwSignal<Option<ApiError>>,
    socket: StoredValue<Option<SessionSocket>, LocalStorage>,
    flush_pending: StoredValue<bool>,
}

impl SessionStore {
    /// Opens the session's socket; it closes when the current reactive owner is cleaned up.
    pub fn open(id: String, initial: SessionState) -> Self {
        let store = Self {
            id: StoredValue::new(id.clone()),
            model: StoredValue::new(SessionModel::new()),
            transcript: RwSignal::new(Transcript::default()),
            state: RwSignal::new(Some(initial)),
            tool_times: RwSignal::new(HashMap::new()),
            connection: RwSignal::new(Connection::Connecting),
            sync_error: RwSignal::new(None),
            refused: RwSignal::new(None),
            socket: StoredValue::new_local(None),
            flush_pending: StoredValue::new(false),
        };
        let socket = SessionSocket::connect(
            &id,
            Handlers {
                on_message: Box::new(move |m| store.on_message(m)),
                on_connection: Box::new(move |c| store.connection.set(c)),
                resume_from: Box::new(move || store.model.with_value(SessionModel::resume_from)),
            },
        );
        store.socket.set_value(Some(socket));
        on_cleanup(move || store.close());
        store
    }

    /// Sends a frame; false when the socket is down (it is reconnecting).
    pub fn send(&self, message: ClientMessage) -> bool {
        self.socket.try_with_value(|s| s.as_ref().is_some_and(|s| s.send(&message))).unwrap_or(false)
    }

    /// Shows the pull request the server answered with, before its event arrives.
    pub fn set_pull_request(&self, pr: &PullRequest) {
        let subscribed = self.model.try_update_value(|m| {
            m.set_pull_request(pr);
            m.state().is_some()
        });
        match subscribed {
            Some(true) => self.flush(),
            // Not subscribed yet: the page still shows the state it loaded.
            Some(false) => self.state.update(|s| {
                if let Some(s) = s {
                    s.pull_request = pull_request::reduce(s.pull_request.take(), pr);
                }
            }),
            None => {}
        }
    }

    fn close(&self) {
        if let Some(Some(socket)) = self.socket.try_update_value(Option::take) {
            socket.close();
        }
    }

    fn on_message(&self, message: ServerMessage) {
        let Some(applied) = self.model.try_update_value(|m| m.apply(message)) else {
            return;
        };
        match applied {
            Applied::Nothing | Applied::PromptAccepted { .. } => {}
            Applied::Changed => self.schedule_flush(),
            Applied::CaughtUp => {
                self.flush();
                self.connection.set(Connection::Live);
            }
            Applied::Refused { error, .. } => self.refused.set(Some(error)),
        }
    }

    fn schedule_flush(&self) {
        if self.flush_pending.try_get_value() != Some(false) {
            return; // already scheduled, or the page is gone
        }
        self.flush_pending.set_value(true);
        let store = *self;
        set_timeout(move || store.flush(), FLUSH_EVERY);
    }

    /// Shows what the model holds now.
    fn flush(&self) {
        if self.flush_pending.try_update_value(|p| *p = false).is_none() {
            return; // the page is gone
        }
        let follow = super::scroll::near_bottom();
        self.model.with_value(|m| {
            self.transcript.set(m.transcript());
            self.state.set(m.state().cloned().or_else(|| self.state.get_untracked()));
            if self.tool_times.with_untracked(|t| t != m.tool_times()) {
                self.tool_times.set(m.tool_times().clone());
            }
            if let Some(e) = m.sync_error() {
                self.sync_error.set(Some(e.to_string()));
            }
        });
        if follow {
            super::scroll::to_bottom_soon();
        }
    }
}
