//! Tokens counted from a model response as it streams past the proxy, without holding it up:
//! OpenAI's usage chunk (`usage.prompt_tokens`, `completion_tokens`), Anthropic's
//! `message_start` and `message_delta` usage, or the `usage` of a response that is not streamed.
//! And their cost, from configured prices.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The most of an unstreamed response body kept to read its usage.
const MAX_BODY_KEPT: usize = 4 * 1024 * 1024;

/// Tokens one response used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Reads usage out of response bytes fed to it in whatever pieces they arrive.
#[derive(Debug, Default)]
pub struct UsageScanner {
    line: Vec<u8>,
    body: Vec<u8>,
    streamed: bool,
    usage: Usage,
}

impl UsageScanner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        if !self.streamed && self.body.len() + bytes.len() <= MAX_BODY_KEPT {
            self.body.extend_from_slice(bytes);
        }
        for &b in bytes {
            if b == b'\n' {
                let line = std::mem::take(&mut self.line);
                self.on_line(&line);
            } else if self.line.len() < MAX_BODY_KEPT {
                self.line.push(b);
            }
        }
    }

    fn on_line(&mut self, line: &[u8]) {
        let Some(data) = line.strip_prefix(b"data:") else { return };
        self.streamed = true;
        self.body.clear();
        if let Ok(value) = serde_json::from_slice::<Value>(data.trim_ascii()) {
            self.absorb(&value);
        }
    }

    fn absorb(&mut self, value: &Value) {
        // Anthropic's message_start nests it in `message`.
        for usage in [value.get("usage"), value.get("message").and_then(|m| m.get("usage"))].into_iter().flatten() {
            let n = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
            let input = n("prompt_tokens")
                + n("input_tokens")
                + n("cache_creation_input_tokens")
                + n("cache_read_input_tokens");
            let output = n("completion_tokens") + n("output_tokens");
            // Anthropic repeats counts cumulatively; the largest is the total.
            self.usage.input_tokens = self.usage.input_tokens.max(input);
            self.usage.output_tokens = self.usage.output_tokens.max(output);
        }
    }

    /// The usage, once the response has ended (or was cut off).
    pub fn finish(mut self) -> Usage {
        let rest = std::mem::take(&mut self.line);
        self.on_line(&rest);
        if !self.streamed {
            if let Ok(value) = serde_json::from_slice::<Value>(&self.body) {
                self.absorb(&value);
            }
        }
        self.usage
    }
}

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Price {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

/// Prices by `provider/model`, with `provider/*` for a provider's other models
/// (`MODEL_PRICES`, JSON).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Prices(pub BTreeMap<String, Price>);

impl Prices {
    pub fn parse(json: &str) -> Result<Self, String> {
        serde_json::from_str(json)
            .map_err(|e| format!("MODEL_PRICES is not a map of {{input_per_mtok, output_per_mtok}}: {e}"))
    }

    pub fn for_model(&self, model: &str) -> Option<Price> {
        let provider = model.split_once('/').map(|(p, _)| p).unwrap_or(model);
        self.0.get(model).or_else(|| self.0.get(&format!("{provider}/*"))).copied()
    }

    /// The cost of `usage` on `model`; 0 when it has no price.
    pub fn cost(&self, model: &str, usage: Usage) -> f64 {
        self.for_model(model).map_or(0.0, |p| {
            (usage.input_tokens as f64 * p.input_per_mtok + usage.output_tokens as f64 * p.output_per_mtok) / 1e6
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANTHROPIC_STREAM: &str = include_str!("../../tests/fixtures/llm/stream-tool-use.recorded.sse");
    const ANTHROPIC_MESSAGE: &str = include_str!("../../tests/fixtures/llm/message-tool-use.recorded.json");
    const OPENAI_STREAM: &str = include_str!("../../tests/fixtures/llm/stream-tool-calls.recorded.sse");

    fn scan_in_pieces(text: &str, piece: usize) -> Usage {
        let mut scanner = UsageScanner::new();
        for chunk in text.as_bytes().chunks(piece) {
            scanner.feed(chunk);
        }
        scanner.finish()
    }

    #[test]
    fn a_recorded_anthropic_stream_is_counted_however_it_is_cut() {
        for piece in [1, 7, 64, 100_000] {
            assert_eq!(
                scan_in_pieces(ANTHROPIC_STREAM, piece),
                Usage { input_tokens: 656, output_tokens: 74 },
                "{piece}"
            );
        }
    }

    #[test]
    fn a_recorded_openai_stream_is_counted_from_its_usage_chunk() {
        for piece in [3, 4096] {
            assert_eq!(scan_in_pieces(OPENAI_STREAM, piece), Usage { input_tokens: 44, output_tokens: 16 });
        }
    }

    #[test]
    fn an_unstreamed_message_is_counted_from_its_body() {
        let usage = scan_in_pieces(ANTHROPIC_MESSAGE, 50);
        assert_eq!(usage.input_tokens, 659);
        assert!(usage.output_tokens > 0);
        assert_eq!(scan_in_pieces("not json", 3), Usage::default());
    }

    #[test]
    fn prices_apply_per_model_or_per_provider() {
        let prices = Prices::parse(
            r#"{"anthropic/claude-haiku-4-5": {"input_per_mtok": 1.0, "output_per_mtok": 5.0},
                "openai/*": {"input_per_mtok": 2.0, "output_per_mtok": 8.0}}"#,
        )
        .unwrap();
        let usage = Usage { input_tokens: 1_000_000, output_tokens: 500_000 };
        assert_eq!(prices.cost("anthropic/claude-haiku-4-5", usage), 3.5);
        assert_eq!(prices.cost("openai/gpt-5", usage), 6.0);
        assert_eq!(prices.cost("scripted/test-model", usage), 0.0);
        assert!(Prices::parse("[1]").is_err());
    }
}
