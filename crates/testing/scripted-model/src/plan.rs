//! Turning a [`Turn`] into what is sent: text pieces and tool calls (a [`Reply`]) or an error.

use std::time::Duration;

use crate::errors::ApiError;
use crate::script::Turn;

/// One function call as it will be sent.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedCall {
    pub id: String,
    pub name: String,
    /// The raw arguments text (normally JSON).
    pub arguments: String,
}

/// A successful answer: text pieces (one per content delta), then tool calls.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Reply {
    pub pieces: Vec<String>,
    pub calls: Vec<PlannedCall>,
    /// Delay before every streamed chunk after the first one.
    pub delay: Duration,
}

/// What a turn becomes.
#[derive(Clone, Debug, PartialEq)]
pub enum Planned {
    Reply(Reply),
    Error(ApiError),
}

impl Reply {
    pub fn finish_reason(&self) -> &'static str {
        if self.calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        }
    }

    /// The whole text (the pieces joined).
    pub fn text(&self) -> String {
        self.pieces.concat()
    }

    /// A rough token count of the output (4 characters a token, at least 1).
    pub fn completion_tokens(&self) -> u64 {
        let chars: usize = self.pieces.iter().map(String::len).sum::<usize>()
            + self.calls.iter().map(|c| c.name.len() + c.arguments.len()).sum::<usize>();
        estimate_tokens(chars)
    }
}

/// 4 characters a token, at least 1.
pub fn estimate_tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4).max(1)
}

/// Splits text into words, each word keeping the whitespace before it, so that the pieces
/// join back to the exact text: `"Hello big world"` → `["Hello", " big", " world"]`.
pub fn split_words(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    for ch in text.chars() {
        if ch.is_whitespace() {
            if in_word {
                pieces.push(std::mem::take(&mut current));
                in_word = false;
            }
        } else {
            in_word = true;
        }
        current.push(ch);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Plans a turn. `next_call_id` makes ids for calls that have none.
pub fn plan_turn(turn: &Turn, mut next_call_id: impl FnMut() -> String) -> Planned {
    match turn {
        Turn::Text { text, chunks, delay_ms } => Planned::Reply(Reply {
            pieces: match chunks {
                Some(chunks) => chunks.clone(),
                None => split_words(text.as_deref().unwrap_or_default()),
            },
            calls: Vec::new(),
            delay: Duration::from_millis(*delay_ms),
        }),
        Turn::ToolCalls { text, calls, delay_ms } => Planned::Reply(Reply {
            pieces: split_words(text.as_deref().unwrap_or_default()),
            calls: calls
                .iter()
                .map(|c| PlannedCall {
                    id: c.id.clone().unwrap_or_else(&mut next_call_id),
                    name: c.name.clone(),
                    arguments: c.arguments_text(),
                })
                .collect(),
            delay: Duration::from_millis(*delay_ms),
        }),
        Turn::SlowText { count, delay_ms } => Planned::Reply(Reply {
            pieces: (1..=*count).map(|i| if i == 1 { "chunk 1".to_string() } else { format!(" chunk {i}") }).collect(),
            calls: Vec::new(),
            delay: Duration::from_millis(*delay_ms),
        }),
        Turn::Error { status, message, error_type, param, code, retry_after } => {
            let mut e = ApiError::for_status(*status);
            if let Some(m) = message {
                e.message = m.clone();
            }
            if let Some(t) = error_type {
                e.error_type = t.clone();
            }
            if param.is_some() {
                e.param = param.clone();
            }
            if code.is_some() {
                e.code = code.clone();
            }
            if retry_after.is_some() {
                e.retry_after = *retry_after;
            }
            Planned::Error(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::ToolCallSpec;
    use serde_json::json;

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("call_{n}")
        }
    }

    #[test]
    fn split_words_joins_back_exactly() {
        for text in ["Hello big world", "  lead and trail  ", "line\nbreak\n\nend", "", "one"] {
            assert_eq!(split_words(text).concat(), text);
        }
        assert_eq!(split_words("Hello big  world"), ["Hello", " big", "  world"]);
    }

    #[test]
    fn text_turn_uses_chunks_or_words() {
        let Planned::Reply(r) = plan_turn(&Turn::text("a b").with_delay_ms(3), ids()) else { panic!() };
        assert_eq!(r.pieces, ["a", " b"]);
        assert_eq!((r.finish_reason(), r.delay), ("stop", Duration::from_millis(3)));
        let Planned::Reply(r) = plan_turn(&Turn::chunks(["x y", "z"]), ids()) else { panic!() };
        assert_eq!(r.pieces, ["x y", "z"]);
    }

    #[test]
    fn tool_calls_get_ids_unless_given() {
        let mut given = ToolCallSpec::new("write", json!({"filePath": "a"}));
        given.id = Some("call_mine".into());
        let turn = Turn::tool_calls(vec![ToolCallSpec::new("bash", json!({"command": "ls"})), given]).with_text("Ok.");
        let Planned::Reply(r) = plan_turn(&turn, ids()) else { panic!() };
        assert_eq!(r.finish_reason(), "tool_calls");
        assert_eq!(r.text(), "Ok.");
        assert_eq!(
            r.calls[0],
            PlannedCall { id: "call_1".into(), name: "bash".into(), arguments: "{\"command\":\"ls\"}".into() }
        );
        assert_eq!(r.calls[1].id, "call_mine");
    }

    #[test]
    fn slow_text_has_count_numbered_chunks() {
        let Planned::Reply(r) = plan_turn(&Turn::slow_text(3, 50), ids()) else { panic!() };
        assert_eq!(r.text(), "chunk 1 chunk 2 chunk 3");
        assert_eq!(r.delay, Duration::from_millis(50));
    }

    #[test]
    fn error_turn_overrides_defaults() {
        let turn = Turn::Error {
            status: 400,
            message: Some("bad".into()),
            error_type: Some("x".into()),
            param: Some("p".into()),
            code: Some("c".into()),
            retry_after: Some(2),
        };
        let Planned::Error(e) = plan_turn(&turn, ids()) else { panic!() };
        assert_eq!((e.status, e.message.as_str(), e.error_type.as_str()), (400, "bad", "x"));
        assert_eq!((e.param.as_deref(), e.code.as_deref(), e.retry_after), (Some("p"), Some("c"), Some(2)));
        let Planned::Error(e) = plan_turn(&Turn::error(429), ids()) else { panic!() };
        assert_eq!(e.retry_after, Some(1));
    }

    #[test]
    fn token_estimates_are_at_least_one() {
        assert_eq!(estimate_tokens(0), 1);
        assert_eq!(estimate_tokens(9), 3);
        assert_eq!(Reply::default().completion_tokens(), 1);
    }
}
