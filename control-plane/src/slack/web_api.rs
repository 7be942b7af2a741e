//! Slack's Web API as the control plane calls it (`chat.postMessage`, `chat.update`,
//! `reactions.add`, `conversations.replies`, `users.info`), with the bot token the control
//! plane holds (sealed in D1, Settings → Integrations → Slack). `SLACK_API_BASE` points it at
//! the Slack double in tests (default `https://slack.com/api`).
//!
//! Invariant: every answer is read as Slack gives it: HTTP 200 with `ok`; `ok: false` is the
//! vendor's error code, 429 is a wait of `Retry-After` seconds, anything else is Slack being
//! unreachable. The token never leaves this module.

use oi_protocol::integrations::IntegrationName;
use serde_json::Value;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use crate::config;
use crate::integrations::settings;

/// Why a call did not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackCallError {
    /// 429: try again after this many seconds.
    RateLimited { retry_after_secs: u32 },
    /// `ok: false` with Slack's error code (`channel_not_found`, `not_in_channel`, …).
    Refused(String),
    /// Slack could not be reached, or answered something that is not its API.
    Unreachable(String),
}

impl std::fmt::Display for SlackCallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlackCallError::RateLimited { retry_after_secs } => {
                write!(f, "Slack asked to wait {retry_after_secs} s (rate limited)")
            }
            SlackCallError::Refused(code) => write!(f, "Slack refused it: {code}"),
            SlackCallError::Unreachable(why) => write!(f, "Slack could not be reached: {why}"),
        }
    }
}

/// A Slack workspace's Web API, with the bot token.
pub struct SlackApi {
    base: String,
    token: String,
}

impl SlackApi {
    /// The client, or why there is none (no bot token set).
    pub async fn from_env(env: &Env) -> worker::Result<Result<SlackApi, String>> {
        let keys = match crate::secrets::keys::key_ring(env) {
            Ok(keys) => keys,
            Err(e) => return Ok(Err(e.message)),
        };
        let Some(token) = settings::secret(env, IntegrationName::Slack, "bot_token", &keys).await? else {
            return Ok(Err("the Slack integration has no bot_token".into()));
        };
        let base = config::var(env, "SLACK_API_BASE").unwrap_or_else(|| "https://slack.com/api".into());
        Ok(Ok(SlackApi { base: base.trim_end_matches('/').to_string(), token }))
    }

    /// A method that takes a JSON body (`chat.postMessage`, `chat.update`, `reactions.add`).
    pub async fn post(&self, method: &str, body: &Value) -> Result<Value, SlackCallError> {
        self.send(method, Method::Post, String::new(), Some(body.to_string())).await
    }

    /// A method read with query parameters (`conversations.replies`, `users.info`).
    pub async fn get(&self, method: &str, query: &[(&str, &str)]) -> Result<Value, SlackCallError> {
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
        self.send(method, Method::Get, format!("?{query}"), None).await
    }

    async fn send(
        &self,
        method: &str,
        verb: Method,
        query: String,
        body: Option<String>,
    ) -> Result<Value, SlackCallError> {
        let unreachable = |e: worker::Error| SlackCallError::Unreachable(e.to_string());
        let headers = Headers::new();
        headers.set("authorization", &format!("Bearer {}", self.token)).map_err(unreachable)?;
        let mut init = RequestInit::new();
        init.with_method(verb).with_headers(headers.clone());
        if let Some(body) = body {
            headers.set("content-type", "application/json; charset=utf-8").map_err(unreachable)?;
            init.with_headers(headers).with_body(Some(body.into()));
        }
        let url = format!("{}/{method}{query}", self.base);
        let request = Request::new_with_init(&url, &init).map_err(unreachable)?;
        let mut response = Fetch::Request(request).send().await.map_err(unreachable)?;
        match response.status_code() {
            200 => {}
            429 => {
                let after = response.headers().get("retry-after").ok().flatten();
                let retry_after_secs = after.and_then(|s| s.trim().parse().ok()).unwrap_or(30);
                return Err(SlackCallError::RateLimited { retry_after_secs });
            }
            status => return Err(SlackCallError::Unreachable(format!("{method} answered HTTP {status}"))),
        }
        let answer: Value = response.json().await.map_err(unreachable)?;
        match answer.get("ok").and_then(Value::as_bool) {
            Some(true) => Ok(answer),
            Some(false) => {
                let code = answer.get("error").and_then(Value::as_str).unwrap_or("unknown_error");
                Err(SlackCallError::Refused(code.to_string()))
            }
            None => Err(SlackCallError::Unreachable(format!("{method} answered without `ok`"))),
        }
    }
}
