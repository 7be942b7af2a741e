//! Socket bookkeeping: tags, attachments (which survive hibernation), fan-out and presence.

use oi_protocol::client::ServerMessage;
use oi_protocol::session::{Participant, PresenceStatus};
use oi_protocol::{ApiError, User};
use serde::{Deserialize, Serialize};
use worker::{Result, WebSocket};

use super::store::Meta;
use super::SessionObject;

pub const CLIENT_TAG: &str = "client";
pub const BRIDGE_TAG: &str = "bridge";

/// What a client socket remembers across hibernation.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BridgeAttachment {
    /// Matches `meta.bridge_connection` while this is the current bridge.
    pub connection: String,
}

pub fn client_attachment(ws: &WebSocket) -> Option<ClientAttachment> {
    ws.deserialize_attachment().ok().flatten()
}

/// The open client sockets with their attachments, kept in memory so a broadcast does not
/// read every attachment back. Memory is only a cache: after hibernation it starts empty and
/// is rebuilt from the attachments, which are the truth.
pub type ClientCache = std::cell::RefCell<Option<Vec<(WebSocket, ClientAttachment)>>>;

impl SessionObject {
    pub(super) fn clients(&self) -> Vec<(WebSocket, ClientAttachment)> {
        if let Some(cached) = self.client_cache.borrow().as_ref() {
            return cached.clone();
        }
        let fresh: Vec<_> = self
            .state
            .get_websockets_with_tag(CLIENT_TAG)
            .into_iter()
            .filter_map(|ws| client_attachment(&ws).filter(|a| !a.closed).map(|a| (ws, a)))
            .collect();
        *self.client_cache.borrow_mut() = Some(fresh.clone());
        fresh
    }

    /// Writes a client socket's attachment; every change goes through here so the cache of
    /// client sockets stays true.
    pub(super) fn write_client_attachment(&self, ws: &WebSocket, attachment: &ClientAttachment) -> Result<()> {
        ws.serialize_attachment(attachment)?;
        *self.client_cache.borrow_mut() = None;
        Ok(())
    }

    /// Sends a message to every subscribed client.
    pub(super) fn broadcast(&self, message: &ServerMessage) {
        match serde_json::to_string(message) {
            Ok(text) => self.broadcast_text(&text),
            Err(e) => worker::console_error!("serialize: {e}"),
        }
    }

    pub(super) fn broadcast_text(&self, text: &str) {
        for (ws, a) in self.clients() {
            if a.subscribed {
                let _ = ws.send_with_str(text);
            }
        }
    }

    /// Sends one event, already serialized, to every subscribed client.
    pub(super) fn broadcast_event_json(&self, event_json: &str) {
        self.broadcast_text(&format!(r#"{{"type":"event","event":{event_json}}}"#));
    }

    pub(super) fn send(&self, ws: &WebSocket, message: &impl Serialize) -> Result<()> {
        let text = serde_json::to_string(message).map_err(|e| worker::Error::RustError(e.to_string()))?;
        ws.send_with_str(text)
    }

    /// Tells the sender its frame was refused; nothing else changes.
    pub(super) fn refuse_frame(&self, ws: &WebSocket, error: ApiError) -> Result<()> {
        if self.state.get_tags(ws).iter().any(|t| t == BRIDGE_TAG) {
            self.send(ws, &oi_protocol::bridge::BridgeCommand::Error { error })
        } else {
            self.send(ws, &ServerMessage::Error { error, client_request_id: None })
        }
    }

    /// The people connected, one entry per user.
    pub(super) fn participants(&self) -> Vec<Participant> {
        let mut out: Vec<Participant> = vec![];
        for (_, a) in self.clients() {
            match out.iter_mut().find(|p| p.user.id == a.user.id) {
                Some(p) => {
                    p.connections += 1;
                    p.status = more_present(p.status, a.presence);
                }
                None => out.push(Participant { user: a.user, status: a.presence, connections: 1 }),
            }
        }
        out.sort_by(|a, b| a.user.id.cmp(&b.user.id));
        out
    }

    pub(super) fn broadcast_presence(&self) {
        self.broadcast(&ServerMessage::Presence { participants: self.participants() });
    }

    /// The current bridge's socket, if it is connected.
    pub(super) fn bridge_socket(&self, meta: &Meta) -> Option<WebSocket> {
        let current = meta.bridge_connection.as_deref()?;
        self.state.get_websockets_with_tag(BRIDGE_TAG).into_iter().find(|ws| {
            ws.deserialize_attachment::<BridgeAttachment>().ok().flatten().is_some_and(|a| a.connection == current)
        })
    }

    pub(super) fn on_socket_closed(&self, ws: &WebSocket) -> Result<()> {
        if let Some(mut a) = client_attachment(ws) {
            a.closed = true;
            self.write_client_attachment(ws, &a)?;
            self.broadcast_presence();
            return Ok(());
        }
        if let Ok(Some(a)) = ws.deserialize_attachment::<BridgeAttachment>() {
            if let Some(meta) = self.store.meta()? {
                if meta.bridge_connection.as_deref() == Some(a.connection.as_str()) {
                    self.store.set_bridge_connection(None, None)?;
                }
            }
        }
        Ok(())
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
