//! Compaction of a finished prompt's events.
//!
//! While a prompt runs, every text delta and every tool-call state is its own event, so
//! clients can stream them. When the prompt finishes, the log keeps one row per part:
//!
//! - a text part's deltas become one `text` event holding the whole text, written **in place
//!   of the part's last delta** (same `seq`), with `started_seq` set to the first delta's `seq`;
//! - a tool call keeps only its last state, with `started_seq` set to its first state's `seq`.
//!
//! Keeping the last `seq` means a client that saw some deltas and reconnects with
//! `after_seq` inside the part still receives the full text; `started_seq` keeps the part in
//! the place a live client gave it.

use std::collections::BTreeMap;

use oi_protocol::events::{EventBody, TextPart};
use oi_protocol::SessionEvent;

/// The rows to rewrite (same `seq`, new body) and the rows to delete.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompactionPlan {
    pub rewrite: Vec<SessionEvent>,
    pub delete: Vec<u64>,
}

impl CompactionPlan {
    pub fn is_empty(&self) -> bool {
        self.rewrite.is_empty() && self.delete.is_empty()
    }
}

/// Plans the compaction of one prompt's events (any order; other prompts' events ignored).
pub fn plan(events: &[SessionEvent], message_id: &str) -> CompactionPlan {
    let mut texts: BTreeMap<&str, Vec<&SessionEvent>> = BTreeMap::new();
    let mut tools: BTreeMap<&str, Vec<&SessionEvent>> = BTreeMap::new();
    let mut sorted: Vec<&SessionEvent> = events.iter().filter(|e| e.body.message_id() == Some(message_id)).collect();
    sorted.sort_by_key(|e| e.seq);
    for event in sorted {
        match &event.body {
            EventBody::TextDelta(d) => texts.entry(&d.part_id).or_default().push(event),
            EventBody::ToolCall(c) => tools.entry(&c.part_id).or_default().push(event),
            _ => {}
        }
    }

    let mut out = CompactionPlan::default();
    for (part_id, deltas) in texts {
        let (first, last) = (deltas[0], deltas[deltas.len() - 1]);
        let text: String = deltas
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::TextDelta(d) => Some(d.delta.as_str()),
                _ => None,
            })
            .collect();
        out.rewrite.push(SessionEvent {
            seq: last.seq,
            at: last.at,
            body: EventBody::Text(TextPart {
                message_id: message_id.to_string(),
                part_id: part_id.to_string(),
                text,
                started_seq: first.seq,
            }),
        });
        out.delete.extend(deltas[..deltas.len() - 1].iter().map(|e| e.seq));
    }
    for states in tools.into_values() {
        if states.len() < 2 {
            continue;
        }
        let (first, last) = (states[0], states[states.len() - 1]);
        let mut body = last.body.clone();
        if let EventBody::ToolCall(c) = &mut body {
            c.started_seq = Some(c.started_seq.unwrap_or(first.seq));
        }
        out.rewrite.push(SessionEvent { seq: last.seq, at: last.at, body });
        out.delete.extend(states[..states.len() - 1].iter().map(|e| e.seq));
    }
    out.delete.sort_unstable();
    out
}

/// Applies a plan to an in-memory log (what the Durable Object does in SQLite).
pub fn apply(events: &mut Vec<SessionEvent>, plan: &CompactionPlan) {
    events.retain(|e| plan.delete.binary_search(&e.seq).is_err());
    for new in &plan.rewrite {
        if let Some(e) = events.iter_mut().find(|e| e.seq == new.seq) {
            *e = new.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::events::{PromptFinished, PromptOutcome, TextDelta, ToolCall, ToolStatus, UserMessage};
    use oi_protocol::transcript::{transcript_of, TranscriptBuilder};
    use oi_protocol::User;
    use serde_json::json;

    fn user() -> User {
        User { id: "u1".into(), name: "Ada".into(), email: "ada@example.com".into(), login: None }
    }

    fn ev(seq: u64, body: EventBody) -> SessionEvent {
        SessionEvent { seq, at: 1_000 + seq as i64, body }
    }

    fn delta(m: &str, part: &str, d: &str) -> EventBody {
        EventBody::TextDelta(TextDelta { message_id: m.into(), part_id: part.into(), delta: d.into() })
    }

    fn tool(m: &str, part: &str, status: ToolStatus) -> EventBody {
        EventBody::ToolCall(ToolCall {
            message_id: m.into(),
            part_id: part.into(),
            tool: "bash".into(),
            status,
            input: json!({"command": "echo hi > hello.txt"}),
            output: (status == ToolStatus::Completed).then(|| "".into()),
            error: None,
            title: None,
            started_at: None,
            ended_at: None,
            started_seq: None,
        })
    }

    /// Text part A, then a tool call, then text part C, interleaved with another prompt's row.
    fn log() -> Vec<SessionEvent> {
        let m = "msg_1";
        vec![
            ev(
                1,
                EventBody::UserMessage(UserMessage {
                    message_id: m.into(),
                    author: user(),
                    text: "go".into(),
                    attachments: Vec::new(),
                }),
            ),
            ev(2, delta(m, "A", "Let me ")),
            ev(3, delta(m, "A", "look.")),
            ev(4, tool(m, "B", ToolStatus::Pending)),
            ev(5, tool(m, "B", ToolStatus::Running)),
            ev(6, tool(m, "B", ToolStatus::Completed)),
            ev(7, delta(m, "C", "Done")),
            ev(8, delta(m, "C", ": wrote hello.txt")),
            ev(
                9,
                EventBody::PromptFinished(PromptFinished {
                    message_id: m.into(),
                    outcome: PromptOutcome::Completed,
                    error: None,
                }),
            ),
        ]
    }

    #[test]
    fn keeps_one_row_per_part() {
        let mut events = log();
        let p = plan(&events, "msg_1");
        assert_eq!(p.delete, vec![2, 4, 5, 7]);
        apply(&mut events, &p);
        let kinds: Vec<(u64, &str)> = events.iter().map(|e| (e.seq, e.body.kind())).collect();
        assert_eq!(
            kinds,
            vec![(1, "user_message"), (3, "text"), (6, "tool_call"), (8, "text"), (9, "prompt_finished")]
        );
        match &events[1].body {
            EventBody::Text(t) => {
                assert_eq!(t.text, "Let me look.");
                assert_eq!(t.started_seq, 2);
            }
            other => panic!("{other:?}"),
        }
        assert!(plan(&events, "msg_1").is_empty(), "compaction is idempotent");
    }

    #[test]
    fn late_joiner_and_reconnecting_clients_see_the_live_transcript() {
        let live = log();
        let want = transcript_of(&live).unwrap();
        let mut compacted = live.clone();
        apply(&mut compacted, &plan(&live, "msg_1"));
        assert_eq!(transcript_of(&compacted).unwrap(), want, "late joiner");

        // A client that saw the first k events live, dropped, and caught up from the
        // compacted log with after_seq = its last seq.
        for k in 0..live.len() {
            let mut client = TranscriptBuilder::new();
            client.apply_all(&live[..k]).unwrap();
            let after = client.last_seq();
            client.apply_all(compacted.iter().filter(|e| e.seq > after)).unwrap();
            assert_eq!(client.transcript(), want, "reconnect after {k} live events");
        }
    }

    #[test]
    fn other_prompts_are_untouched() {
        let mut events = log();
        events.push(ev(10, delta("msg_2", "X", "a")));
        events.push(ev(11, delta("msg_2", "X", "b")));
        let p = plan(&events, "msg_1");
        assert!(p.rewrite.iter().all(|e| e.body.message_id() == Some("msg_1")));
        assert!(!p.delete.contains(&10));
    }
}
