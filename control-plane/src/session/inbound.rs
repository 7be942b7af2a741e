//! Bridge events waiting to be written. A fast stream of agent output (text deltas, tool
//! states, logs) is written to the log, fanned out and acknowledged once per window instead of
//! once per frame: every turn that writes pays a fixed cost, and here it is paid once for many
//! events. An event after a quiet spell is written at once.
//!
//! Invariant: only events that do nothing but append to the log wait; anything else the object
//! does (another bridge frame, a client, a request, the alarm) first writes what waits, so
//! nothing is recorded out of order. Waiting events are not acknowledged, so if the object is
//! evicted before it writes them the bridge sends them again.

use oi_protocol::bridge::{AgentEvent, NumberedEvent};
use oi_protocol::events::ToolStatus;
use oi_session_core::lifecycle::Millis;

use super::window::{Window, WindowStep};

#[derive(Debug, Default)]
pub struct Inbound {
    window: Window<NumberedEvent>,
}

/// Whether an agent event may wait: it only appends to the log. A tool call's end does not
/// wait: it may be news for the session's origin (`origin_notices`), which a waiting write
/// cannot send.
pub fn may_wait(event: &AgentEvent) -> bool {
    matches!(
        event,
        AgentEvent::TextDelta(_)
            | AgentEvent::StepFinished(_)
            | AgentEvent::Retry(_)
            | AgentEvent::AgentError(_)
            | AgentEvent::Log(_)
            | AgentEvent::Notice(_)
    ) || matches!(event, AgentEvent::ToolCall(call) if !matches!(call.status, ToolStatus::Completed | ToolStatus::Error))
}

impl Inbound {
    /// A frame's events: the new ones (above what is recorded, `acked`, and what waits) wait
    /// or are handed back to write now. A frame of nothing new when nothing waits comes back
    /// at once, empty, so the bridge is acknowledged again.
    pub fn push(&mut self, events: Vec<NumberedEvent>, acked: u64, now: Millis) -> WindowStep<NumberedEvent> {
        let floor = self.window.last().map_or(acked, |e| e.id.max(acked));
        let new: Vec<NumberedEvent> = events.into_iter().filter(|e| e.id > floor).collect();
        if new.is_empty() && self.window.waiting() == 0 {
            return WindowStep::Now(new);
        }
        if new.is_empty() {
            return WindowStep::Wait;
        }
        self.window.push_all(new, now)
    }

    /// What waits, to write now.
    pub fn take(&mut self, now: Millis) -> Vec<NumberedEvent> {
        self.window.take(now)
    }

    pub fn timer_fired(&mut self, now: Millis) -> Vec<NumberedEvent> {
        self.window.timer_fired(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::events::{Notice, NoticeLevel};

    fn ev(id: u64) -> NumberedEvent {
        NumberedEvent { id, event: AgentEvent::Notice(Notice { level: NoticeLevel::Info, message: id.to_string() }) }
    }

    fn ids(step: WindowStep<NumberedEvent>) -> String {
        match step {
            WindowStep::Now(events) => format!("now {:?}", events.iter().map(|e| e.id).collect::<Vec<_>>()),
            WindowStep::ArmTimer(_) => "timer".into(),
            WindowStep::Wait => "wait".into(),
        }
    }

    #[test]
    fn re_sends_are_dropped_against_the_log_and_what_waits() {
        let mut inbound = Inbound::default();
        assert_eq!(ids(inbound.push(vec![ev(1), ev(2)], 0, 100)), "now [1, 2]");
        assert_eq!(ids(inbound.push(vec![ev(3)], 2, 101)), "timer");
        assert_eq!(ids(inbound.push(vec![ev(3), ev(4)], 2, 102)), "wait", "3 waits already");
        assert_eq!(inbound.take(103).iter().map(|e| e.id).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(ids(inbound.push(vec![ev(4)], 4, 120)), "now []", "all recorded: acknowledged again at once");
    }

    #[test]
    fn only_events_that_just_append_may_wait() {
        assert!(may_wait(&ev(1).event));
        assert!(!may_wait(&AgentEvent::Ready { preview_ports: vec![] }));
        assert!(!may_wait(&AgentEvent::BootFailed { message: "x".into() }));
        let tool = |status| {
            AgentEvent::ToolCall(oi_protocol::events::ToolCall {
                message_id: "msg_1".into(),
                part_id: "p".into(),
                tool: "bash".into(),
                status,
                input: serde_json::Value::Null,
                output: None,
                error: None,
                title: None,
                started_at: None,
                ended_at: None,
                started_seq: None,
            })
        };
        assert!(may_wait(&tool(ToolStatus::Running)));
        assert!(!may_wait(&tool(ToolStatus::Completed)), "a tool's end may be news for the origin");
        assert!(!may_wait(&tool(ToolStatus::Error)));
    }
}
