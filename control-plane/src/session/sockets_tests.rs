//! The sockets part with recording fakes: who gets what, in which order.

use std::cell::RefCell;
use std::rc::Rc;

use oi_protocol::client::ServerMessage;
use oi_protocol::events::{EventBody, Notice, NoticeLevel};
use oi_protocol::session::PresenceStatus;
use oi_protocol::SessionEvent;

use super::*;
use crate::session::testing::person;
use crate::session::window::WINDOW_MS;

/// A socket that records what it was sent.
#[derive(Clone)]
pub struct FakeSocket {
    id: u32,
    sent: Rc<RefCell<Vec<String>>>,
}

impl FakeSocket {
    pub fn new(id: u32) -> Self {
        Self { id, sent: Rc::default() }
    }

    /// Each frame's `type` (and, for events, their seqs).
    fn frames(&self) -> Vec<String> {
        self.sent
            .borrow()
            .iter()
            .map(|text| match serde_json::from_str::<ServerMessage>(text).unwrap() {
                ServerMessage::Event { event } => format!("event {}", event.seq),
                ServerMessage::Events { events } => {
                    format!("events {:?}", events.iter().map(|e| e.seq).collect::<Vec<_>>())
                }
                other => other.kind().to_string(),
            })
            .collect()
    }
}

impl Socket for FakeSocket {
    type Frame = String;

    fn frame(text: &str) -> String {
        text.to_string()
    }

    fn same(&self, other: &Self) -> bool {
        self.id == other.id
    }

    fn send_frame(&self, frame: &String) -> bool {
        self.sent.borrow_mut().push(frame.clone());
        true
    }
}

fn client(name: &str, subscribed: bool) -> ClientAttachment {
    ClientAttachment { user: person(name), subscribed, presence: PresenceStatus::Active, closed: false }
}

fn event(seq: u64) -> oi_protocol::client::RawEvent {
    let event =
        SessionEvent { seq, at: 0, body: EventBody::Notice(Notice { level: NoticeLevel::Info, message: "x".into() }) };
    serde_json::value::to_raw_value(&event).unwrap()
}

#[test]
fn live_events_reach_subscribed_clients_coalesced_and_in_order() {
    let (live, joining) = (FakeSocket::new(1), FakeSocket::new(2));
    let mut sockets = Sockets::default();
    sockets.load_clients(vec![(live.clone(), client("Ada", true)), (joining.clone(), client("Grace", false))]);
    assert_eq!(sockets.event(event(1), 100), None, "a quiet session sends at once");
    assert_eq!(sockets.event(event(2), 101), Some(WINDOW_MS - 1), "a burst waits for the window");
    assert_eq!(sockets.event(event(3), 102), None);
    sockets.broadcast(&ServerMessage::QueueUpdated { queue: vec![] }, 103);
    sockets.event(event(4), 104);
    sockets.timer_fired(100 + WINDOW_MS);
    sockets.timer_fired(100 + 2 * WINDOW_MS);
    assert_eq!(live.frames(), ["event 1", "events [2, 3]", "queue_updated", "event 4"]);
    assert!(joining.frames().is_empty(), "nothing before it subscribes");
}

#[test]
fn presence_is_one_entry_per_person_and_closed_sockets_leave() {
    let (a1, a2, g) = (FakeSocket::new(1), FakeSocket::new(2), FakeSocket::new(3));
    let mut sockets = Sockets::default();
    sockets.load_clients(vec![(a1.clone(), client("Ada", true)), (g.clone(), client("Grace", true))]);
    let typing = ClientAttachment { presence: PresenceStatus::Typing, ..client("Ada", true) };
    sockets.client_changed(&a2, typing);
    let people: Vec<(String, u32, PresenceStatus)> =
        sockets.participants().into_iter().map(|p| (p.user.name, p.connections, p.status)).collect();
    assert_eq!(
        people,
        [("Ada".to_string(), 2, PresenceStatus::Typing), ("Grace".to_string(), 1, PresenceStatus::Active)]
    );
    sockets.client_changed(&g, ClientAttachment { closed: true, ..client("Grace", true) });
    assert_eq!(sockets.participants().len(), 1);
    assert!(sockets.client(&g).is_none());
}

#[test]
fn the_current_bridge_is_found_by_its_connection() {
    let (old, new) = (FakeSocket::new(1), FakeSocket::new(2));
    let mut sockets: Sockets<FakeSocket> = Sockets::default();
    sockets.load_bridges(vec![(old.clone(), "conn_old".into())]);
    sockets.bridge_added(&new, "conn_new".into());
    assert_eq!(sockets.bridge_connection(&old), Some("conn_old"));
    assert!(sockets.bridge(Some("conn_new")).is_some_and(|w| w.same(&new)));
    sockets.bridge_closed(&new);
    assert!(sockets.bridge(Some("conn_new")).is_none());
    assert!(sockets.bridge(None).is_none());
}
