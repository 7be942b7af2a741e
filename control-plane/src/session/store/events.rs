//! The event log: append with the next `seq`, read back, compact a finished prompt.

use oi_protocol::client::RawEvent;
use oi_protocol::events::{Commit, EventBody, ToolCall};
use oi_protocol::SessionEvent;
use oi_session_core::compaction::CompactionPlan;
use serde_json::value::RawValue;
use worker::Result;

use super::sql::store_error;
use super::{from_json, Row, SqlExec, Store};

/// Rows in one insert: three bound parameters each, and a Durable Object's statement takes at
/// most 100.
pub const ROWS_PER_INSERT: usize = 33;

fn raw(row: &Row) -> Result<RawEvent> {
    RawValue::from_string(row.text(0)?).map_err(store_error)
}

fn parsed(row: &Row) -> Result<SessionEvent> {
    from_json(&row.text(0)?)
}

impl<S: SqlExec> Store<S> {
    /// Appends an event with the next `seq`: two statements. Returns the event as written.
    pub fn append_event(&self, body: EventBody, at: i64) -> Result<(u64, RawEvent)> {
        let seq = self.meta_field(|m| m.last_seq)?.ok_or_else(|| store_error("no session row"))? + 1;
        let message_id = body.message_id().map(str::to_string);
        let event = SessionEvent { seq, at, body };
        let json = serde_json::value::to_raw_value(&event).map_err(store_error)?;
        self.run(
            "INSERT INTO events (seq, message_id, json) VALUES (?, ?, ?)",
            vec![seq.into(), message_id.into(), json.get().into()],
        )?;
        self.run("UPDATE meta SET last_seq = ? WHERE id = 1", vec![seq.into()])?;
        self.updated(|m| m.last_seq = seq);
        Ok((seq, json))
    }

    /// Appends events with the next `seq`s and the bridge's acknowledged position: one
    /// multi-row insert per [`ROWS_PER_INSERT`] events and one update, whatever their number.
    /// Returns the events as written, in order.
    pub fn append_events(&self, bodies: Vec<EventBody>, at: i64, acked: u64) -> Result<Vec<RawEvent>> {
        let first = self.meta_field(|m| m.last_seq)?.ok_or_else(|| store_error("no session row"))? + 1;
        let mut written = Vec::with_capacity(bodies.len());
        let mut rows = Vec::with_capacity(bodies.len());
        for (n, body) in bodies.into_iter().enumerate() {
            let seq = first + n as u64;
            let message_id = body.message_id().map(str::to_string);
            let json = serde_json::value::to_raw_value(&SessionEvent { seq, at, body }).map_err(store_error)?;
            rows.push((seq, message_id, json.get().to_string()));
            written.push(json);
        }
        let Some(last) = rows.last().map(|r| r.0) else { return Ok(written) };
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let placeholders = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let args = chunk
                .iter()
                .flat_map(|(seq, message_id, json)| [(*seq).into(), message_id.clone().into(), json.as_str().into()])
                .collect();
            self.run(&format!("INSERT INTO events (seq, message_id, json) VALUES {placeholders}"), args)?;
        }
        self.run(
            "UPDATE meta SET last_seq = ?, bridge_acked_through = ? WHERE id = 1",
            vec![last.into(), acked.into()],
        )?;
        self.updated(|m| {
            m.last_seq = last;
            m.bridge_acked_through = acked;
        });
        Ok(written)
    }

    /// Events with `seq > after`, oldest first, at most `limit` when given.
    pub fn events_after(&self, after: u64, limit: Option<u32>) -> Result<Vec<SessionEvent>> {
        self.event_rows(after, limit)?.iter().map(parsed).collect()
    }

    /// The same, as the JSON written to the log (for sending on without parsing it).
    pub fn raw_events_after(&self, after: u64) -> Result<Vec<RawEvent>> {
        self.event_rows(after, None)?.iter().map(raw).collect()
    }

    fn event_rows(&self, after: u64, limit: Option<u32>) -> Result<Vec<Row>> {
        match limit {
            Some(limit) => self.rows(
                "SELECT json FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                vec![after.into(), (limit as i64).into()],
            ),
            None => self.rows("SELECT json FROM events WHERE seq > ? ORDER BY seq", vec![after.into()]),
        }
    }

    pub fn events_of_message(&self, message_id: &str) -> Result<Vec<SessionEvent>> {
        let rows = self.rows("SELECT json FROM events WHERE message_id = ? ORDER BY seq", vec![message_id.into()])?;
        rows.iter().map(parsed).collect()
    }

    pub fn apply_compaction(&self, plan: &CompactionPlan) -> Result<()> {
        for seq in &plan.delete {
            self.run("DELETE FROM events WHERE seq = ?", vec![(*seq).into()])?;
        }
        for event in &plan.rewrite {
            let json = serde_json::to_string(event).map_err(store_error)?;
            self.run("UPDATE events SET json = ? WHERE seq = ?", vec![json.into(), event.seq.into()])?;
        }
        Ok(())
    }

    fn last_event_of(&self, kind: &str) -> Result<Option<SessionEvent>> {
        let rows = self.rows(
            "SELECT json FROM events WHERE json_extract(json, '$.type') = ? ORDER BY seq DESC LIMIT 1",
            vec![kind.into()],
        )?;
        rows.first().map(parsed).transpose()
    }

    /// The newest commit that reached the remote.
    pub fn last_pushed_commit(&self) -> Result<Option<Commit>> {
        let rows = self.rows(
            "SELECT json FROM events WHERE json_extract(json, '$.type') = 'commit'
               AND json_extract(json, '$.pushed') = 1 ORDER BY seq DESC LIMIT 1",
            vec![],
        )?;
        Ok(rows.first().map(parsed).transpose()?.and_then(|e| match e.body {
            EventBody::Commit(c) => Some(c),
            _ => None,
        }))
    }

    /// Every shell call the agent made, in order (its last state each).
    pub fn shell_calls(&self) -> Result<Vec<ToolCall>> {
        let rows = self.rows(
            "SELECT json FROM events WHERE json_extract(json, '$.type') = 'tool_call'
               AND json_extract(json, '$.tool') = 'bash' ORDER BY seq",
            vec![],
        )?;
        let mut calls: Vec<ToolCall> = Vec::new();
        for row in &rows {
            if let EventBody::ToolCall(call) = parsed(row)?.body {
                // Live (not yet compacted) calls have one event per state: keep the last.
                calls.retain(|c| c.part_id != call.part_id);
                calls.push(call);
            }
        }
        Ok(calls)
    }

    /// The agent's last text part (its closing words: usually a summary of what it did).
    /// The last text part the agent wrote for a prompt, whether compacted (`text`) or still
    /// as its streamed deltas (a prompt's end is recorded before its deltas are compacted).
    pub fn last_agent_text_of(&self, message_id: &str) -> Result<Option<String>> {
        let rows = self.rows(
            "SELECT json FROM events WHERE json_extract(json, '$.type') IN ('text', 'text_delta')
               AND json_extract(json, '$.message_id') = ? ORDER BY seq",
            vec![message_id.into()],
        )?;
        let mut last: Option<(String, String)> = None;
        for row in &rows {
            match parsed(row)?.body {
                EventBody::Text(t) => last = Some((t.part_id, t.text)),
                EventBody::TextDelta(d) => match &mut last {
                    Some((part, text)) if *part == d.part_id => text.push_str(&d.delta),
                    _ => last = Some((d.part_id, d.delta)),
                },
                _ => {}
            }
        }
        Ok(last.map(|(_, text)| text).filter(|t| !t.trim().is_empty()))
    }

    /// The last `n` tool calls of a prompt that ended, as short lines (`bash: cargo test`).
    pub fn recent_actions_of(&self, message_id: &str, n: usize) -> Result<Vec<String>> {
        let rows = self.rows(
            "SELECT json FROM events WHERE json_extract(json, '$.type') = 'tool_call'
               AND json_extract(json, '$.message_id') = ?
               AND json_extract(json, '$.status') IN ('completed', 'error')
             ORDER BY seq DESC LIMIT ?",
            vec![message_id.into(), (n as i64).into()],
        )?;
        let mut actions = vec![];
        for row in rows.iter().rev() {
            if let EventBody::ToolCall(call) = parsed(row)?.body {
                actions.push(describe_action(&call));
            }
        }
        Ok(actions)
    }

    pub fn last_agent_text(&self) -> Result<Option<String>> {
        Ok(self.last_event_of("text")?.and_then(|e| match e.body {
            EventBody::Text(t) => Some(t.text),
            _ => None,
        }))
    }
}

/// One line for a tool call: its title, else its command or file, else its name.
fn describe_action(call: &oi_protocol::events::ToolCall) -> String {
    let detail = call
        .title
        .clone()
        .or_else(|| call.input.get("command").and_then(|v| v.as_str()).map(String::from))
        .or_else(|| call.input.get("filePath").and_then(|v| v.as_str()).map(String::from))
        .unwrap_or_default();
    let line = if detail.is_empty() { call.tool.clone() } else { format!("{}: {detail}", call.tool) };
    let line = line.lines().next().unwrap_or_default().to_string();
    match line.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}
