//! Building `chat.completion.chunk` objects and SSE events for a [`Reply`] (pure functions).

use std::time::Duration;

use serde::Serialize;

use crate::plan::Reply;

/// The final SSE event.
pub const SSE_DONE: &str = "data: [DONE]\n\n";

/// Fields shared by every chunk (and the non-streamed completion) of one answer.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkMeta {
    pub id: String,
    pub created: u64,
    /// Echoes the request's `model`.
    pub model: String,
    pub system_fingerprint: String,
}

/// Token counts reported in the usage chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// One SSE event to write after waiting `delay`.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamEvent {
    pub delay: Duration,
    /// `data: <json>\n\n`, or [`SSE_DONE`].
    pub data: String,
}

/// The wire form of [`Usage`], fields in OpenAI's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UsageJson {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    pub completion_tokens_details: ReasoningTokens,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasoningTokens {
    pub reasoning_tokens: u64,
}

impl Usage {
    pub fn to_json(self) -> UsageJson {
        UsageJson {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            total_tokens: self.prompt_tokens + self.completion_tokens,
            completion_tokens_details: ReasoningTokens { reasoning_tokens: 0 },
        }
    }
}

/// A `chat.completion.chunk`. Typed so the fields serialize in OpenAI's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chunk {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub system_fingerprint: String,
    pub choices: Vec<ChunkChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    /// Always `null`.
    pub logprobs: Option<()>,
    pub finish_reason: Option<&'static str>,
}

/// A delta. `None` fields are left out; `Some(None)` is sent as `null`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Delta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Option<String>>,
}

/// A tool-call delta: the first one has `id`, `type` and `function.name`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolCallDelta {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub function: FunctionDelta,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunctionDelta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub arguments: String,
}

/// `{id, object:"chat.completion.chunk", created, model, system_fingerprint, choices:[{index:0, delta, logprobs:null, finish_reason}]}`.
pub fn chunk(meta: &ChunkMeta, delta: Delta, finish_reason: Option<&'static str>) -> Chunk {
    Chunk {
        id: meta.id.clone(),
        object: "chat.completion.chunk",
        created: meta.created,
        model: meta.model.clone(),
        system_fingerprint: meta.system_fingerprint.clone(),
        choices: vec![ChunkChoice { index: 0, delta, logprobs: None, finish_reason }],
        usage: None,
    }
}

/// The usage-only chunk sent before `[DONE]` when `stream_options.include_usage` is true.
pub fn usage_chunk(meta: &ChunkMeta, usage: Usage) -> Chunk {
    Chunk { choices: Vec::new(), usage: Some(usage.to_json()), ..chunk(meta, Delta::default(), None) }
}

/// Splits an arguments text into fragments of about `len/64` characters (at least 16), on
/// character boundaries, so a long `write` does not become thousands of chunks.
pub fn fragment_arguments(args: &str) -> Vec<String> {
    let chars: Vec<char> = args.chars().collect();
    let size = chars.len().div_ceil(64).max(16);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// The first delta of a tool call: `{index, id, type:"function", function:{name, arguments:""}}`.
fn tool_call_start(index: usize, id: &str, name: &str) -> ToolCallDelta {
    ToolCallDelta {
        index,
        id: Some(id.into()),
        kind: Some("function"),
        function: FunctionDelta { name: Some(name.into()), arguments: String::new() },
    }
}

fn tool_call_fragment(index: usize, piece: String) -> ToolCallDelta {
    ToolCallDelta { index, id: None, kind: None, function: FunctionDelta { name: None, arguments: piece } }
}

/// The chunks of a reply, without usage: a role chunk, content deltas, tool-call deltas, then
/// `delta:{}` with the finish reason.
///
/// Like OpenAI's recorded streams: text starts with `{"role":"assistant","content":"","refusal":null}`;
/// a reply that is only tool calls starts with `{"role":"assistant","content":null,"tool_calls":[…],"refusal":null}`.
pub fn reply_chunks(meta: &ChunkMeta, reply: &Reply) -> Vec<Chunk> {
    let mut deltas: Vec<Delta> = Vec::new();
    for piece in &reply.pieces {
        deltas.push(Delta { content: Some(Some(piece.clone())), ..Delta::default() });
    }
    for (index, call) in reply.calls.iter().enumerate() {
        deltas.push(Delta { tool_calls: Some(vec![tool_call_start(index, &call.id, &call.name)]), ..Delta::default() });
        for piece in fragment_arguments(&call.arguments) {
            deltas.push(Delta { tool_calls: Some(vec![tool_call_fragment(index, piece)]), ..Delta::default() });
        }
    }
    let first = if reply.pieces.is_empty() && !reply.calls.is_empty() {
        let first_call = deltas.remove(0);
        Delta { role: Some("assistant"), content: Some(None), tool_calls: first_call.tool_calls, refusal: Some(None) }
    } else {
        Delta { role: Some("assistant"), content: Some(Some(String::new())), tool_calls: None, refusal: Some(None) }
    };
    let mut chunks = vec![chunk(meta, first, None)];
    chunks.extend(deltas.into_iter().map(|d| chunk(meta, d, None)));
    chunks.push(chunk(meta, Delta::default(), Some(reply.finish_reason())));
    chunks
}

/// `data: <json>\n\n`.
pub fn sse_data(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).expect("chunks always serialize");
    format!("data: {json}\n\n")
}

/// Every SSE event of a streamed reply: the chunks (each after the first and before the finish
/// chunk waits `reply.delay`), the usage chunk when `usage` is set, then `data: [DONE]`.
pub fn build_stream(meta: &ChunkMeta, reply: &Reply, usage: Option<Usage>) -> Vec<StreamEvent> {
    let chunks = reply_chunks(meta, reply);
    let last = chunks.len() - 1;
    let mut events: Vec<StreamEvent> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| StreamEvent {
            delay: if i == 0 || i == last { Duration::ZERO } else { reply.delay },
            data: sse_data(c),
        })
        .collect();
    if let Some(usage) = usage {
        events.push(StreamEvent { delay: Duration::ZERO, data: sse_data(&usage_chunk(meta, usage)) });
    }
    events.push(StreamEvent { delay: Duration::ZERO, data: SSE_DONE.to_string() });
    events
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
