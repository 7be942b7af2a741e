//! Helpers shared by the HTTP tests: OpenCode-like request bodies and an SSE reader.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The tools OpenCode offers that the tests use, with OpenCode's parameter names.
pub fn opencode_tools() -> Value {
    let tool = |name: &str, props: Value, required: Value| {
        json!({"type": "function", "function": {"name": name, "description": format!("The {name} tool"),
            "parameters": {"type": "object", "properties": props, "required": required,
                           "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}}})
    };
    let s = json!({"type": "string"});
    json!([
        tool("bash", json!({"command": s, "description": s}), json!(["command", "description"])),
        tool("write", json!({"content": s, "filePath": s}), json!(["content", "filePath"])),
        tool(
            "edit",
            json!({"filePath": s, "oldString": s, "newString": s}),
            json!(["filePath", "oldString", "newString"])
        ),
        tool("read", json!({"filePath": s}), json!(["filePath"])),
    ])
}

/// A body shaped like OpenCode's: system prompt, user turn, `tool_choice:"auto"`, streaming.
pub fn chat_body(prompt: &str) -> Value {
    json!({
        "model": "test-model",
        "max_tokens": 8192,
        "tool_choice": "auto",
        "stream": true,
        "stream_options": {"include_usage": true},
        "tools": opencode_tools(),
        "messages": [
            {"role": "system", "content": "You are OpenCode, the best coding agent on the planet. ".repeat(100)},
            {"role": "user", "content": prompt},
        ],
    })
}

/// OpenCode's title call: no tools.
pub fn title_body() -> Value {
    let mut body = chat_body("Generate a title for this conversation: Create hello.txt");
    body.as_object_mut().unwrap().remove("tools");
    body.as_object_mut().unwrap().remove("tool_choice");
    body
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap()
}

pub async fn post_chat(url: &str, body: &Value) -> reqwest::Response {
    client().post(format!("{url}/chat/completions")).json(body).send().await.unwrap()
}

/// A whole SSE body: the JSON chunks. Asserts the framing: only `data: ` events separated by
/// blank lines, ending with `data: [DONE]`.
pub fn parse_sse(body: &str) -> Vec<Value> {
    assert!(body.ends_with("data: [DONE]\n\n"), "stream must end with [DONE]: {body:?}");
    let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
    let (done, chunks) = events.split_last().unwrap();
    assert_eq!(*done, "data: [DONE]");
    chunks
        .iter()
        .map(|e| {
            let data = e.strip_prefix("data: ").unwrap_or_else(|| panic!("not a data event: {e:?}"));
            assert!(!data.contains('\n'), "one line per event");
            serde_json::from_str(data).unwrap()
        })
        .collect()
}

/// Sends a request, checks it is a 200 event stream and returns its chunks.
pub async fn stream_chat(url: &str, body: &Value) -> Vec<Value> {
    let resp = post_chat(url, body).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    parse_sse(&resp.text().await.unwrap())
}

pub fn delta(chunk: &Value) -> &Value {
    &chunk["choices"][0]["delta"]
}

/// The content deltas joined.
pub fn joined_text(chunks: &[Value]) -> String {
    chunks.iter().filter_map(|c| delta(c)["content"].as_str()).collect()
}

/// The finish reason of the stream (the one non-null `finish_reason`).
pub fn finish_reason(chunks: &[Value]) -> String {
    let reasons: Vec<&str> = chunks.iter().filter_map(|c| c["choices"][0]["finish_reason"].as_str()).collect();
    assert_eq!(reasons.len(), 1, "exactly one finish_reason");
    reasons[0].to_string()
}

/// One joined tool call.
#[derive(Debug, Default, Clone)]
pub struct JoinedCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// Joins tool-call deltas by `index`, like the AI SDK does. Asserts that the first fragment of
/// each call carries `id`, `type:"function"`, `name` and `arguments:""`.
pub fn joined_calls(chunks: &[Value]) -> Vec<JoinedCall> {
    let mut calls: BTreeMap<u64, JoinedCall> = BTreeMap::new();
    for tc in chunks.iter().filter_map(|c| delta(c)["tool_calls"].as_array()).flatten() {
        let index = tc["index"].as_u64().unwrap();
        let arguments = tc["function"]["arguments"].as_str().unwrap();
        match calls.get_mut(&index) {
            None => {
                assert_eq!(tc["type"], "function");
                assert_eq!(arguments, "", "first fragment has empty arguments");
                let id = tc["id"].as_str().unwrap().to_string();
                let name = tc["function"]["name"].as_str().unwrap().to_string();
                calls.insert(index, JoinedCall { id, name, arguments: String::new() });
            }
            Some(call) => {
                assert!(tc.get("id").is_none() && tc["function"].get("name").is_none());
                call.arguments.push_str(arguments);
            }
        }
    }
    calls.into_values().collect()
}

/// Polls `check` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub async fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

/// Asserts an OpenAI error body: `{"error":{"message","type","param","code"}}`, all four keys.
pub fn assert_openai_error(body: &Value) {
    let err = body["error"].as_object().unwrap_or_else(|| panic!("not an error body: {body}"));
    let mut keys: Vec<&str> = err.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["code", "message", "param", "type"], "{body}");
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(err["type"].is_string());
}
