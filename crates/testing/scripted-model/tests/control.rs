//! The control API (`/_script`, `/_requests`, `/_stats`, `/health`) and `GET /v1/models`.

mod common;

use common::*;
use oi_scripted_model::{Options, ScriptedModel, Turn};
use serde_json::{json, Value};

#[tokio::test]
async fn script_can_be_managed_over_http() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let base = model.base_url();
    let http = client();

    let script = json!({"turns": [
        {"type": "tool_calls", "calls": [{"name": "bash", "arguments": {"command": "ls", "description": "List"}}]},
        {"type": "text", "text": "Listed."}
    ]});
    let resp = http.post(format!("{base}/_script")).json(&script).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"appended": 2, "remaining": 2}));
    let left: Value = http.get(format!("{base}/_script")).send().await.unwrap().json().await.unwrap();
    assert_eq!(left, script, "GET /_script shows the turns in the POST format");

    let chunks = stream_chat(&model.url(), &chat_body("list")).await;
    assert_eq!(joined_calls(&chunks)[0].name, "bash");
    let left: Value = http.get(format!("{base}/_script")).send().await.unwrap().json().await.unwrap();
    assert_eq!(left["turns"].as_array().unwrap().len(), 1);

    let resp = http.delete(format!("{base}/_script")).send().await.unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"cleared": 1}));
    assert!(model.remaining().is_empty());
}

#[tokio::test]
async fn invalid_scripts_are_rejected() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let base = model.base_url();
    for bad in [
        json!({"turns": [{"type": "text"}]}),
        json!({"turns": [{"type": "teleport"}]}),
        json!({"turns": [{"type": "text", "text": "a", "delay": 3}]}),
        json!([{"type": "text", "text": "a"}]),
    ] {
        let resp = client().post(format!("{base}/_script")).json(&bad).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
        assert_openai_error(&resp.json().await.unwrap());
    }
    assert!(model.remaining().is_empty());
}

#[tokio::test]
async fn requests_are_recorded_and_can_be_cleared() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let base = model.base_url();
    model.push(Turn::text("scripted"));
    stream_chat(&model.url(), &title_body()).await;
    stream_chat(&model.url(), &chat_body("first")).await;
    stream_chat(&model.url(), &chat_body("second")).await;

    let recorded: Value = client().get(format!("{base}/_requests")).send().await.unwrap().json().await.unwrap();
    let recorded = recorded.as_array().unwrap();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[0]["consumed_turn"], Value::Null);
    assert_eq!(recorded[0]["reply"], "title");
    assert_eq!(recorded[1]["consumed_turn"], 0);
    assert_eq!(recorded[1]["reply"], "script");
    assert_eq!(recorded[2]["consumed_turn"], Value::Null);
    assert_eq!(recorded[2]["reply"], "default");
    assert_eq!(recorded[2]["body"]["messages"][1]["content"], "second");

    let resp = client().delete(format!("{base}/_requests")).send().await.unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"cleared": 3}));
    assert!(model.requests().is_empty());
    let stats: Value = client().get(format!("{base}/_stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["chat_requests"], 3);
    assert_eq!(stats["active_streams"], 0);
}

#[tokio::test]
async fn health_and_models() {
    let options = Options {
        models: vec!["test-model".into(), "test-model-2".into()],
        turns: vec![Turn::text("x")],
        ..Options::default()
    };
    let model = ScriptedModel::start_with("127.0.0.1:0", options).await.unwrap();
    let resp = client().get(format!("{}/health", model.base_url())).send().await.unwrap();
    assert_eq!(resp.status(), 200);

    let models: Value = client().get(format!("{}/models", model.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(models["object"], "list");
    let ids: Vec<&str> = models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["test-model", "test-model-2"]);
    assert!(models["data"].as_array().unwrap().iter().all(|m| m["object"] == "model" && m["owned_by"].is_string()));
    assert_eq!(model.remaining(), vec![Turn::text("x")], "initial turns are queued");
}

#[tokio::test]
async fn invalid_initial_turns_fail_start() {
    let options = Options { turns: vec![Turn::error(200)], ..Options::default() };
    let err = ScriptedModel::start_with("127.0.0.1:0", options).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
#[should_panic(expected = "invalid scripted turn")]
async fn pushing_an_invalid_turn_panics() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    model.push(Turn::Text { text: None, chunks: None, delay_ms: 0 });
}

#[tokio::test]
async fn a_required_api_key_is_checked_like_openai_does() {
    let options = Options { api_key: Some("sk-test-key".into()), ..Options::default() };
    let model = ScriptedModel::start_with("127.0.0.1:0", options).await.unwrap();
    let body = chat_body("hi");
    for auth in [None, Some("Bearer wrong"), Some("sk-test-key")] {
        let mut request = client().post(format!("{}/chat/completions", model.url())).json(&body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{auth:?}");
        let error: Value = resp.json().await.unwrap();
        assert_eq!(error["error"]["code"], "invalid_api_key");
        assert_eq!(error["error"]["type"], "invalid_request_error");
    }
    let refused = client().get(format!("{}/models", model.url())).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let ok = client()
        .post(format!("{}/chat/completions", model.url()))
        .header("authorization", "Bearer sk-test-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // Nothing was recorded for the refused requests.
    assert_eq!(model.requests().len(), 1);
}
