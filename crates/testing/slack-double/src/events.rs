//! Slack → the product: Events API deliveries and interaction payloads, signed as Slack signs
//! them ([`crate::signing`]), and builders for the envelopes and payloads.
//!
//! Envelopes follow the contract's examples (`contracts/examples/`): an `event_callback` with
//! `token`, `team_id`, `api_app_id`, `event`, a fresh `event_id` (`Ev…`), `event_time`, one
//! `authorizations` entry (the app's bot user), `is_ext_shared_channel` and `event_context`.

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::config::SlackConfig;
use crate::signing::{signature, unix_now};

/// Slack's `User-Agent` on deliveries.
const USER_AGENT: &str = "Slackbot 1.0 (+https://api.slack.com/robots)";
/// How long a delivery may take. Slack itself waits 3 s before it counts a delivery as failed
/// (`http_timeout`) and retries; the double waits longer and reports what it got, so a test
/// can see slow answers ([`Reply::elapsed`]).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// Where a `response_url` points when a payload is built without a double: the discard port,
/// so following it fails fast instead of reaching Slack.
const NOWHERE: &str = "http://127.0.0.1:9";

/// The ids a delivery carries: who the workspace and the app are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    pub team_id: String,
    pub team_domain: String,
    pub api_app_id: String,
    /// The app's bot user (`authorizations[0].user_id`).
    pub bot_user_id: String,
    /// The app's bot id (`bot_id` of its own messages).
    pub bot_id: String,
    pub bot_name: String,
    /// The deprecated verification token in payloads' `token`.
    pub verification_token: String,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::from(&SlackConfig::default())
    }
}

impl From<&SlackConfig> for Workspace {
    fn from(config: &SlackConfig) -> Self {
        Self {
            team_id: config.team_id.clone(),
            team_domain: config.team_domain.clone(),
            api_app_id: config.api_app_id.clone(),
            bot_user_id: config.bot_user_id.clone(),
            bot_id: config.bot_id.clone(),
            bot_name: config.bot_name.clone(),
            verification_token: config.verification_token.clone(),
        }
    }
}

/// How the receiver answered a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// The answer's headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// How long the answer took.
    pub elapsed: Duration,
}

impl Reply {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// Sends events and interactions to the product as Slack does.
#[derive(Clone, Debug)]
pub struct EventsSender {
    /// The app's events Request URL.
    pub url: String,
    pub signing_secret: String,
    /// The ids the envelopes carry.
    pub workspace: Workspace,
    /// Where payloads' `response_url`s point (`<base>/actions/…`).
    pub response_url_base: String,
    http: reqwest::Client,
}

impl EventsSender {
    /// A sender to `events_url`, signing with `signing_secret`, for the default workspace
    /// (change it with [`EventsSender::workspace`]).
    pub fn new(events_url: impl Into<String>, signing_secret: impl Into<String>) -> Self {
        Self {
            url: events_url.into(),
            signing_secret: signing_secret.into(),
            workspace: Workspace::default(),
            response_url_base: NOWHERE.into(),
            http: reqwest::Client::builder().timeout(DELIVERY_TIMEOUT).build().expect("a reqwest client"),
        }
    }

    /// Sets the ids the envelopes carry.
    pub fn workspace(mut self, workspace: Workspace) -> Self {
        self.workspace = workspace;
        self
    }

    /// Signs `body` as sent now: `(X-Slack-Request-Timestamp, X-Slack-Signature)`.
    pub fn sign(&self, body: &[u8]) -> (String, String) {
        let timestamp = unix_now().to_string();
        let sig = signature(&self.signing_secret, &timestamp, body);
        (timestamp, sig)
    }

    /// Delivers an envelope (compact JSON), signed now.
    pub async fn send(&self, envelope: &Value) -> Result<Reply> {
        let body = serde_json::to_vec(envelope)?;
        let (timestamp, sig) = self.sign(&body);
        self.post(&self.url, "application/json", &body, &timestamp, &sig, &[]).await
    }

    /// Delivers an envelope again as Slack's retry `retry_num` (1..=3) does: the same body,
    /// signed anew, with `X-Slack-Retry-Num` and `X-Slack-Retry-Reason` (`http_timeout`,
    /// `http_error`, …).
    pub async fn send_retry(&self, envelope: &Value, retry_num: u32, reason: &str) -> Result<Reply> {
        let body = serde_json::to_vec(envelope)?;
        let (timestamp, sig) = self.sign(&body);
        let retry_num = retry_num.to_string();
        let extra = [("x-slack-retry-num", retry_num.as_str()), ("x-slack-retry-reason", reason)];
        self.post(&self.url, "application/json", &body, &timestamp, &sig, &extra).await
    }

    /// Sends exact bytes with the given timestamp and signature headers (forgeries, replays,
    /// stale timestamps).
    pub async fn send_raw(&self, body: &[u8], timestamp: &str, signature: &str) -> Result<Reply> {
        self.post(&self.url, "application/json", body, timestamp, signature, &[]).await
    }

    /// Like [`EventsSender::send_raw`], to any URL with any content type and extra headers.
    pub async fn send_raw_to(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
        timestamp: &str,
        signature: &str,
        extra_headers: &[(&str, &str)],
    ) -> Result<Reply> {
        self.post(url, content_type, body, timestamp, signature, extra_headers).await
    }

    /// Posts an interaction payload to `url` as Slack does: `application/x-www-form-urlencoded`
    /// `payload=<JSON>`, signed like events.
    pub async fn send_interaction(&self, url: &str, payload: &Value) -> Result<Reply> {
        let body = interaction_body(payload);
        let (timestamp, sig) = self.sign(body.as_bytes());
        self.post(url, "application/x-www-form-urlencoded", body.as_bytes(), &timestamp, &sig, &[]).await
    }

    async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
        timestamp: &str,
        signature: &str,
        extra: &[(&str, &str)],
    ) -> Result<Reply> {
        let started = std::time::Instant::now();
        let mut request = self
            .http
            .post(url)
            .header("content-type", content_type)
            .header("user-agent", USER_AGENT)
            .header("x-slack-request-timestamp", timestamp)
            .header("x-slack-signature", signature)
            .body(body.to_vec());
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let response = request.send().await.with_context(|| format!("delivering to {url}"))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = response.text().await.unwrap_or_default();
        Ok(Reply { status, body, headers, elapsed: started.elapsed() })
    }
}

mod envelopes;
pub(crate) use envelopes::{action_ts, Actor, ChannelRef};
pub use envelopes::{interaction_body, rich_text};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rich_text_mentions() {
        let blocks = rich_text("<@U0123BOT> fix the build");
        assert_eq!(
            blocks[0]["elements"][0]["elements"],
            json!([{"type": "user", "user_id": "U0123BOT"}, {"type": "text", "text": " fix the build"}])
        );
        assert_eq!(rich_text("plain")[0]["elements"][0]["elements"], json!([{"type": "text", "text": "plain"}]));
    }

    #[test]
    fn interaction_body_is_one_form_field() {
        let body = interaction_body(&json!({"type": "block_actions", "a": "b&c=d"}));
        assert!(body.starts_with("payload=%7B"));
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
        assert_eq!(pairs.len(), 1);
        assert_eq!(serde_json::from_str::<Value>(&pairs[0].1).unwrap()["a"], "b&c=d");
    }
}
