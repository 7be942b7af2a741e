//! Error turns and malformed requests: status codes, OpenAI's error body, Retry-After.

mod common;

use common::*;
use oi_scripted_model::{ScriptedModel, Turn};
use serde_json::{json, Value};

#[tokio::test]
async fn rate_limit_turn_returns_429_with_retry_after() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push_all([
        Turn::error(429).with_retry_after(2).with_message("Rate limit reached for test-model"),
        Turn::text("after the retry"),
    ]);
    let resp = post_chat(&model.url(), &chat_body("hi")).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = resp.json().await.unwrap();
    assert_openai_error(&body);
    assert_eq!(body["error"]["message"], "Rate limit reached for test-model");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");

    // The error consumed its turn; the retry gets the next one.
    let chunks = stream_chat(&model.url(), &chat_body("hi")).await;
    assert_eq!(joined_text(&chunks), "after the retry");
    let consumed: Vec<Option<usize>> = model.requests().iter().map(|r| r.consumed_turn).collect();
    assert_eq!(consumed, [Some(0), Some(1)]);
}

#[tokio::test]
async fn error_turns_use_their_status_and_defaults() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    for status in [400u16, 401, 429, 500, 503] {
        model.push(Turn::error(status));
        let resp = post_chat(&model.url(), &chat_body("hi")).await;
        assert_eq!(resp.status().as_u16(), status);
        let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        assert_eq!(retry_after.as_deref(), (status == 429).then_some("1"), "status {status}");
        let body: Value = resp.json().await.unwrap();
        assert_openai_error(&body);
        let expected_type = if status >= 500 {
            "server_error"
        } else if status == 429 {
            "requests"
        } else {
            "invalid_request_error"
        };
        assert_eq!(body["error"]["type"], expected_type, "status {status}");
    }
}

#[tokio::test]
async fn error_turn_fields_can_be_set_from_json() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let turn: Turn = serde_json::from_value(json!({"type": "error", "status": 400, "message": "context too long",
        "error_type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}))
    .unwrap();
    model.push(turn);
    let resp = post_chat(&model.url(), &chat_body("hi")).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"message": "context too long", "type": "invalid_request_error",
            "param": "messages", "code": "context_length_exceeded"}})
    );
}

#[tokio::test]
async fn malformed_requests_get_400_and_are_not_recorded() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push(Turn::text("kept"));
    let url = format!("{}/chat/completions", model.url());
    let cases: Vec<(&str, String)> = vec![
        ("not json", "{\"model\": ".to_string()),
        ("missing model", json!({"messages": [{"role": "user", "content": "hi"}]}).to_string()),
        ("missing messages", json!({"model": "test-model"}).to_string()),
        ("messages not an array", json!({"model": "test-model", "messages": "hi"}).to_string()),
        ("empty body", String::new()),
    ];
    for (name, body) in cases {
        let resp = client().post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{name}");
        let body: Value = resp.json().await.unwrap();
        assert_openai_error(&body);
        assert_eq!(body["error"]["type"], "invalid_request_error", "{name}");
    }
    assert!(model.requests().is_empty());
    assert_eq!(model.remaining(), vec![Turn::text("kept")], "a rejected request consumes nothing");
}

#[tokio::test]
async fn unknown_paths_and_methods_get_openai_errors() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let resp = client().post(format!("{}/v1/completions", model.base_url())).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_openai_error(&body);
    assert_eq!(body["error"]["message"], "Invalid URL (POST /v1/completions)");

    let resp = client().get(format!("{}/chat/completions", model.url())).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_openai_error(&resp.json().await.unwrap());
}
