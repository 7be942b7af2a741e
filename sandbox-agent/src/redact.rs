//! The repository's secrets are in the sandbox's environment (the dev environment needs them),
//! but their values never reach the session's log: every string of every event the supervisor
//! sends has them replaced by `***` (boot and script output, tool input, output, errors and
//! titles, commit authors, paths and patches, notices, errors, streamed text). The control
//! plane names the secrets in `OI_SECRET_NAMES` (names only).
//!
//! A value of several lines is also masked line by line (output is reported a line at a time).
//!
//! Streamed text comes in pieces, and a value may be cut between two of them: a part's stream
//! is masked over a rolling window ([`Masker`]), holding back its last `len(longest value) - 1`
//! bytes until the next piece, or until the part's message goes on to another event (a tool
//! call, the step's end, the commit, the prompt's end), when the rest is sent masked.
//!
//! Invariant: the text a part's deltas add up to is the whole text masked at once
//! ([`Redactor::text`]), however it was cut; ids, enumerations, numbers and commit hashes are
//! left alone.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use oi_protocol::bridge::AgentEvent;
use oi_protocol::events::{
    AgentError, Commit, FileChange, LogLine, Notice, PromptFinished, Retry, StepFinished, TextDelta, ToolCall,
};
use oi_protocol::supervisor_env::SECRET_NAMES;
use serde_json::Value;

/// What a value is replaced with.
pub const MASK: &str = "***";
/// Shorter values are left alone (masking `1` or `yes` everywhere would garble the log).
pub const MIN_SECRET_CHARS: usize = 4;

/// The values to mask.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a value containing another is masked whole.
    values: Vec<String>,
}

impl Redactor {
    /// From the environment: the values of the variables `OI_SECRET_NAMES` lists.
    pub fn from_env(env: &BTreeMap<String, String>) -> Self {
        let names = env.get(SECRET_NAMES).map(String::as_str).unwrap_or_default();
        // A value of several lines (a key in PEM) is also masked line by line: output is
        // reported a line at a time.
        let mut values: Vec<String> = names
            .split(',')
            .filter_map(|name| env.get(name.trim()))
            .flat_map(|v| std::iter::once(v.as_str()).chain(v.lines().filter(|_| v.contains('\n'))))
            .map(|v| v.trim_end_matches('\r').to_string())
            .filter(|v| v.trim().chars().count() >= MIN_SECRET_CHARS)
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Redactor { values }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The longest value's length in bytes (0 without values).
    fn longest(&self) -> usize {
        self.values.first().map_or(0, String::len)
    }

    /// Masks `text` from its start, in one pass (at each position the longest value that starts
    /// there), up to the first position at or after `stop` where no value was masked: the
    /// masked text and where it stopped.
    fn mask_until(&self, text: &str, stop: usize) -> (String, usize) {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        while at < text.len() && at < stop {
            if let Some(value) = self.values.iter().find(|v| text[at..].starts_with(v.as_str())) {
                out.push_str(MASK);
                at += value.len();
            } else {
                let c = text[at..].chars().next().expect("at a character boundary");
                out.push(c);
                at += c.len_utf8();
            }
        }
        (out, at)
    }

    /// `text` with every value masked.
    pub fn text(&self, text: &str) -> String {
        if !self.values.iter().any(|v| text.contains(v.as_str())) {
            return text.to_string();
        }
        self.mask_until(text, text.len()).0
    }

    /// The next piece of a stream: `held` (what was held back of it so far) and `piece`, masked
    /// up to where a value could still be cut (everything, at the stream's `end`); what is
    /// held back stays in `held`.
    pub fn stream(&self, held: &mut String, piece: &str, end: bool) -> String {
        held.push_str(piece);
        let stop = if end { held.len() } else { held.len().saturating_sub(self.longest().saturating_sub(1)) };
        let (out, at) = self.mask_until(held, stop);
        held.replace_range(..at, "");
        out
    }

    fn in_place(&self, text: &mut String) {
        if self.values.iter().any(|v| text.contains(v.as_str())) {
            *text = self.text(text);
        }
    }

    fn optional(&self, text: &mut Option<String>) {
        if let Some(text) = text {
            self.in_place(text);
        }
    }

    fn json(&self, value: &mut Value) {
        match value {
            Value::String(s) => self.in_place(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.json(v)),
            _ => {}
        }
    }

    /// Masks every string of an event but its ids, enumerations and commit hash (each struct
    /// is taken apart field by field, so a new field must be placed here to compile).
    pub fn event(&self, event: &mut AgentEvent) {
        if self.is_empty() {
            return;
        }
        match event {
            AgentEvent::Ready { .. } => {}
            AgentEvent::TextDelta(TextDelta { message_id: _, part_id: _, delta }) => self.in_place(delta),
            AgentEvent::ToolCall(ToolCall {
                message_id: _,
                part_id: _,
                tool,
                status: _,
                input,
                output,
                error,
                title,
                started_at: _,
                ended_at: _,
                started_seq: _,
            }) => {
                self.in_place(tool);
                self.json(input);
                for text in [output, error, title] {
                    self.optional(text);
                }
            }
            AgentEvent::StepFinished(StepFinished { message_id: _, tokens: _, cost: _, reason }) => {
                self.optional(reason)
            }
            AgentEvent::Retry(Retry { message_id: _, attempt: _, message }) => self.in_place(message),
            AgentEvent::AgentError(AgentError { message_id: _, message }) => self.in_place(message),
            AgentEvent::PromptFinished(PromptFinished { message_id: _, outcome: _, error }) => self.optional(error),
            AgentEvent::Log(LogLine { source: _, line }) => self.in_place(line),
            AgentEvent::Notice(Notice { level: _, message }) => self.in_place(message),
            AgentEvent::Commit(Commit {
                message_id: _,
                branch,
                sha: _,
                author,
                files_changed: _,
                insertions: _,
                deletions: _,
                files,
                pushed: _,
                error,
            }) => {
                self.in_place(branch);
                self.optional(author);
                self.optional(error);
                for FileChange { path, kind: _, insertions: _, deletions: _, patch, truncated: _ } in files {
                    self.in_place(path);
                    self.optional(patch);
                }
            }
            AgentEvent::BootFailed { message } => self.in_place(message),
        }
    }
}

/// The message an event belongs to, when it is one of a prompt's.
fn message_of(event: &AgentEvent) -> Option<&str> {
    match event {
        AgentEvent::ToolCall(e) => Some(&e.message_id),
        AgentEvent::StepFinished(e) => Some(&e.message_id),
        AgentEvent::Retry(e) => Some(&e.message_id),
        AgentEvent::AgentError(e) => e.message_id.as_deref(),
        AgentEvent::PromptFinished(e) => Some(&e.message_id),
        AgentEvent::Commit(e) => Some(&e.message_id),
        AgentEvent::TextDelta(_)
        | AgentEvent::Ready { .. }
        | AgentEvent::Log(_)
        | AgentEvent::Notice(_)
        | AgentEvent::BootFailed { .. } => None,
    }
}

/// Masks the events the supervisor sends, in order, holding back the end of each text part's
/// stream (see the module's documentation).
#[derive(Debug, Default)]
pub struct Masker {
    /// What is held back of each part's stream, by (message, part).
    held: BTreeMap<(String, String), String>,
}

impl Masker {
    /// The events to send for `event`, masked: a text delta's safe part (none while it is all
    /// held back); for another event of a message, first the rest of that message's parts.
    pub fn events(&mut self, redactor: &Redactor, mut event: AgentEvent) -> Vec<AgentEvent> {
        if redactor.is_empty() {
            return vec![event];
        }
        if let AgentEvent::TextDelta(delta) = &event {
            let key = (delta.message_id.clone(), delta.part_id.clone());
            let held = self.held.entry(key.clone()).or_default();
            let out = redactor.stream(held, &delta.delta, false);
            if held.is_empty() {
                self.held.remove(&key);
            }
            return match out.is_empty() {
                true => vec![],
                false => vec![AgentEvent::TextDelta(TextDelta { delta: out, ..delta.clone() })],
            };
        }
        let mut out = match (message_of(&event), &event) {
            (Some(message), _) => self.flush(redactor, Some(message)),
            (None, AgentEvent::BootFailed { .. }) => self.flush(redactor, None),
            (None, _) => vec![],
        };
        redactor.event(&mut event);
        out.push(event);
        out
    }

    /// The rest of every part held back (of `message`, or of all), as final deltas.
    pub fn flush(&mut self, redactor: &Redactor, message: Option<&str>) -> Vec<AgentEvent> {
        let keys: Vec<(String, String)> =
            self.held.keys().filter(|(m, _)| message.is_none_or(|message| m == message)).cloned().collect();
        let mut out = vec![];
        for key in keys {
            let Some(mut held) = self.held.remove(&key) else { continue };
            let delta = redactor.stream(&mut held, "", true);
            if !delta.is_empty() {
                out.push(AgentEvent::TextDelta(TextDelta { message_id: key.0, part_id: key.1, delta }));
            }
        }
        out
    }
}

static PROCESS: OnceLock<Redactor> = OnceLock::new();

/// Sets this process's redactor (once, at start).
pub fn install(redactor: Redactor) {
    let _ = PROCESS.set(redactor);
}

/// This process's redactor (empty until [`install`]).
pub fn process() -> &'static Redactor {
    PROCESS.get_or_init(Redactor::default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::events::{LogLine, LogSource};

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn named_values_are_masked_and_nothing_else() {
        let r = Redactor::from_env(&env(&[
            (SECRET_NAMES, "DB_URL,TOKEN,SHORT,MISSING"),
            ("DB_URL", "postgres://u:hunter2@db/x"),
            ("TOKEN", "hunter2"),
            ("SHORT", "yes"),
            ("PATH", "/usr/bin"),
        ]));
        assert_eq!(
            r.text("url=postgres://u:hunter2@db/x tok=hunter2 ok=yes path=/usr/bin"),
            "url=*** tok=*** ok=yes path=/usr/bin"
        );
        assert!(Redactor::from_env(&env(&[("TOKEN", "hunter2")])).is_empty(), "only named variables");
        let pem = "-----BEGIN KEY-----\nMIIEow1bcd\r\nIBAAKCAQ\n-----END KEY-----\n";
        let r = Redactor::from_env(&env(&[(SECRET_NAMES, "KEY"), ("KEY", pem)]));
        assert_eq!(r.text(&format!("cat: {pem}")), "cat: ***");
        assert_eq!(
            r.text("[setup] MIIEow1bcd"),
            "[setup] ***",
            "each line of a value, as output comes a line at a time"
        );
        assert_eq!(r.text("IBAAKCAQ and -----END KEY-----"), "*** and ***");
    }

    #[test]
    fn every_text_of_an_event_is_masked() {
        let r = Redactor::from_env(&env(&[(SECRET_NAMES, "TOKEN"), ("TOKEN", "s3cret-value")]));
        let mut log = AgentEvent::Log(LogLine { source: LogSource::Setup, line: "token is s3cret-value".into() });
        r.event(&mut log);
        assert_eq!(serde_json::to_value(&log).unwrap()["line"], "token is ***");
        let mut call: AgentEvent = serde_json::from_value(serde_json::json!({
            "type": "tool_call", "message_id": "m", "part_id": "p", "tool": "bash", "status": "completed",
            "input": {"command": "echo s3cret-value", "args": ["s3cret-value"]},
            "output": "s3cret-value\n", "title": "echo s3cret-value"
        }))
        .unwrap();
        r.event(&mut call);
        let text = serde_json::to_string(&call).unwrap();
        assert!(!text.contains("s3cret-value") && text.contains("***"), "{text}");
    }

    fn redactor() -> Redactor {
        Redactor::from_env(&env(&[(SECRET_NAMES, "TOKEN,DB"), ("TOKEN", "s3cret-value"), ("DB", "pg://u:pw@db")]))
    }

    fn delta(part: &str, text: &str) -> AgentEvent {
        AgentEvent::TextDelta(TextDelta { message_id: "m".into(), part_id: part.into(), delta: text.into() })
    }

    fn texts(events: &[AgentEvent]) -> String {
        events
            .iter()
            .map(|e| match e {
                AgentEvent::TextDelta(d) => d.delta.clone(),
                other => format!("<{}>", other.kind()),
            })
            .collect()
    }

    #[test]
    fn a_value_split_across_deltas_is_masked() {
        let r = redactor();
        let mut masker = Masker::default();
        let mut sent = vec![];
        for piece in ["the key is s3c", "ret-va", "lue, and pg://u:", "pw@db", " ends"] {
            sent.extend(masker.events(&r, delta("p", piece)));
        }
        let finished = AgentEvent::PromptFinished(PromptFinished {
            message_id: "m".into(),
            outcome: oi_protocol::events::PromptOutcome::Completed,
            error: None,
        });
        sent.extend(masker.events(&r, finished));
        assert_eq!(texts(&sent), "the key is ***, and *** ends<prompt_finished>");
        assert!(sent.iter().all(|e| !serde_json::to_string(e).unwrap().contains("s3c")), "{sent:?}");
    }

    #[test]
    fn however_a_stream_is_cut_it_adds_up_to_the_whole_text_masked() {
        let r = redactor();
        let text = "a s3cret-value b s3cret-valu s3cret-values3cret-value pg://u:pw@db! ünïcødé s3cret-value";
        let whole = r.text(text);
        assert!(!whole.contains("s3cret-value") && whole.contains("s3cret-valu "), "{whole}");
        let cuts: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
        for &first in &cuts {
            for &second in cuts.iter().filter(|c| **c >= first).step_by(3) {
                let mut masker = Masker::default();
                let mut sent = vec![];
                for piece in [&text[..first], &text[first..second], &text[second..]] {
                    sent.extend(masker.events(&r, delta("p", piece)));
                }
                sent.extend(masker.flush(&r, Some("m")));
                assert_eq!(texts(&sent), whole, "cut at {first} and {second}");
            }
        }
    }

    #[test]
    fn held_text_waits_for_its_part_and_goes_before_the_messages_next_event() {
        let r = redactor();
        let mut masker = Masker::default();
        assert_eq!(texts(&masker.events(&r, delta("p1", "ab"))), "", "shorter than a value: all held");
        assert_eq!(texts(&masker.events(&r, delta("p2", "cd"))), "");
        let log = AgentEvent::Log(LogLine { source: LogSource::Start, line: "s3cret-value".into() });
        assert_eq!(texts(&masker.events(&r, log)), "<log>", "a log belongs to no message: nothing flushed");
        let tool: AgentEvent = serde_json::from_value(serde_json::json!({
            "type": "tool_call", "message_id": "m", "part_id": "t", "tool": "bash", "status": "running", "input": {}
        }))
        .unwrap();
        assert_eq!(texts(&masker.events(&r, tool)), "abcd<tool_call>");
        assert!(masker.flush(&r, None).is_empty());
        assert_eq!(texts(&masker.events(&r, delta("p3", "s3cret"))), "");
        let boot = AgentEvent::BootFailed { message: "x".into() };
        assert_eq!(texts(&masker.events(&r, boot)), "s3cret<boot_failed>");
        let empty = Redactor::default();
        assert_eq!(texts(&masker.events(&empty, delta("p", "s3c"))), "s3c", "nothing to mask: nothing held");
    }

    #[test]
    fn commits_errors_and_every_other_string_are_masked() {
        let r = redactor();
        let events = [
            serde_json::json!({"type": "commit", "message_id": "m", "branch": "oi/s", "sha": "3f1c2a9e", "author": "A <s3cret-value@x>",
                "files_changed": 1, "insertions": 1, "deletions": 0, "pushed": false, "error": "push to pg://u:pw@db failed",
                "files": [{"path": "s3cret-value.txt", "kind": "added", "insertions": 1, "deletions": 0, "patch": "+TOKEN=s3cret-value\n"}]}),
            serde_json::json!({"type": "tool_call", "message_id": "m", "part_id": "p", "tool": "bash", "status": "error",
                "input": {"command": "echo s3cret-value"}, "error": "exit 1: s3cret-value", "title": "s3cret-value"}),
            serde_json::json!({"type": "prompt_finished", "message_id": "m", "outcome": "failed", "error": "died holding s3cret-value"}),
            serde_json::json!({"type": "step_finished", "message_id": "m", "tokens": {"input": 1, "output": 1}, "cost": 0.0, "reason": "s3cret-value"}),
            serde_json::json!({"type": "agent_error", "message": "APIError: pg://u:pw@db"}),
            serde_json::json!({"type": "retry", "message_id": "m", "attempt": 1, "message": "s3cret-value"}),
            serde_json::json!({"type": "notice", "level": "warning", "message": "s3cret-value"}),
            serde_json::json!({"type": "boot_failed", "message": "setup printed s3cret-value"}),
        ];
        for json in events {
            let mut event: AgentEvent = serde_json::from_value(json.clone()).unwrap();
            r.event(&mut event);
            let text = serde_json::to_string(&event).unwrap();
            assert!(!text.contains("s3cret-value") && !text.contains("pg://u:pw@db"), "{text}");
            assert!(text.contains("***"), "{text}");
            let back: AgentEvent = serde_json::from_str(&text).unwrap();
            assert_eq!(back.kind(), json["type"].as_str().unwrap(), "still the same event");
        }
    }
}
