//! The bridge's outbox: numbers every event, keeps it until the Durable Object acknowledges
//! it, and gives back what must be re-sent after a reconnect. Each event reaches the log once.

use std::collections::VecDeque;

use oi_protocol::bridge::AgentEvent;

#[derive(Debug, Default)]
pub struct Outbox {
    next_id: u64,
    unacked: VecDeque<(u64, AgentEvent)>,
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
        self.unacked.push_back((id, event));
        id
    }

    /// Everything up to `through` is recorded.
    pub fn ack(&mut self, through: u64) {
        self.acked_through = self.acked_through.max(through);
        while self.unacked.front().is_some_and(|(id, _)| *id <= through) {
            self.unacked.pop_front();
        }
    }

    /// After `welcome {acked_through}`: drops what was recorded and returns the rest, in
    /// order, to send again.
    pub fn resend_after(&mut self, acked_through: u64) -> Vec<(u64, AgentEvent)> {
        self.ack(acked_through);
        self.unacked.iter().cloned().collect()
    }

    /// The unacknowledged events with an id above `id`, in order (what has not been sent on
    /// the current connection yet).
    pub fn after(&self, id: u64) -> Vec<(u64, AgentEvent)> {
        self.unacked.iter().filter(|(i, _)| *i > id).cloned().collect()
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
        assert_eq!(o.after(7).iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![8]);
    }
}
