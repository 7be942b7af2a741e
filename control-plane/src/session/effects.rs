//! What the session's parts ask the Durable Object to do beyond their own SQLite, and the
//! [`Turn`] they do it in.
//!
//! Invariant: a part changes the store and returns effects; it never sends, closes, fetches or
//! sets the alarm itself. `mod.rs` applies the effects in the order they were emitted, after
//! the part returns, so everything a part wrote commits before anything leaves the object.

use oi_protocol::bridge::BridgeCommand;
use oi_protocol::client::{RawEvent, ServerMessage};
use oi_protocol::events::{EventBody, Notice, NoticeLevel, SandboxStatusChanged};
use oi_protocol::{SandboxStatus, SessionSummary};
use oi_session_core::lifecycle::Millis;
use worker::Result;

use super::origin_notices;
use super::store::{Meta, SqlExec, Store};
use crate::ids;

#[derive(Debug)]
pub enum Effect {
    /// An event was appended to the log: fan it out to every subscribed client.
    Recorded(RawEvent),
    /// A message to every subscribed client.
    Broadcast(ServerMessage),
    /// The session's summary changed: tell clients and copy it to the D1 index.
    SummaryChanged(SessionSummary),
    /// A command to the current bridge, if one is connected.
    ToBridge(BridgeCommand),
    /// Close every bridge socket.
    CloseBridges { code: u16, reason: &'static str },
    /// A lifecycle deadline may have moved earlier: set the alarm again.
    LifecycleChanged,
    /// A prompt's commit was pushed: bring the session's open pull request up to date.
    RefreshPullRequest { message_id: String },
    /// Ask the provider to terminate a sandbox, in the background.
    TerminateSandbox { sandbox_id: String },
    /// Notices for the session's origin were kept: send them to the queue.
    NoticesWaiting,
    /// Delete these keys' bytes from the `MEDIA` bucket, in the background.
    DeleteMedia { keys: Vec<String> },
}

/// One synchronous turn of the Durable Object: the store, the time, what the sockets say, and
/// the effects emitted so far.
pub struct Turn<'a, S> {
    pub store: &'a Store<S>,
    pub now: Millis,
    /// Whether the current bridge's socket is connected.
    pub bridge_connected: bool,
    effects: Vec<Effect>,
}

impl<'a, S: SqlExec> Turn<'a, S> {
    pub fn new(store: &'a Store<S>, now: Millis, bridge_connected: bool) -> Self {
        Self { store, now, bridge_connected, effects: vec![] }
    }

    pub fn emit(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    pub fn into_effects(self) -> Vec<Effect> {
        self.effects
    }

    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// A time-ordered id made now.
    pub fn new_id(&self, prefix: &str) -> String {
        ids::new_id_at(prefix, self.now)
    }

    /// Appends an event to the log and fans it out; returns its `seq`.
    pub fn record(&mut self, body: EventBody) -> Result<u64> {
        let news = origin_notices::may_concern(&body).then(|| body.clone());
        let (seq, json) = self.store.append_event(body, self.now)?;
        self.emit(Effect::Recorded(json));
        if let Some(body) = news {
            origin_notices::observe(self, &body)?;
        }
        Ok(seq)
    }

    /// Appends bridge events together (one insert per chunk, one update) with the bridge's
    /// acknowledged position, and fans them out.
    pub fn record_all_acked(&mut self, bodies: Vec<EventBody>, through: u64) -> Result<()> {
        let news: Vec<EventBody> = bodies.iter().filter(|b| origin_notices::may_concern(b)).cloned().collect();
        for json in self.store.append_events(bodies, self.now, through)? {
            self.emit(Effect::Recorded(json));
        }
        for body in &news {
            origin_notices::observe(self, body)?;
        }
        Ok(())
    }

    pub fn notice(&mut self, level: NoticeLevel, message: impl Into<String>) -> Result<()> {
        self.record(EventBody::Notice(Notice { level, message: message.into() })).map(drop)
    }

    /// Saves the summary and tells everyone (clients now, the D1 index in the background).
    pub fn save_summary(&mut self, summary: &SessionSummary) -> Result<()> {
        self.store.save_summary(summary)?;
        self.emit(Effect::SummaryChanged(summary.clone()));
        Ok(())
    }

    /// Moves the sandbox to `status`, logged as a `sandbox_status` event (also when only the
    /// message is new).
    pub fn set_sandbox_status(&mut self, meta: &Meta, status: SandboxStatus, message: Option<String>) -> Result<()> {
        if meta.sandbox_status == status && message.is_none() {
            return Ok(());
        }
        self.store.set_sandbox_status(status)?;
        self.record(EventBody::SandboxStatus(SandboxStatusChanged {
            status,
            sandbox_id: meta.sandbox_id.clone(),
            message,
            preview_ports: Vec::new(),
        }))
        .map(drop)
    }

    /// The sandbox is ready (or running the prompt it holds), logged with the ports it lists
    /// for previews (always, when it lists some, so the page learns them).
    pub fn sandbox_ready(&mut self, meta: &Meta, status: SandboxStatus, preview_ports: Vec<u16>) -> Result<()> {
        if preview_ports.is_empty() {
            return self.set_sandbox_status(meta, status, None);
        }
        self.store.set_sandbox_status(status)?;
        self.record(EventBody::SandboxStatus(SandboxStatusChanged {
            status,
            sandbox_id: meta.sandbox_id.clone(),
            message: None,
            preview_ports,
        }))
        .map(drop)
    }

    /// The current sandbox's status event, with its id.
    pub fn sandbox_event(&mut self, status: SandboxStatus, sandbox_id: Option<String>, message: String) -> Result<()> {
        self.record(EventBody::SandboxStatus(SandboxStatusChanged {
            status,
            sandbox_id,
            message: Some(message),
            preview_ports: Vec::new(),
        }))
        .map(drop)
    }
}
