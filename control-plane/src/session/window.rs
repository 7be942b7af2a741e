//! A short window in which work waits for company: an item after a quiet spell is handled at
//! once, alone; items that follow within [`WINDOW_MS`] of the last batch wait and are handled
//! together when the window closes. A busy session so does per window what it would do per
//! item. Two users: live events to clients (one `events` frame per socket per window, clients
//! fold either way) and bridge events to the log (one write and one `ack` per window).
//!
//! Invariant: items leave in the order they came, and the caller takes what waits before it
//! does anything else with the same sockets or the same log, so nothing overtakes them.

use oi_session_core::lifecycle::Millis;

/// How long items may wait for company.
pub const WINDOW_MS: Millis = 8;

/// What to do with an item just pushed.
#[derive(Debug)]
pub enum WindowStep<T> {
    /// Handle these now (after a quiet spell).
    Now(Vec<T>),
    /// They wait; set a timer to take them in this many milliseconds.
    ArmTimer(Millis),
    /// They wait; a timer is already set.
    Wait,
}

#[derive(Debug)]
pub struct Window<T> {
    pending: Vec<T>,
    last_sent_at: Option<Millis>,
    timer_armed: bool,
}

impl<T> Default for Window<T> {
    fn default() -> Self {
        Self { pending: vec![], last_sent_at: None, timer_armed: false }
    }
}

impl<T> Window<T> {
    pub fn push(&mut self, item: T, now: Millis) -> WindowStep<T> {
        self.push_all(vec![item], now)
    }

    /// Several items that came together (one frame).
    pub fn push_all(&mut self, items: Vec<T>, now: Millis) -> WindowStep<T> {
        let quiet = self.last_sent_at.is_none_or(|t| now - t >= WINDOW_MS || now < t);
        if self.pending.is_empty() && quiet {
            self.last_sent_at = Some(now);
            return WindowStep::Now(items);
        }
        self.pending.extend(items);
        if self.timer_armed {
            return WindowStep::Wait;
        }
        self.timer_armed = true;
        let since = self.last_sent_at.map_or(0, |t| (now - t).max(0));
        WindowStep::ArmTimer((WINDOW_MS - since).max(1))
    }

    /// The items waiting, to handle now (the timer fired, or something else is about to
    /// happen). The timer, if set, finds nothing.
    pub fn take(&mut self, now: Millis) -> Vec<T> {
        if !self.pending.is_empty() {
            self.last_sent_at = Some(now);
        }
        std::mem::take(&mut self.pending)
    }

    /// The timer fired: take what waits.
    pub fn timer_fired(&mut self, now: Millis) -> Vec<T> {
        self.timer_armed = false;
        self.take(now)
    }

    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    /// The newest item waiting.
    pub fn last(&self) -> Option<&T> {
        self.pending.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Fanout = Window<u64>;

    fn ev(seq: u64) -> u64 {
        seq
    }

    fn seqs(events: &[u64]) -> Vec<u64> {
        events.to_vec()
    }

    /// The step as text: `now [1]`, `timer 6`, `wait`.
    fn step(s: WindowStep<u64>) -> String {
        match s {
            WindowStep::Now(events) => format!("now {events:?}"),
            WindowStep::ArmTimer(ms) => format!("timer {ms}"),
            WindowStep::Wait => "wait".into(),
        }
    }

    fn now(seq: u64) -> String {
        step(WindowStep::Now(vec![ev(seq)]))
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
        assert_eq!(step(f.push(ev(2), 102)), step(WindowStep::ArmTimer(WINDOW_MS - 2)));
        assert_eq!(step(f.push(ev(3), 103)), "wait");
        assert_eq!(step(f.push(ev(4), 200)), "wait", "waiting events keep later ones waiting (order)");
        assert_eq!(seqs(&f.timer_fired(108)), seqs(&[ev(2), ev(3), ev(4)]));
        assert_eq!(
            step(f.push(ev(5), 109)),
            step(WindowStep::ArmTimer(WINDOW_MS - 1)),
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
    fn a_frame_of_several_goes_together() {
        let mut f = Fanout::default();
        assert_eq!(step(f.push_all(vec![1, 2], 100)), "now [1, 2]");
        assert_eq!(step(f.push_all(vec![3, 4], 101)), step(WindowStep::ArmTimer(WINDOW_MS - 1)));
        assert_eq!(f.timer_fired(108), vec![3, 4]);
    }

    #[test]
    fn a_clock_that_goes_back_does_not_hold_events() {
        let mut f = Fanout::default();
        f.push(ev(1), 100);
        assert_eq!(step(f.push(ev(2), 50)), now(2));
    }
}
