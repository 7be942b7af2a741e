//! Images in chat requests: OpenAI content arrays with `image_url` parts are accepted, answered
//! as usual, and recorded per request (`GET /_requests`, `images`); a malformed image part is
//! a 400 naming it, and nothing is recorded for it.

mod common;

use common::*;
use oi_scripted_model::ScriptedModel;
use serde_json::{json, Value};

/// A 1×1 PNG (70 bytes).
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// An OpenCode-like body whose user message is `parts`.
fn body_with(parts: Value) -> Value {
    let mut body = chat_body("");
    body["messages"][1]["content"] = parts;
    body
}

#[tokio::test]
async fn image_parts_are_answered_and_recorded() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let data_url = format!("data:image/png;base64,{PNG}");
    let body = body_with(json!([
        {"type": "text", "text": "What does this show?"},
        {"type": "image_url", "image_url": {"url": data_url}},
    ]));
    let chunks = stream_chat(&model.url(), &body).await;
    assert_eq!(
        joined_text(&chunks),
        "I am the scripted test model (no real model is configured). You said: What does this show?"
    );
    // A request without images records none.
    stream_chat(&model.url(), &chat_body("no pictures")).await;

    let recorded: Value =
        client().get(format!("{}/_requests", model.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        recorded[0]["images"],
        json!([{
            "message": 1, "role": "user", "part": 1, "mime": "image/png", "bytes": 70, "detail": null,
            "url": data_url,
        }])
    );
    assert_eq!(recorded[1]["images"], json!([]));
    let requests = model.requests();
    assert_eq!(requests[0].images[0].bytes, Some(70), "the same, in process");
}

#[tokio::test]
async fn a_malformed_image_part_is_refused_like_openai() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let cases = [
        (json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}), "invalid_image_url"),
        (json!({"type": "image_url", "image_url": {"url": "data:text/html;base64,PGI+"}}), "invalid_image_url"),
        (json!({"type": "image_url", "image_url": {}}), "invalid_type"),
    ];
    for (part, code) in cases {
        let resp = post_chat(&model.url(), &body_with(json!([{"type": "text", "text": "look"}, part]))).await;
        assert_eq!(resp.status(), 400, "{part}");
        let error: Value = resp.json().await.unwrap();
        assert_openai_error(&error);
        assert_eq!(error["error"]["code"], code, "{error}");
        assert!(error["error"]["param"].as_str().unwrap().starts_with("messages[1].content[1].image_url"), "{error}");
    }
    assert!(model.requests().is_empty(), "nothing recorded for a refused request");
}
