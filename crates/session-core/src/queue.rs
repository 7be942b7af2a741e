//! The prompt queue: one prompt runs at a time, the rest wait in order.

use oi_protocol::{PromptStatus, SessionStatus};

/// A prompt in the queue, in run order (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub message_id: String,
    pub status: PromptStatus,
}

/// True for prompts that still hold a place in the queue.
pub fn is_unfinished(status: PromptStatus) -> bool {
    matches!(status, PromptStatus::Queued | PromptStatus::Processing | PromptStatus::Stopping)
}

/// True for the prompt that holds the sandbox.
pub fn is_active(status: PromptStatus) -> bool {
    matches!(status, PromptStatus::Processing | PromptStatus::Stopping)
}

/// How many prompts wait without having started.
pub fn waiting_count(queue: &[QueueEntry]) -> usize {
    queue.iter().filter(|e| e.status == PromptStatus::Queued).count()
}

/// Each unfinished prompt's position: how many prompts run before it.
pub fn positions(queue: &[QueueEntry]) -> Vec<(String, u32)> {
    let mut active_first: Vec<&QueueEntry> = queue.iter().filter(|e| is_unfinished(e.status)).collect();
    active_first.sort_by_key(|e| !is_active(e.status));
    active_first.into_iter().enumerate().map(|(i, e)| (e.message_id.clone(), i as u32)).collect()
}

/// The position a new prompt would get.
pub fn position_of_new(queue: &[QueueEntry]) -> u32 {
    queue.iter().filter(|e| is_unfinished(e.status)).count() as u32
}

/// The prompt to send to the sandbox now, if any: the oldest queued one, when nothing runs
/// and a bridge is connected.
pub fn next_to_dispatch(queue: &[QueueEntry], bridge_connected: bool) -> Option<&str> {
    if !bridge_connected || queue.iter().any(|e| is_active(e.status)) {
        return None;
    }
    queue.iter().find(|e| e.status == PromptStatus::Queued).map(|e| e.message_id.as_str())
}

/// What a stop request does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopDecision {
    /// Nothing runs; nothing to do.
    NothingRunning,
    /// Mark it stopping and tell the bridge; it confirms with `prompt_finished`.
    AskBridge { message_id: String },
    /// No bridge can confirm (or it was already asked): finish it as stopped now.
    FinishNow { message_id: String },
}

/// Decides what `stop` does to the running prompt.
pub fn decide_stop(queue: &[QueueEntry], bridge_connected: bool) -> StopDecision {
    match queue.iter().find(|e| is_active(e.status)) {
        None => StopDecision::NothingRunning,
        Some(e) if bridge_connected && e.status == PromptStatus::Processing => {
            StopDecision::AskBridge { message_id: e.message_id.clone() }
        }
        Some(e) => StopDecision::FinishNow { message_id: e.message_id.clone() },
    }
}

/// The session's status after a queue change. `Failed` sticks until a prompt runs again.
pub fn session_status(current: SessionStatus, queue: &[QueueEntry], any_prompt_ever: bool) -> SessionStatus {
    if queue.iter().any(|e| is_unfinished(e.status)) {
        SessionStatus::Running
    } else if current == SessionStatus::Failed {
        SessionStatus::Failed
    } else if any_prompt_ever {
        SessionStatus::Idle
    } else {
        SessionStatus::Created
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PromptStatus::*;

    #[test]
    fn status_follows_the_queue() {
        use SessionStatus as S;
        assert_eq!(session_status(S::Created, &q(&[]), false), S::Created);
        assert_eq!(session_status(S::Created, &q(&[("a", Queued)]), true), S::Running);
        assert_eq!(session_status(S::Running, &q(&[("a", Finished)]), true), S::Idle);
        assert_eq!(session_status(S::Failed, &q(&[]), true), S::Failed);
        assert_eq!(session_status(S::Failed, &q(&[("a", Queued)]), true), S::Running);
        assert_eq!(session_status(S::Idle, &q(&[("a", Cancelled)]), true), S::Idle);
    }

    fn q(entries: &[(&str, PromptStatus)]) -> Vec<QueueEntry> {
        entries.iter().map(|(id, s)| QueueEntry { message_id: id.to_string(), status: *s }).collect()
    }

    #[test]
    fn dispatch_order() {
        let queue = q(&[("a", Finished), ("b", Queued), ("c", Queued)]);
        assert_eq!(next_to_dispatch(&queue, true), Some("b"));
        assert_eq!(next_to_dispatch(&queue, false), None, "no bridge: prompts wait");
        let busy = q(&[("a", Processing), ("b", Queued)]);
        assert_eq!(next_to_dispatch(&busy, true), None, "one at a time");
        let stopping = q(&[("a", Stopping), ("b", Queued)]);
        assert_eq!(next_to_dispatch(&stopping, true), None, "wait for the stop to land");
        let cancelled = q(&[("a", Cancelled), ("b", Queued)]);
        assert_eq!(next_to_dispatch(&cancelled, true), Some("b"));
    }

    #[test]
    fn positions_put_the_running_prompt_first() {
        let queue = q(&[("a", Finished), ("b", Queued), ("c", Processing), ("d", Queued)]);
        assert_eq!(positions(&queue), vec![("c".into(), 0), ("b".into(), 1), ("d".into(), 2)]);
        assert_eq!(position_of_new(&queue), 3);
        assert_eq!(waiting_count(&queue), 2);
        assert_eq!(position_of_new(&q(&[])), 0);
    }

    #[test]
    fn stop() {
        assert_eq!(decide_stop(&q(&[("a", Queued)]), true), StopDecision::NothingRunning);
        assert_eq!(decide_stop(&q(&[("a", Processing)]), true), StopDecision::AskBridge { message_id: "a".into() });
        assert_eq!(decide_stop(&q(&[("a", Processing)]), false), StopDecision::FinishNow { message_id: "a".into() });
        assert_eq!(
            decide_stop(&q(&[("a", Stopping)]), true),
            StopDecision::FinishNow { message_id: "a".into() },
            "a second stop forces it"
        );
    }
}
