//! OpenCode's HTTP API (v1 routes, checked against 1.18.33): sessions, prompts, abort and the
//! event stream.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;

#[derive(Clone)]
pub struct OpencodeClient {
    base: String,
    password: String,
    http: reqwest::Client,
}

impl OpencodeClient {
    pub fn new(base: String, password: String) -> Self {
        let http = reqwest::Client::builder().connect_timeout(Duration::from_secs(5)).build().expect("client");
        Self { base, password, http }
    }

    /// `http://127.0.0.1:{port}`, where OpenCode listens.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base)).basic_auth("opencode", Some(&self.password))
    }

    async fn json(&self, rb: reqwest::RequestBuilder) -> Result<Value> {
        let res = rb.timeout(Duration::from_secs(30)).send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("OpenCode answered {status}: {text}");
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| format!("OpenCode sent non-JSON: {text}"))
    }

    /// `GET /global/health` → the version.
    pub async fn health(&self) -> Result<String> {
        let v = self.json(self.req(reqwest::Method::GET, "/global/health")).await?;
        Ok(v["version"].as_str().unwrap_or("unknown").to_string())
    }

    /// Loads what OpenCode otherwise loads on the first prompt (the provider catalogue, agents,
    /// tools), so the first prompt starts as fast as later ones. Measured on 1.18.33: the first
    /// streamed token came 1.58 s after the first prompt without this, 0.88 s with it.
    pub async fn warm(&self) {
        for path in ["/config/providers", "/agent", "/command", "/experimental/tool/ids"] {
            let _ = self.json(self.req(reqwest::Method::GET, path)).await;
        }
    }

    /// Does OpenCode's first-prompt work ahead of time: one prompt, in a throwaway session, to
    /// the warm-up model (`warmup.rs`), then the session is deleted. Best effort: a failure
    /// only costs the first real prompt that time.
    pub async fn warm_prompt(&self) -> Result<()> {
        use crate::opencode::warmup::{MODEL_ID, PROVIDER_ID};
        let session = self.create_session("warm-up").await?;
        let body = json!({
            "parts": [{"type": "text", "text": "Reply with ok."}],
            "model": {"providerID": PROVIDER_ID, "modelID": MODEL_ID},
        });
        let sent = self.json(self.req(reqwest::Method::POST, &format!("/session/{session}/message")).json(&body)).await;
        let _ = self.json(self.req(reqwest::Method::DELETE, &format!("/session/{session}"))).await;
        sent.map(|_| ())
    }

    /// Creates a session (with a title, so OpenCode makes no extra title call).
    pub async fn create_session(&self, title: &str) -> Result<String> {
        let v = self.json(self.req(reqwest::Method::POST, "/session").json(&json!({"title": title}))).await?;
        v["id"].as_str().map(str::to_string).context("OpenCode returned a session without an id")
    }

    pub async fn session_exists(&self, id: &str) -> bool {
        self.json(self.req(reqwest::Method::GET, &format!("/session/{id}"))).await.is_ok()
    }

    /// `POST /session/:id/prompt_async` (204 at once; progress arrives on the event stream).
    /// `parts` are the prompt's text and its attached images
    /// ([`prompt_parts`](super::attachments::prompt_parts)).
    pub async fn prompt(&self, session: &str, message_id: &str, parts: Vec<Value>, model: &str) -> Result<()> {
        let (provider, model) = model.split_once('/').unwrap_or(("", model));
        let body = json!({
            "parts": parts,
            "messageID": message_id,
            "model": {"providerID": provider, "modelID": model},
        });
        self.json(self.req(reqwest::Method::POST, &format!("/session/{session}/prompt_async")).json(&body)).await?;
        Ok(())
    }

    pub async fn abort(&self, session: &str) -> Result<()> {
        self.json(self.req(reqwest::Method::POST, &format!("/session/{session}/abort"))).await?;
        Ok(())
    }

    /// Subscribes to `GET /event` and sends each frame's JSON until the stream ends; returns
    /// once subscribed (the first frame, `server.connected`, has arrived), so a prompt sent
    /// afterwards cannot be missed.
    pub async fn subscribe(&self, frames: mpsc::UnboundedSender<Value>) -> Result<tokio::task::JoinHandle<()>> {
        let res = self.req(reqwest::Method::GET, "/event").send().await?;
        if !res.status().is_success() {
            bail!("OpenCode's event stream answered {}", res.status());
        }
        let mut stream = res.bytes_stream().eventsource();
        let first = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .context("no server.connected on the event stream")?;
        match first {
            Some(Ok(event)) => {
                let _ = frames.send(serde_json::from_str(&event.data).unwrap_or(Value::Null));
            }
            _ => bail!("the event stream closed at once"),
        }
        Ok(tokio::spawn(async move {
            while let Some(Ok(event)) = stream.next().await {
                let Ok(frame) = serde_json::from_str::<Value>(&event.data) else {
                    continue;
                };
                if frames.send(frame).is_err() {
                    return;
                }
            }
            // The stream ended (OpenCode stopped); the receiver sees a marker.
            let _ = frames.send(json!({"type": "open-inspect.stream-ended"}));
        }))
    }
}
