//! The repository's secrets are in the sandbox's environment (the dev environment needs them),
//! but their values never reach the session's log: every event the supervisor sends has them
//! replaced by `***` (boot and script output, tool input and output, errors, notices, streamed
//! text). The control plane names the secrets in `OI_SECRET_NAMES` (names only).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use oi_protocol::bridge::AgentEvent;
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
        let mut values: Vec<String> = names
            .split(',')
            .filter_map(|name| env.get(name.trim()))
            .filter(|v| v.chars().count() >= MIN_SECRET_CHARS)
            .cloned()
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Redactor { values }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every value masked.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), MASK);
            }
        }
        out
    }

    fn in_place(&self, text: &mut String) {
        if self.values.iter().any(|v| text.contains(v.as_str())) {
            *text = self.text(text);
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

    /// Masks every value in an event.
    pub fn event(&self, event: &mut AgentEvent) {
        if self.is_empty() {
            return;
        }
        match event {
            AgentEvent::Log(line) => self.in_place(&mut line.line),
            AgentEvent::TextDelta(d) => self.in_place(&mut d.delta),
            AgentEvent::ToolCall(call) => {
                self.json(&mut call.input);
                for text in [&mut call.output, &mut call.error, &mut call.title].into_iter().flatten() {
                    self.in_place(text);
                }
            }
            AgentEvent::Notice(n) => self.in_place(&mut n.message),
            AgentEvent::BootFailed { message } => self.in_place(message),
            AgentEvent::AgentError(e) => self.in_place(&mut e.message),
            AgentEvent::Retry(r) => self.in_place(&mut r.message),
            AgentEvent::Ready | AgentEvent::StepFinished(_) | AgentEvent::PromptFinished(_) | AgentEvent::Commit(_) => {
            }
        }
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
}
