//! When live events go out to clients. An event after a quiet spell goes at once, alone; events
//! that follow within [`WINDOW_MS`] of the last frame wait and go together in one `events`
//! frame when the window closes, so a busy session sends each socket one frame per window
//! instead of one per event. Clients fold either way.
//!
//! Invariant: events leave in `seq` order, and nothing else is sent to a client while events
//! wait (the caller flushes first), so no client sees a frame ahead of an earlier event.

use oi_protocol::client::RawEvent;
use oi_session_core::lifecycle::Millis;

/// How long events may wait for company.
pub const WINDOW_MS: Millis = 8;

/// What to do with an event just recorded.
#[derive(Debug)]
pub enum FanoutStep {
    /// Send these now (the event alone, after a quiet spell).
    SendNow(Vec<RawEvent>),
    /// It waits; set a timer to flush in this many milliseconds.
    ArmTimer(Millis),
    /// It waits; a timer is already set.
    Wait,
}

#[derive(Debug, Default)]
pub struct Fanout {
    pending: Vec<RawEvent>,
    last_sent_at: Option<Millis>,
    timer_armed: bool,
}

impl Fanout {
    pub fn push(&mut self, event: RawEvent, now: Millis) -> FanoutStep {
        let quiet = self.last_sent_at.is_none_or(|t| now - t >= WINDOW_MS || now < t);
        if self.pending.is_empty() && quiet {
            self.last_sent_at = Some(now);
            return FanoutStep::SendNow(vec![event]);
        }
        self.pending.push(event);
        if self.timer_armed {
            return FanoutStep::Wait;
        }
        self.timer_armed = true;
        let since = self.last_sent_at.map_or(0, |t| (now - t).max(0));
        FanoutStep::ArmTimer((WINDOW_MS - since).max(1))
    }

    /// The events waiting, to send now (the timer fired, or something else is about to be
    /// sent). The timer, if set, finds nothing.
    pub fn take(&mut self, now: Millis) -> Vec<RawEvent> {
        if !self.pending.is_empty() {
            self.last_sent_at = Some(now);
        }
        std::mem::take(&mut self.pending)
    }

    /// The timer fired: take what waits.
    pub fn timer_fired(&mut self, now: Millis) -> Vec<RawEvent> {
        self.timer_armed = false;
        self.take(now)
    }

    pub fn waiting(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64) -> RawEvent {
        serde_json::value::to_raw_value(&serde_json::json!({ "seq": seq })).unwrap()
    }

    fn seqs(events: &[RawEvent]) -> Vec<String> {
        events.iter().map(|e| e.get().to_string()).collect()
    }

    /// The step as text: `now [1]`, `timer 6`, `wait`.
    fn step(s: FanoutStep) -> String {
        match s {
            FanoutStep::SendNow(events) => format!("now {:?}", seqs(&events)),
            FanoutStep::ArmTimer(ms) => format!("timer {ms}"),
            FanoutStep::Wait => "wait".into(),
        }
    }

    fn now(seq: u64) -> String {
        step(FanoutStep::SendNow(vec![ev(seq)]))
    }

    #[test]
    fn a_quiet_session_sends_each_event_at_once() {
        let mut f = Fanout::default();
        assert_eq!(step(f.push(ev(1), 100)), now(1));
        assert_eq!(step(f.push(ev(2), 100 + WINDOW_MS)), now(2));
        assert_eq!(f.waiting(), 0);
    }

    #[test]
    fn a_burst_waits_for_the_window_and_goes_in_order() {
        let mut f = Fanout::default();
        assert_eq!(step(f.push(ev(1), 100)), now(1));
        assert_eq!(step(f.push(ev(2), 102)), step(FanoutStep::ArmTimer(WINDOW_MS - 2)));
        assert_eq!(step(f.push(ev(3), 103)), "wait");
        assert_eq!(step(f.push(ev(4), 200)), "wait", "waiting events keep later ones waiting (order)");
        assert_eq!(seqs(&f.timer_fired(108)), seqs(&[ev(2), ev(3), ev(4)]));
        assert_eq!(
            step(f.push(ev(5), 109)),
            step(FanoutStep::ArmTimer(WINDOW_MS - 1)),
            "the window runs from the last frame"
        );
    }

    #[test]
    fn a_flush_before_another_message_leaves_the_timer_nothing() {
        let mut f = Fanout::default();
        f.push(ev(1), 100);
        f.push(ev(2), 101);
        assert_eq!(seqs(&f.take(102)), seqs(&[ev(2)]));
        assert!(f.timer_fired(109).is_empty());
        assert_eq!(step(f.push(ev(3), 120)), now(3));
    }

    #[test]
    fn a_clock_that_goes_back_does_not_hold_events() {
        let mut f = Fanout::default();
        f.push(ev(1), 100);
        assert_eq!(step(f.push(ev(2), 50)), now(2));
    }
}
