//! What happens after the object's turn: bridge events that waited are written, and live events
//! that waited go out to the clients, each when its window closes (`window.rs`). The timers
//! share the store and the sockets with the object.
//!
//! Invariant: a timer only writes bridge events that append to the log, sends, and
//! acknowledges; everything else happens in the object's own turns, which first write what
//! waits.

use std::cell::RefCell;
use std::rc::Rc;

use oi_protocol::bridge::{BridgeMessage, NumberedEvent};
use oi_session_core::lifecycle::Millis;
use worker::{Result, SqlStorage, WebSocket};

use super::effects::{Effect, Turn};
use super::sockets::{Socket, Sockets};
use super::store::Store;
use super::window::WindowStep;
use super::{bridge_link, SessionObject};
use crate::ids;

pub type SharedSockets = Rc<RefCell<Sockets<WebSocket>>>;

impl SessionObject {
    /// New bridge events that only append to the log: written now after a quiet spell, else
    /// when the window closes (`inbound.rs`).
    pub(super) fn bridge_events(&self, events: Vec<NumberedEvent>) -> Result<()> {
        let acked = self.store.bridge_acked_through()?;
        let now = ids::now_ms();
        let step = self.inbound.borrow_mut().push(events, acked, now);
        match step {
            WindowStep::Now(events) => write_bridge_events(&self.store, &self.sockets, events, now),
            WindowStep::ArmTimer(delay) => {
                let (store, sockets, inbound) = (self.store.clone(), self.sockets.clone(), self.inbound.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    sleep(delay).await;
                    let now = ids::now_ms();
                    let events = inbound.borrow_mut().timer_fired(now);
                    if !events.is_empty() {
                        write_bridge_events(&store, &sockets, events, now);
                    }
                });
            }
            WindowStep::Wait => {}
        }
        Ok(())
    }

    /// Writes the bridge events that wait, before the object does anything else.
    pub(super) fn write_waiting_bridge_events(&self) {
        let now = ids::now_ms();
        let events = self.inbound.borrow_mut().take(now);
        if !events.is_empty() {
            self.load_sockets();
            write_bridge_events(&self.store, &self.sockets, events, now);
        }
    }
}

async fn sleep(ms: Millis) {
    worker::Delay::from(std::time::Duration::from_millis(ms.max(1) as u64)).await;
}

/// Applies the effects that only touch the clients and the bridge (all a stream of bridge
/// events has), and hands back any other.
pub fn apply_socket_effect(
    store: &Store<SqlStorage>,
    sockets: &SharedSockets,
    effect: Effect,
    now: Millis,
) -> Option<Effect> {
    match effect {
        Effect::Recorded(event) => {
            let timer = sockets.borrow_mut().event(event, now);
            if let Some(delay) = timer {
                let sockets = sockets.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    sleep(delay).await;
                    sockets.borrow_mut().timer_fired(ids::now_ms());
                });
            }
        }
        Effect::Broadcast(message) => sockets.borrow_mut().broadcast(&message, now),
        Effect::ToBridge(command) => {
            let current = store.meta_field(|m| m.bridge_connection.clone()).ok().flatten().flatten();
            if let Some(ws) = sockets.borrow().bridge(current.as_deref()) {
                ws.send_text(&serde_json::to_string(&command).expect("protocol types serialize"));
            }
        }
        other => return Some(other),
    }
    None
}

/// Writes bridge events that only append to the log, in one turn: recorded, sent to the
/// clients together, acknowledged once.
fn write_bridge_events(store: &Store<SqlStorage>, sockets: &SharedSockets, events: Vec<NumberedEvent>, now: Millis) {
    let mut turn = Turn::new(store, now, true);
    if let Err(e) = bridge_link::on_message(&mut turn, BridgeMessage::Events { events }) {
        worker::console_error!("recording bridge events: {e}");
    }
    for effect in turn.into_effects() {
        if let Some(other) = apply_socket_effect(store, sockets, effect, now) {
            worker::console_error!("a bridge event that waited had an effect it may not have: {other:?}");
        }
    }
    sockets.borrow_mut().flush(now);
}
