//! Script turns (what one chat request is answered with) and the FIFO queue holding them.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Default number of chunks of a [`Turn::SlowText`].
pub const SLOW_DEFAULT_COUNT: u32 = 400;
/// Default delay between chunks of a [`Turn::SlowText`], in milliseconds.
pub const SLOW_DEFAULT_DELAY_MS: u64 = 100;

/// One scripted answer. Serialized with a `type` tag, e.g. `{"type":"text","text":"Hi"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Turn {
    /// Streamed text, `finish_reason:"stop"`. Give exactly one of `text` (split into words, each
    /// word keeping its leading space) or `chunks` (sent as given).
    Text {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chunks: Option<Vec<String>>,
        /// Delay before every chunk after the first one.
        #[serde(default, skip_serializing_if = "is_zero")]
        delay_ms: u64,
    },
    /// Optional text, then one or more function calls, `finish_reason:"tool_calls"`.
    ToolCalls {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        calls: Vec<ToolCallSpec>,
        #[serde(default, skip_serializing_if = "is_zero")]
        delay_ms: u64,
    },
    /// `count` text chunks (`"chunk 1"`, `" chunk 2"`, …) with `delay_ms` before each one after
    /// the first: a long stream for abort tests.
    SlowText {
        #[serde(default = "slow_count")]
        count: u32,
        #[serde(default = "slow_delay")]
        delay_ms: u64,
    },
    /// An HTTP error with OpenAI's error body. Unset fields get defaults chosen by `status`
    /// (see [`crate::ApiError::for_status`]); a 429 always carries `Retry-After` (default 1 s).
    Error {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        param: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// Seconds for the `Retry-After` header.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
}

/// One function call of a [`Turn::ToolCalls`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCallSpec {
    /// The function name, e.g. `bash`, `write`, `edit`.
    pub name: String,
    /// The arguments. A JSON string is sent verbatim as the raw `arguments` text (so a test can
    /// send arguments that are not valid JSON); any other value is serialized to JSON.
    pub arguments: Value,
    /// The call id; generated (`call_…`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The body of `POST /_script`, the answer of `GET /_script` and the `--script` file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub turns: Vec<Turn>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
fn slow_count() -> u32 {
    SLOW_DEFAULT_COUNT
}
fn slow_delay() -> u64 {
    SLOW_DEFAULT_DELAY_MS
}

impl Turn {
    /// A text turn split into words.
    pub fn text(text: impl Into<String>) -> Self {
        Turn::Text { text: Some(text.into()), chunks: None, delay_ms: 0 }
    }

    /// A text turn sent as exactly these chunks.
    pub fn chunks<I, S>(chunks: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Turn::Text { text: None, chunks: Some(chunks.into_iter().map(Into::into).collect()), delay_ms: 0 }
    }

    /// One function call, e.g. `Turn::tool_call("bash", json!({"command": "ls", "description": "List"}))`.
    pub fn tool_call(name: impl Into<String>, arguments: Value) -> Self {
        Turn::tool_calls(vec![ToolCallSpec::new(name, arguments)])
    }

    /// Several function calls in one answer (parallel tool calls).
    pub fn tool_calls(calls: Vec<ToolCallSpec>) -> Self {
        Turn::ToolCalls { text: None, calls, delay_ms: 0 }
    }

    /// A slow stream of `count` chunks, `delay_ms` apart.
    pub fn slow_text(count: u32, delay_ms: u64) -> Self {
        Turn::SlowText { count, delay_ms }
    }

    /// An HTTP error with default message, type and code for `status`.
    pub fn error(status: u16) -> Self {
        Turn::Error { status, message: None, error_type: None, param: None, code: None, retry_after: None }
    }

    /// Sets the delay between chunks (text, tool-call and slow turns; ignored for errors).
    pub fn with_delay_ms(mut self, ms: u64) -> Self {
        match &mut self {
            Turn::Text { delay_ms, .. } | Turn::ToolCalls { delay_ms, .. } | Turn::SlowText { delay_ms, .. } => {
                *delay_ms = ms
            }
            Turn::Error { .. } => {}
        }
        self
    }

    /// Sets the text sent before the tool calls of a [`Turn::ToolCalls`] (no effect otherwise).
    pub fn with_text(mut self, prefix: impl Into<String>) -> Self {
        if let Turn::ToolCalls { text, .. } = &mut self {
            *text = Some(prefix.into());
        }
        self
    }

    /// Sets the error message of a [`Turn::Error`] (no effect otherwise).
    pub fn with_message(mut self, msg: impl Into<String>) -> Self {
        if let Turn::Error { message, .. } = &mut self {
            *message = Some(msg.into());
        }
        self
    }

    /// Sets `Retry-After` seconds of a [`Turn::Error`] (no effect otherwise).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        if let Turn::Error { retry_after, .. } = &mut self {
            *retry_after = Some(secs);
        }
        self
    }

    /// Checks what serde cannot: exactly one of `text`/`chunks`, at least one call, a 4xx/5xx status.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Turn::Text { text, chunks, .. } => match (text, chunks) {
                (Some(_), None) | (None, Some(_)) => Ok(()),
                _ => Err("a text turn needs exactly one of `text` or `chunks`".into()),
            },
            Turn::ToolCalls { calls, .. } if calls.is_empty() => {
                Err("a tool_calls turn needs at least one call".into())
            }
            Turn::ToolCalls { calls, .. } => match calls.iter().find(|c| c.name.is_empty()) {
                Some(_) => Err("a tool call needs a non-empty `name`".into()),
                None => Ok(()),
            },
            Turn::SlowText { .. } => Ok(()),
            Turn::Error { status, .. } if !(400..=599).contains(status) => {
                Err(format!("an error turn needs a status from 400 to 599, got {status}"))
            }
            Turn::Error { .. } => Ok(()),
        }
    }

    /// A short description for logs: `text`, `tool_calls(bash,write)`, `error(429)`…
    pub fn summary(&self) -> String {
        match self {
            Turn::Text { .. } => "text".into(),
            Turn::ToolCalls { calls, .. } => {
                let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
                format!("tool_calls({})", names.join(","))
            }
            Turn::SlowText { count, delay_ms } => format!("slow_text({count}x{delay_ms}ms)"),
            Turn::Error { status, .. } => format!("error({status})"),
        }
    }
}

impl ToolCallSpec {
    pub fn new(name: impl Into<String>, arguments: Value) -> Self {
        ToolCallSpec { name: name.into(), arguments, id: None }
    }

    /// The raw `arguments` text sent on the wire.
    pub fn arguments_text(&self) -> String {
        match &self.arguments {
            Value::String(raw) => raw.clone(),
            other => other.to_string(),
        }
    }
}

impl Script {
    /// Parses and validates a script (`{"turns":[...]}`).
    pub fn from_json(text: &str) -> Result<Script, String> {
        let script: Script = serde_json::from_str(text).map_err(|e| e.to_string())?;
        for (i, turn) in script.turns.iter().enumerate() {
            turn.validate().map_err(|e| format!("turns[{i}]: {e}"))?;
        }
        Ok(script)
    }
}

/// FIFO of turns. Each turn gets an index when pushed (0, 1, 2… over the queue's life, never
/// reused, not reset by [`ScriptQueue::clear`]); a request records the index it consumed.
#[derive(Debug, Default)]
pub struct ScriptQueue {
    turns: VecDeque<(usize, Turn)>,
    next_index: usize,
}

impl ScriptQueue {
    pub fn push(&mut self, turn: Turn) -> usize {
        let index = self.next_index;
        self.next_index += 1;
        self.turns.push_back((index, turn));
        index
    }

    pub fn pop(&mut self) -> Option<(usize, Turn)> {
        self.turns.pop_front()
    }

    pub fn clear(&mut self) {
        self.turns.clear();
    }

    pub fn len(&self) -> usize {
        self.turns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }

    pub fn remaining(&self) -> Vec<Turn> {
        self.turns.iter().map(|(_, t)| t.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_turn_kind() {
        let s = Script::from_json(
            r#"{"turns":[
              {"type":"text","text":"Hello world","delay_ms":5},
              {"type":"text","chunks":["Hel","lo"]},
              {"type":"tool_calls","text":"Running.","calls":[{"name":"bash","arguments":{"command":"ls","description":"List"}}]},
              {"type":"slow_text"},
              {"type":"error","status":429,"retry_after":3}
            ]}"#,
        )
        .unwrap();
        assert_eq!(s.turns.len(), 5);
        assert_eq!(s.turns[0], Turn::text("Hello world").with_delay_ms(5));
        assert_eq!(s.turns[1], Turn::chunks(["Hel", "lo"]));
        assert_eq!(
            s.turns[2],
            Turn::tool_call("bash", json!({"command": "ls", "description": "List"})).with_text("Running.")
        );
        assert_eq!(s.turns[3], Turn::slow_text(SLOW_DEFAULT_COUNT, SLOW_DEFAULT_DELAY_MS));
        assert_eq!(s.turns[4], Turn::error(429).with_retry_after(3));
    }

    #[test]
    fn rejects_unknown_fields_and_invalid_turns() {
        assert!(Script::from_json(r#"{"turns":[{"type":"text","text":"a","delay":1}]}"#).is_err());
        assert!(Script::from_json(r#"{"turns":[{"type":"nope"}]}"#).is_err());
        let both = Script::from_json(r#"{"turns":[{"type":"text","text":"a","chunks":["a"]}]}"#).unwrap_err();
        assert!(both.contains("turns[0]"), "{both}");
        assert!(Script::from_json(r#"{"turns":[{"type":"text"}]}"#).is_err());
        assert!(Script::from_json(r#"{"turns":[{"type":"tool_calls","calls":[]}]}"#).is_err());
        assert!(Script::from_json(r#"{"turns":[{"type":"error","status":200}]}"#).is_err());
    }

    #[test]
    fn serializes_round_trip_without_defaults() {
        let turn = Turn::tool_call("write", json!({"filePath": "a.txt", "content": "x"}));
        let v = serde_json::to_value(&turn).unwrap();
        assert_eq!(
            v,
            json!({"type": "tool_calls", "calls": [{"name": "write", "arguments": {"filePath": "a.txt", "content": "x"}}]})
        );
        assert_eq!(serde_json::from_value::<Turn>(v).unwrap(), turn);
    }

    #[test]
    fn string_arguments_are_sent_verbatim() {
        assert_eq!(ToolCallSpec::new("bash", json!("{\"command\":")).arguments_text(), "{\"command\":");
        assert_eq!(ToolCallSpec::new("bash", json!({"a": 1})).arguments_text(), "{\"a\":1}");
    }

    #[test]
    fn queue_is_fifo_with_stable_indexes() {
        let mut q = ScriptQueue::default();
        assert_eq!(q.push(Turn::text("a")), 0);
        assert_eq!(q.push(Turn::text("b")), 1);
        assert_eq!(q.pop(), Some((0, Turn::text("a"))));
        q.clear();
        assert!(q.is_empty());
        assert_eq!(q.push(Turn::text("c")), 2);
        assert_eq!(q.remaining(), vec![Turn::text("c")]);
        assert_eq!(q.len(), 1);
    }
}
