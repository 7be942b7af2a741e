//! Streamed and non-streamed answers over HTTP, against a server on 127.0.0.1:0.

mod common;

use common::*;
use oi_scripted_model::{ReplySource, ScriptedModel, ToolCallSpec, Turn};
use serde_json::{json, Value};

#[tokio::test]
async fn text_stream_joins_to_the_text() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push(Turn::text("Hello from the scripted model, line one.\nLine two."));
    let mut body = chat_body("Say hello");
    body["model"] = json!("some-other-model");
    let chunks = stream_chat(&model.url(), &body).await;

    assert_eq!(joined_text(&chunks), "Hello from the scripted model, line one.\nLine two.");
    assert_eq!(finish_reason(&chunks), "stop");
    assert!(chunks.len() > 5, "split into several chunks");
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-"));
    for c in &chunks {
        assert_eq!(c["id"], id);
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["model"], "some-other-model", "the request's model is echoed");
        assert!(c["created"].is_u64() && c["system_fingerprint"].is_string());
    }
    assert_eq!(delta(&chunks[0])["role"], "assistant");
    assert!(chunks[1..].iter().all(|c| delta(c).get("role").is_none()));
    for c in &chunks[..chunks.len() - 1] {
        assert_eq!(c["choices"][0]["index"], 0);
        assert!(c["choices"][0]["logprobs"].is_null());
    }
    assert_eq!(model.remaining(), vec![]);
}

#[tokio::test]
async fn explicit_chunks_are_sent_as_given() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push(Turn::chunks(["Hel", "lo wor", "ld"]).with_delay_ms(10));
    let chunks = stream_chat(&model.url(), &chat_body("hi")).await;
    let contents: Vec<&str> = chunks.iter().filter_map(|c| delta(c)["content"].as_str()).collect();
    assert_eq!(contents, ["", "Hel", "lo wor", "ld"]);
}

#[tokio::test]
async fn usage_chunk_present_iff_include_usage() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push_all([Turn::text("one"), Turn::text("two")]);

    let with = stream_chat(&model.url(), &chat_body("a")).await;
    let usage_chunk = with.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    let usage = &usage_chunk["usage"];
    let (p, c) = (usage["prompt_tokens"].as_u64().unwrap(), usage["completion_tokens"].as_u64().unwrap());
    assert!(p > 100, "the long system prompt counts: {p}");
    assert_eq!(usage["total_tokens"].as_u64().unwrap(), p + c);
    assert_eq!(with.iter().filter(|c| c.get("usage").is_some()).count(), 1);

    let mut body = chat_body("b");
    body["stream_options"] = json!({"include_usage": false});
    let without = stream_chat(&model.url(), &body).await;
    assert!(without.iter().all(|c| c.get("usage").is_none()));
    assert_eq!(finish_reason(&without), "stop");
    assert_eq!(joined_text(&without), "two");
}

#[tokio::test]
async fn tool_call_arguments_join_to_valid_json() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let content = "fn main() {\n    println!(\"hi \\\"there\\\" é\");\n}\n".repeat(50);
    model.push(
        Turn::tool_calls(vec![
            ToolCallSpec::new("write", json!({"filePath": "src/main.rs", "content": content})),
            ToolCallSpec::new("edit", json!({"filePath": "a.txt", "oldString": "a", "newString": "b"})),
        ])
        .with_text("Writing the files."),
    );
    let chunks = stream_chat(&model.url(), &chat_body("Write main.rs")).await;

    assert_eq!(joined_text(&chunks), "Writing the files.");
    assert_eq!(finish_reason(&chunks), "tool_calls");
    let calls = joined_calls(&chunks);
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].name.as_str(), calls[1].name.as_str()), ("write", "edit"));
    assert!(calls[0].id.starts_with("call_") && calls[0].id != calls[1].id);
    let write: Value = serde_json::from_str(&calls[0].arguments).unwrap();
    assert_eq!(write, json!({"filePath": "src/main.rs", "content": content}));
    let edit: Value = serde_json::from_str(&calls[1].arguments).unwrap();
    assert_eq!(edit["newString"], "b");
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(delta(finish), &json!({}));
}

#[tokio::test]
async fn tool_call_only_stream_starts_like_openai() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push(Turn::tool_call("bash", json!({"command": "echo hi > hello.txt", "description": "Write hello"})));
    let chunks = stream_chat(&model.url(), &chat_body("go")).await;
    let first = delta(&chunks[0]);
    assert_eq!(first["role"], "assistant");
    assert!(first["content"].is_null());
    assert_eq!(first["tool_calls"][0]["function"]["name"], "bash");
    let calls = joined_calls(&chunks);
    let args: Value = serde_json::from_str(&calls[0].arguments).unwrap();
    assert_eq!(args["command"], "echo hi > hello.txt");
}

#[tokio::test]
async fn non_streaming_request_gets_a_chat_completion() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push_all([Turn::tool_call("bash", json!({"command": "ls", "description": "List"})), Turn::text("Fine.")]);
    let mut body = chat_body("go");
    body["stream"] = json!(false);

    let resp = post_chat(&model.url(), &body).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let completion: Value = resp.json().await.unwrap();
    assert_eq!(completion["object"], "chat.completion");
    assert_eq!(completion["model"], "test-model");
    let choice = &completion["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["tool_calls"][0]["function"]["name"], "bash");
    let args = choice["message"]["tool_calls"][0]["function"]["arguments"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(args).unwrap(), json!({"command": "ls", "description": "List"}));

    body.as_object_mut().unwrap().remove("stream");
    let completion: Value = post_chat(&model.url(), &body).await.json().await.unwrap();
    assert_eq!(completion["choices"][0]["message"]["content"], "Fine.");
    assert!(completion["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn title_requests_do_not_consume_turns() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push(Turn::text("scripted answer"));

    let title = stream_chat(&model.url(), &title_body()).await;
    assert_eq!(joined_text(&title), "Test session");
    assert_eq!(model.remaining(), vec![Turn::text("scripted answer")]);

    let mut empty_tools = chat_body("x");
    empty_tools["tools"] = json!([]);
    assert_eq!(joined_text(&stream_chat(&model.url(), &empty_tools).await), "Test session");
    assert_eq!(model.remaining().len(), 1);

    let answer = stream_chat(&model.url(), &chat_body("Create hello.txt")).await;
    assert_eq!(joined_text(&answer), "scripted answer");
    assert!(model.remaining().is_empty());

    let recorded = model.requests();
    let summary: Vec<(u64, Option<usize>, ReplySource)> =
        recorded.iter().map(|r| (r.seq, r.consumed_turn, r.reply)).collect();
    assert_eq!(
        summary,
        [(1, None, ReplySource::Title), (2, None, ReplySource::Title), (3, Some(0), ReplySource::Script)]
    );
    assert_eq!(recorded[2].body, chat_body("Create hello.txt"), "the body is recorded as sent");
}

#[tokio::test]
async fn default_behaviour_creates_a_file_then_says_done() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();

    let first = stream_chat(&model.url(), &chat_body("Create hello.txt please")).await;
    assert_eq!(finish_reason(&first), "tool_calls");
    let call = joined_calls(&first).remove(0);
    assert_eq!(call.name, "write");
    let args: Value = serde_json::from_str(&call.arguments).unwrap();
    assert_eq!(args["filePath"], "hello.txt");
    assert!(args["content"].as_str().unwrap().contains("scripted test model"));

    // OpenCode's follow-up: the assistant's tool call and the tool's result.
    let mut follow_up = chat_body("Create hello.txt please");
    let messages = follow_up["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": "", "tool_calls": [
        {"id": call.id, "type": "function", "function": {"name": "write", "arguments": call.arguments}}]}));
    messages.push(json!({"role": "tool", "tool_call_id": call.id, "content": "Wrote file successfully."}));
    let second = stream_chat(&model.url(), &follow_up).await;
    assert_eq!(finish_reason(&second), "stop");
    assert_eq!(joined_text(&second), "Done. The `write` tool finished: Wrote file successfully.");

    let third = stream_chat(&model.url(), &chat_body("What is in this repo?")).await;
    let text = joined_text(&third);
    assert!(text.contains("scripted test model") && text.ends_with("What is in this repo?"), "{text}");

    assert!(model.requests().iter().all(|r| r.reply == ReplySource::Default && r.consumed_turn.is_none()));
}
