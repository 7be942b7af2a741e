//! The warm-up model: a stub OpenAI-compatible endpoint inside the supervisor that answers
//! every chat completion at once with "ok". After boot the supervisor sends OpenCode one
//! throwaway prompt to it, so the work OpenCode does on an instance's first prompt (plugins,
//! the provider SDK, tools, its worktree snapshot) is done before a person's first prompt
//! arrives. It reaches no network and no real model; no prompt text leaves the sandbox.

use anyhow::Result;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use oi_protocol::agent::{AgentConfig, ModelApi, ModelProvider};

/// The provider id OpenCode knows the stub by (never shown to people).
pub const PROVIDER_ID: &str = "oi-warmup";
/// Its one model.
pub const MODEL_ID: &str = "noop";

/// The running stub: `base_url` ends in `/v1`.
pub struct WarmupModel {
    pub base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WarmupModel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One streamed chat completion: "ok", then stop, then `[DONE]`.
pub fn completion_stream() -> String {
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        serde_json::json!({
            "id": "chatcmpl-warmup", "object": "chat.completion.chunk", "created": 0, "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            "usage": finish.map(|_| serde_json::json!({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2})),
        })
    };
    format!(
        "data: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
        chunk(serde_json::json!({"role": "assistant", "content": "ok"}), None),
        chunk(serde_json::json!({}), Some("stop"))
    )
}

async fn completions() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], completion_stream())
}

/// Starts the stub on 127.0.0.1 (a free port).
pub async fn start() -> Result<WarmupModel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}/v1", listener.local_addr()?);
    let app = Router::new().route("/v1/chat/completions", post(completions));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(WarmupModel { base_url, task })
}

/// The agent configuration OpenCode starts with: the session's, plus the stub.
pub fn with_warmup_provider(agent: &AgentConfig, base_url: &str) -> AgentConfig {
    let mut agent = agent.clone();
    agent.providers.retain(|p| p.id != PROVIDER_ID);
    agent.providers.push(ModelProvider {
        id: PROVIDER_ID.to_string(),
        api: ModelApi::OpenaiCompatible,
        base_url: base_url.to_string(),
        api_key: None,
        test_model: false,
        models: vec![MODEL_ID.to_string()],
    });
    agent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_an_openai_chat_completion_stream() {
        let body = completion_stream();
        let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 3);
        assert_eq!(events[2], "data: [DONE]");
        let first: serde_json::Value = serde_json::from_str(events[0].strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(first["choices"][0]["delta"]["content"], "ok");
        let last: serde_json::Value = serde_json::from_str(events[1].strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(last["choices"][0]["finish_reason"], "stop");
        assert_eq!(last["usage"]["total_tokens"], 2);
    }

    #[test]
    fn the_stub_is_added_once_and_the_session_model_stays() {
        let agent = AgentConfig { model: "scripted/test-model".into(), providers: vec![] };
        let once = with_warmup_provider(&agent, "http://127.0.0.1:1/v1");
        let twice = with_warmup_provider(&once, "http://127.0.0.1:2/v1");
        assert_eq!(twice.model, "scripted/test-model");
        assert_eq!(twice.providers.len(), 1);
        assert_eq!(twice.providers[0].base_url, "http://127.0.0.1:2/v1");
    }

    #[tokio::test]
    async fn the_stub_answers_a_completion() {
        let stub = start().await.unwrap();
        let res = reqwest::Client::new()
            .post(format!("{}/chat/completions", stub.base_url))
            .json(&serde_json::json!({"model": MODEL_ID, "stream": true, "messages": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("[DONE]"));
    }
}
