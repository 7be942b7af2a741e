//! Unit tests of `stream.rs`, including shape comparisons with OpenAI's recorded streams.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::*;
use crate::plan::{PlannedCall, Reply};

const RECORDED_TOOL_CALLS: &str = include_str!("../tests/fixtures/openai/stream-tool-calls.recorded.sse");
const RECORDED_PARALLEL: &str = include_str!("../tests/fixtures/openai/stream-parallel-tool-calls.recorded.sse");
const RECORDED_TEXT: &str = include_str!("../tests/fixtures/openai/stream-text-finish-length.recorded.sse");

fn meta() -> ChunkMeta {
    ChunkMeta {
        id: "chatcmpl-test".into(),
        created: 1_727_346_182,
        model: "test-model".into(),
        system_fingerprint: "fp_scripted".into(),
    }
}

fn usage() -> Usage {
    Usage { prompt_tokens: 44, completion_tokens: 16 }
}

/// Splits an SSE body into its `data:` payloads (`[DONE]` kept as a string).
fn sse_payloads(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| e.strip_prefix("data: ").expect("every event is a data line").trim_end().to_string())
        .collect()
}

fn stream_text(events: &[StreamEvent]) -> String {
    events.iter().map(|e| e.data.as_str()).collect()
}

/// The JSON chunks of a stream; asserts it ends with `[DONE]` and nothing follows.
fn chunks_of(body: &str) -> Vec<Value> {
    let mut payloads = sse_payloads(body);
    assert_eq!(payloads.pop().as_deref(), Some("[DONE]"));
    payloads.iter().map(|p| serde_json::from_str(p).unwrap()).collect()
}

/// The structure of a value: keys kept (sorted), scalars replaced by their type, except the
/// values that matter for the contract (`object`, `role`, `type`, `finish_reason`).
fn shape(v: &Value) -> Value {
    shape_at(None, v)
}

fn shape_at(key: Option<&str>, v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape_at(Some(k), v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|v| shape_at(None, v)).collect()),
        Value::String(s) if matches!(key, Some("object" | "role" | "type" | "finish_reason")) => json!(s),
        Value::String(s) if s.is_empty() => json!("<empty string>"),
        Value::String(_) => json!("<string>"),
        Value::Number(_) => json!("<number>"),
        Value::Bool(_) => json!("<bool>"),
        Value::Null => Value::Null,
    }
}

fn shapes(chunks: &[Value]) -> BTreeSet<String> {
    chunks.iter().map(|c| shape(c).to_string()).collect()
}

fn weather_reply() -> Reply {
    Reply {
        pieces: vec![],
        calls: vec![PlannedCall {
            id: "call_4XzlGBLtUe9dy3GVNV4jhq7h".into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"New York City"}"#.into(),
        }],
        delay: Duration::ZERO,
    }
}

#[test]
fn tool_call_stream_has_the_recorded_shapes() {
    let ours = chunks_of(&stream_text(&build_stream(&meta(), &weather_reply(), Some(usage()))));
    let recorded = chunks_of(RECORDED_TOOL_CALLS);
    // Same first chunk, finish chunk and usage chunk, field by field (values aside).
    assert_eq!(shape(&ours[0]), shape(&recorded[0]));
    assert_eq!(shape(&ours[ours.len() - 2]), shape(&recorded[recorded.len() - 2]));
    assert_eq!(shape(ours.last().unwrap()), shape(recorded.last().unwrap()));
    // Every chunk looks like one of the recorded chunks, and every recorded kind appears.
    assert_eq!(shapes(&ours), shapes(&recorded));
}

/// The recording's events as text, without the blank lines.
fn recorded_events(body: &str) -> Vec<&str> {
    body.split("\n\n").filter(|e| !e.trim().is_empty()).collect()
}

/// The meta and usage of a recording, to rebuild the same stream.
fn recorded_meta_and_usage(body: &str) -> (ChunkMeta, Usage) {
    let chunks = chunks_of(body);
    let (first, last) = (&chunks[0], chunks.last().unwrap());
    let meta = ChunkMeta {
        id: first["id"].as_str().unwrap().into(),
        created: first["created"].as_u64().unwrap(),
        model: first["model"].as_str().unwrap().into(),
        system_fingerprint: first["system_fingerprint"].as_str().unwrap().into(),
    };
    let usage = Usage {
        prompt_tokens: last["usage"]["prompt_tokens"].as_u64().unwrap(),
        completion_tokens: last["usage"]["completion_tokens"].as_u64().unwrap(),
    };
    (meta, usage)
}

#[test]
fn tool_call_stream_is_byte_identical_to_the_recording_except_fragment_sizes() {
    let (meta, usage) = recorded_meta_and_usage(RECORDED_TOOL_CALLS);
    let recorded = recorded_events(RECORDED_TOOL_CALLS);
    let ours = build_stream(&meta, &weather_reply(), Some(usage));
    let ours: Vec<&str> = ours.iter().map(|e| e.data.trim_end_matches('\n')).collect();
    // First chunk (role + first tool-call fragment), finish chunk, usage chunk and [DONE].
    assert_eq!(ours[0], recorded[0]);
    assert_eq!(ours[ours.len() - 3..], recorded[recorded.len() - 3..]);
    // The argument fragments differ only in where the arguments are cut.
    let recorded_fragment = recorded[1].replace(r#""arguments":"{\"""#, r#""arguments":"<piece>""#);
    let our_fragment = ours[1].replace(r#""arguments":"{\"city\":\"New Yor""#, r#""arguments":"<piece>""#);
    assert_eq!(our_fragment, recorded_fragment);
}

#[test]
fn text_stream_is_byte_identical_to_the_recording() {
    let (meta, usage) = recorded_meta_and_usage(RECORDED_TEXT);
    let recorded = recorded_events(RECORDED_TEXT);
    let reply = Reply { pieces: vec!["{\"".into()], calls: vec![], delay: Duration::ZERO };
    let ours: Vec<String> = build_stream(&meta, &reply, Some(usage)).into_iter().map(|e| e.data).collect();
    let ours: Vec<String> = ours
        .iter()
        .map(|d| d.trim_end_matches('\n').replace(r#""finish_reason":"stop""#, r#""finish_reason":"length""#))
        .collect();
    assert_eq!(ours, recorded);
}

#[test]
fn tool_call_arguments_join_to_the_original_json() {
    let ours = chunks_of(&stream_text(&build_stream(&meta(), &weather_reply(), None)));
    let joined: String = ours
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(serde_json::from_str::<Value>(&joined).unwrap(), json!({"city": "New York City"}));
    let first_call = &ours[0]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(first_call["id"], "call_4XzlGBLtUe9dy3GVNV4jhq7h");
    assert_eq!(first_call["function"]["arguments"], "");
    assert_eq!(ours.last().unwrap()["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn parallel_tool_calls_have_the_recorded_shapes() {
    let mut reply = weather_reply();
    reply.calls.push(PlannedCall {
        id: "call_DNYTawLBoN8fj3KN6qU9N1Ou".into(),
        name: "get_stock_price".into(),
        arguments: r#"{"ticker": "AAPL", "exchange": "NASDAQ"}"#.into(),
    });
    let ours = chunks_of(&stream_text(&build_stream(&meta(), &reply, Some(usage()))));
    let recorded = chunks_of(RECORDED_PARALLEL);
    // The recording sends the role in a chunk of its own; after it, the kinds must match.
    assert_eq!(shapes(&ours[1..]), shapes(&recorded[1..]));
    let starts: Vec<(u64, &str)> = ours
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0].as_object())
        .filter(|tc| tc.contains_key("id"))
        .map(|tc| (tc["index"].as_u64().unwrap(), tc["function"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(starts, [(0, "get_weather"), (1, "get_stock_price")]);
}

#[test]
fn text_stream_has_the_recorded_shapes() {
    let reply = Reply { pieces: vec!["{\"".into()], calls: vec![], delay: Duration::ZERO };
    let ours = chunks_of(&stream_text(&build_stream(&meta(), &reply, Some(usage()))));
    let recorded = chunks_of(RECORDED_TEXT);
    assert_eq!(ours.len(), recorded.len());
    for (i, (o, r)) in ours.iter().zip(&recorded).enumerate() {
        let (mut o, r) = (shape(o), shape(r));
        // The recording ends with "length" (max tokens hit); a scripted text ends with "stop".
        if r["choices"][0]["finish_reason"] == "length" {
            o["choices"][0]["finish_reason"] = json!("length");
        }
        assert_eq!(o, r, "chunk {i}");
    }
    assert_eq!(ours[2]["choices"][0]["finish_reason"], "stop");
}

#[test]
fn every_chunk_shares_id_model_and_envelope() {
    let reply = Reply { pieces: vec!["Hi".into(), " there".into()], ..weather_reply() };
    let ours = chunks_of(&stream_text(&build_stream(&meta(), &reply, Some(usage()))));
    for c in &ours {
        assert_eq!(c["id"], "chatcmpl-test");
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["model"], "test-model");
        assert_eq!(c["system_fingerprint"], "fp_scripted");
    }
    // Text first, then the call; role only in the first chunk.
    assert_eq!(ours[0]["choices"][0]["delta"], json!({"role": "assistant", "content": "", "refusal": null}));
    assert_eq!(ours[1]["choices"][0]["delta"], json!({"content": "Hi"}));
    assert_eq!(ours.iter().filter(|c| c["choices"][0]["delta"].get("role").is_some()).count(), 1);
    let usage_chunk = ours.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"]["total_tokens"], 60);
}

#[test]
fn usage_chunk_only_when_asked() {
    let reply = Reply { pieces: vec!["a".into()], ..Reply::default() };
    let without = chunks_of(&stream_text(&build_stream(&meta(), &reply, None)));
    assert!(without.iter().all(|c| c.get("usage").is_none()));
    assert_eq!(without.last().unwrap()["choices"][0]["finish_reason"], "stop");
}

#[test]
fn delays_pace_the_middle_chunks_only() {
    let reply = Reply { pieces: vec!["a".into(), " b".into()], calls: vec![], delay: Duration::from_millis(5) };
    let delays: Vec<u128> = build_stream(&meta(), &reply, Some(usage())).iter().map(|e| e.delay.as_millis()).collect();
    // role, "a", " b", finish, usage, [DONE]
    assert_eq!(delays, [0, 5, 5, 0, 0, 0]);
}

#[test]
fn empty_reply_still_has_role_and_finish() {
    let ours = chunks_of(&stream_text(&build_stream(&meta(), &Reply::default(), None)));
    assert_eq!(ours.len(), 2);
    assert_eq!(ours[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(ours[1]["choices"][0]["finish_reason"], "stop");
}

#[test]
fn fragments_are_bounded_and_utf8_safe() {
    assert_eq!(fragment_arguments(r#"{"city":"New York City"}"#), [r#"{"city":"New Yor"#, r#"k City"}"#]);
    let long = format!("{{\"content\":\"{}\"}}", "é".repeat(10_000));
    let parts = fragment_arguments(&long);
    assert!(parts.len() <= 64, "{} fragments", parts.len());
    assert_eq!(parts.concat(), long);
    assert!(fragment_arguments("").is_empty());
}

#[test]
fn sse_framing_is_data_lines_and_blank_lines() {
    assert_eq!(sse_data(&json!({"a": 1})), "data: {\"a\":1}\n\n");
    let events = build_stream(&meta(), &Reply::default(), None);
    assert_eq!(events.last().unwrap().data, SSE_DONE);
    assert!(events.iter().all(|e| e.data.starts_with("data: ") && e.data.ends_with("\n\n")));
}
