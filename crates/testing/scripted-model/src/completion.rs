//! The non-streamed answer (`stream:false`): one `chat.completion` object.

use serde::Serialize;

use crate::plan::Reply;
use crate::stream::{ChunkMeta, Usage, UsageJson};

/// A `chat.completion`. Typed so the fields serialize in OpenAI's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Completion {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub choices: Vec<CompletionChoice>,
    pub usage: UsageJson,
    pub system_fingerprint: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompletionChoice {
    pub index: u32,
    pub message: Message,
    /// Always `null`.
    pub logprobs: Option<()>,
    pub finish_reason: &'static str,
}

/// The assistant message; `content` is `null` when the answer is only tool calls.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Message {
    pub role: &'static str,
    pub content: Option<String>,
    pub refusal: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    pub annotations: Vec<()>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: Function,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Function {
    pub name: String,
    pub arguments: String,
}

/// `{id, object:"chat.completion", created, model, choices:[{index:0, message{role, content,
/// refusal, tool_calls?, annotations}, logprobs:null, finish_reason}], usage, system_fingerprint}`.
pub fn build_completion(meta: &ChunkMeta, reply: &Reply, usage: Usage) -> Completion {
    let text = reply.text();
    let tool_calls: Vec<ToolCall> = reply
        .calls
        .iter()
        .map(|c| ToolCall {
            id: c.id.clone(),
            kind: "function",
            function: Function { name: c.name.clone(), arguments: c.arguments.clone() },
        })
        .collect();
    let content = if text.is_empty() && !tool_calls.is_empty() { None } else { Some(text) };
    Completion {
        id: meta.id.clone(),
        object: "chat.completion",
        created: meta.created,
        model: meta.model.clone(),
        choices: vec![CompletionChoice {
            index: 0,
            message: Message { role: "assistant", content, refusal: None, tool_calls, annotations: Vec::new() },
            logprobs: None,
            finish_reason: reply.finish_reason(),
        }],
        usage: usage.to_json(),
        system_fingerprint: meta.system_fingerprint.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlannedCall;
    use serde_json::{json, Value};

    fn to_value(c: Completion) -> Value {
        serde_json::to_value(c).unwrap()
    }

    fn meta() -> ChunkMeta {
        ChunkMeta { id: "chatcmpl-x".into(), created: 1, model: "m".into(), system_fingerprint: "fp".into() }
    }

    const USAGE: Usage = Usage { prompt_tokens: 3, completion_tokens: 2 };

    #[test]
    fn text_completion() {
        let reply = Reply { pieces: vec!["Hello".into(), " world".into()], ..Reply::default() };
        let c = to_value(build_completion(&meta(), &reply, USAGE));
        assert_eq!(c["object"], "chat.completion");
        assert_eq!(c["choices"][0]["message"]["content"], "Hello world");
        assert_eq!(c["choices"][0]["finish_reason"], "stop");
        assert!(c["choices"][0]["message"].get("tool_calls").is_none());
        assert_eq!(c["usage"]["total_tokens"], 5);
    }

    #[test]
    fn tool_call_completion_has_null_content() {
        let reply = Reply {
            calls: vec![PlannedCall {
                id: "call_1".into(),
                name: "bash".into(),
                arguments: "{\"command\":\"ls\"}".into(),
            }],
            ..Reply::default()
        };
        let c = to_value(build_completion(&meta(), &reply, USAGE));
        let message = &c["choices"][0]["message"];
        assert!(message["content"].is_null());
        assert_eq!(
            message["tool_calls"],
            json!([{"id": "call_1", "type": "function", "function": {"name": "bash", "arguments": "{\"command\":\"ls\"}"}}])
        );
        assert_eq!(c["choices"][0]["finish_reason"], "tool_calls");
    }
}
