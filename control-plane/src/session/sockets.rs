//! The session's sockets: client sockets with what each remembers (who, subscribed, presence),
//! the bridge sockets with their connection ids, presence, and the fan-out of live events.
//!
//! Invariant: memory is only a cache of the sockets' attachments (which survive hibernation);
//! it starts empty after a wake-up, is read once, and every attachment change goes through
//! here so the cache stays true. Live events reach only subscribed clients, in `seq` order,
//! and nothing else overtakes an event waiting in the fan-out.

use oi_protocol::client::{RawEvent, RawServerMessage, ServerMessage};
use oi_protocol::session::{Participant, PresenceStatus};
use oi_protocol::User;
use oi_session_core::lifecycle::Millis;
use serde::{Deserialize, Serialize};

use super::window::{Window, WindowStep};

pub const CLIENT_TAG: &str = "client";
pub const BRIDGE_TAG: &str = "bridge";

/// What a client socket remembers across hibernation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientAttachment {
    pub user: User,
    /// Live events go only to sockets that have subscribed (and so have caught up).
    pub subscribed: bool,
    pub presence: PresenceStatus,
    /// Set when the socket is closing, so it no longer counts as present.
    #[serde(default)]
    pub closed: bool,
}

/// What a bridge socket remembers across hibernation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BridgeAttachment {
    /// Matches `meta.bridge_connection` while this is the current bridge.
    pub connection: String,
}

/// A socket handle: the Worker's WebSocket, or a recording fake in tests.
pub trait Socket: Clone {
    /// A text frame made ready once to go to many sockets.
    type Frame;
    fn frame(text: &str) -> Self::Frame;
    /// Whether two handles are the same socket.
    fn same(&self, other: &Self) -> bool;
    /// Sends a frame; false when the socket is going away.
    fn send_frame(&self, frame: &Self::Frame) -> bool;
    fn send_text(&self, text: &str) -> bool {
        self.send_frame(&Self::frame(text))
    }
}

pub struct Sockets<W> {
    /// Open client sockets; `None` until read from the attachments.
    clients: Option<Vec<(W, ClientAttachment)>>,
    /// Bridge sockets with their connection ids; `None` until read from the attachments.
    bridges: Option<Vec<(W, String)>>,
    /// Live events waiting for company (`window.rs`).
    fanout: Window<RawEvent>,
}

impl<W> Default for Sockets<W> {
    fn default() -> Self {
        Self { clients: None, bridges: None, fanout: Window::default() }
    }
}

/// One frame for live events: `event` for one, `events` for several.
pub fn event_frame(mut events: Vec<RawEvent>) -> String {
    let message = if events.len() == 1 {
        RawServerMessage::Event { event: events.remove(0) }
    } else {
        RawServerMessage::Events { events }
    };
    serde_json::to_string(&message).expect("raw JSON serializes")
}

impl<W: Socket> Sockets<W> {
    pub fn clients_loaded(&self) -> bool {
        self.clients.is_some()
    }

    /// The client sockets read from their attachments (after a wake-up).
    pub fn load_clients(&mut self, clients: Vec<(W, ClientAttachment)>) {
        self.clients = Some(clients.into_iter().filter(|(_, a)| !a.closed).collect());
    }

    pub fn bridges_loaded(&self) -> bool {
        self.bridges.is_some()
    }

    pub fn load_bridges(&mut self, bridges: Vec<(W, String)>) {
        self.bridges = Some(bridges);
    }

    /// Forgets everything (the session was deleted and its sockets closed).
    pub fn clear(&mut self) {
        self.clients = Some(vec![]);
        self.bridges = Some(vec![]);
        self.fanout = Window::default();
    }

    /// A client socket's attachment changed (a new socket, or a closing one, which leaves).
    pub fn client_changed(&mut self, ws: &W, attachment: ClientAttachment) {
        let clients = self.clients.get_or_insert_with(Vec::new);
        clients.retain(|(w, _)| !w.same(ws));
        if !attachment.closed {
            clients.push((ws.clone(), attachment));
        }
    }

    pub fn client(&self, ws: &W) -> Option<&ClientAttachment> {
        self.clients.as_ref()?.iter().find(|(w, _)| w.same(ws)).map(|(_, a)| a)
    }

    pub fn any_client(&self) -> bool {
        self.clients.as_ref().is_some_and(|c| !c.is_empty())
    }

    /// The people connected, one entry per user, by id.
    pub fn participants(&self) -> Vec<Participant> {
        let mut out: Vec<Participant> = vec![];
        for (_, a) in self.clients.iter().flatten() {
            match out.iter_mut().find(|p| p.user.id == a.user.id) {
                Some(p) => {
                    p.connections += 1;
                    p.status = more_present(p.status, a.presence);
                }
                None => out.push(Participant { user: a.user.clone(), status: a.presence, connections: 1 }),
            }
        }
        out.sort_by(|a, b| a.user.id.cmp(&b.user.id));
        out
    }

    // ----- bridges -----

    pub fn bridge_added(&mut self, ws: &W, connection: String) {
        self.bridges.get_or_insert_with(Vec::new).push((ws.clone(), connection));
    }

    pub fn bridge_closed(&mut self, ws: &W) {
        if let Some(bridges) = self.bridges.as_mut() {
            bridges.retain(|(w, _)| !w.same(ws));
        }
    }

    /// The connection id of a bridge socket, if known.
    pub fn bridge_connection(&self, ws: &W) -> Option<&str> {
        self.bridges.as_ref()?.iter().find(|(w, _)| w.same(ws)).map(|(_, c)| c.as_str())
    }

    /// The socket of the current bridge connection, if it is open.
    pub fn bridge(&self, current: Option<&str>) -> Option<&W> {
        let current = current?;
        self.bridges.as_ref()?.iter().find(|(_, c)| c == current).map(|(w, _)| w)
    }

    /// Every bridge socket (to close them).
    pub fn all_bridges(&self) -> Vec<W> {
        self.bridges.iter().flatten().map(|(w, _)| w.clone()).collect()
    }

    // ----- sending -----

    /// A live event: sent now, or held for the window. Returns the delay of a timer to set.
    pub fn event(&mut self, event: RawEvent, now: Millis) -> Option<Millis> {
        match self.fanout.push(event, now) {
            WindowStep::Now(events) => {
                self.send_subscribed(&event_frame(events));
                None
            }
            WindowStep::ArmTimer(delay) => Some(delay),
            WindowStep::Wait => None,
        }
    }

    /// Sends the events waiting in the fan-out, if any.
    pub fn flush(&mut self, now: Millis) {
        let events = self.fanout.take(now);
        if !events.is_empty() {
            self.send_subscribed(&event_frame(events));
        }
    }

    /// The fan-out's timer fired.
    pub fn timer_fired(&mut self, now: Millis) {
        let events = self.fanout.timer_fired(now);
        if !events.is_empty() {
            self.send_subscribed(&event_frame(events));
        }
    }

    /// A message to every subscribed client, after the events that wait.
    pub fn broadcast(&mut self, message: &ServerMessage, now: Millis) {
        self.flush(now);
        match serde_json::to_string(message) {
            Ok(text) => self.send_subscribed(&text),
            Err(e) => worker::console_error!("serialize: {e}"),
        }
    }

    /// A frame to one client socket, after the events that wait.
    pub fn send_to(&mut self, ws: &W, text: &str, now: Millis) -> bool {
        self.flush(now);
        ws.send_text(text)
    }

    fn send_subscribed(&self, text: &str) {
        let frame = W::frame(text);
        for (ws, a) in self.clients.iter().flatten() {
            if a.subscribed {
                ws.send_frame(&frame);
            }
        }
    }
}

/// Of two presence states, the one that says more about the person.
fn more_present(a: PresenceStatus, b: PresenceStatus) -> PresenceStatus {
    let rank = |s: PresenceStatus| match s {
        PresenceStatus::Typing => 2,
        PresenceStatus::Active => 1,
        PresenceStatus::Idle => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

#[cfg(test)]
#[path = "sockets_tests.rs"]
pub mod tests;
