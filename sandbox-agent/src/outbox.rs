//! The bridge's outbox: numbers every event, keeps it until the Durable Object acknowledges
//! it, and gives back what must be re-sent after a reconnect. Each event reaches the log once.

use std::collections::VecDeque;

use oi_protocol::bridge::{AgentEvent, NumberedEvent};

#[derive(Debug, Default)]
pub struct Outbox {
    next_id: u64,
    /// Each event with its id and its size as JSON (to cut bursts).
    unacked: VecDeque<(u64, AgentEvent, usize)>,
    acked_through: u64,
}

impl Outbox {
    pub fn new() -> Self {
        Self { next_id: 1, ..Default::default() }
    }

    /// Numbers an event and keeps it; returns its id.
    pub fn push(&mut self, event: AgentEvent) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let size = serde_json::to_string(&event).map_or(0, |json| json.len());
        self.unacked.push_back((id, event, size));
        id
    }

    /// Everything up to `through` is recorded.
    pub fn ack(&mut self, through: u64) {
        self.acked_through = self.acked_through.max(through);
        while self.unacked.front().is_some_and(|(id, _, _)| *id <= through) {
            self.unacked.pop_front();
        }
    }

    /// After `welcome {acked_through}`: drops what was recorded and returns the rest, in
    /// order, to send again.
    pub fn resend_after(&mut self, acked_through: u64) -> Vec<(u64, AgentEvent)> {
        self.ack(acked_through);
        self.unacked.iter().map(|(id, event, _)| (*id, event.clone())).collect()
    }

    /// The unacknowledged events with an id above `id`, in order (what has not been sent on
    /// the current connection yet), as one burst: at most `max_events`, and no more than
    /// `max_bytes` of JSON unless a single event is larger.
    pub fn burst_after(&self, id: u64, max_events: usize, max_bytes: usize) -> Vec<NumberedEvent> {
        let mut burst = vec![];
        let mut bytes = 0;
        for (i, event, size) in self.unacked.iter().filter(|(i, _, _)| *i > id) {
            if burst.len() == max_events || (!burst.is_empty() && bytes + size > max_bytes) {
                break;
            }
            bytes += size;
            burst.push(NumberedEvent { id: *i, event: event.clone() });
        }
        burst
    }

    pub fn pending(&self) -> usize {
        self.unacked.len()
    }

    pub fn acked_through(&self) -> u64 {
        self.acked_through
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::events::{Notice, NoticeLevel};

    fn ev(n: u32) -> AgentEvent {
        AgentEvent::Notice(Notice { level: NoticeLevel::Info, message: n.to_string() })
    }

    #[test]
    fn resends_exactly_the_unacknowledged() {
        let mut o = Outbox::new();
        for n in 1..=5 {
            assert_eq!(o.push(ev(n)), n as u64);
        }
        o.ack(2);
        assert_eq!(o.pending(), 3);
        // The Durable Object had recorded up to 4 before the socket dropped.
        let again: Vec<u64> = o.resend_after(4).into_iter().map(|(id, _)| id).collect();
        assert_eq!(again, vec![5]);
        o.ack(3); // a late, smaller ack changes nothing
        assert_eq!(o.acked_through(), 4);
        assert_eq!(o.push(ev(6)), 6);
        o.ack(6);
        assert_eq!(o.pending(), 0);
        assert!(o.resend_after(6).is_empty());
        o.push(ev(7));
        o.push(ev(8));
        assert_eq!(o.burst_after(7, 10, 1 << 20).iter().map(|e| e.id).collect::<Vec<_>>(), vec![8]);
    }

    #[test]
    fn bursts_are_cut_by_count_and_size() {
        let mut o = Outbox::new();
        for n in 1..=5 {
            o.push(ev(n));
        }
        let ids = |burst: Vec<NumberedEvent>| burst.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(o.burst_after(0, 3, 1 << 20)), vec![1, 2, 3]);
        assert_eq!(ids(o.burst_after(3, 3, 1 << 20)), vec![4, 5]);
        let one = serde_json::to_string(&ev(1)).unwrap().len();
        assert_eq!(ids(o.burst_after(0, 10, one * 2)), vec![1, 2], "as many as fit");
        assert_eq!(ids(o.burst_after(0, 10, 1)), vec![1], "one too large still goes, alone");
    }
}
