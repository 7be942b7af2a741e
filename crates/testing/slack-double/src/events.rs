//! Slack → the product: Events API deliveries and interaction payloads, signed as Slack signs
//! them ([`crate::signing`]), and builders for the envelopes and payloads.
//!
//! Envelopes follow the contract's examples (`contracts/examples/`): an `event_callback` with
//! `token`, `team_id`, `api_app_id`, `event`, a fresh `event_id` (`Ev…`), `event_time`, one
//! `authorizations` entry (the app's bot user), `is_ext_shared_channel` and `event_context`.

use std::time::Duration;

use anyhow::{Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::config::SlackConfig;
use crate::ids;
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

    // ---- envelopes -------------------------------------------------------------------------

    /// The `url_verification` handshake (the receiver must echo `challenge`).
    pub fn url_verification(&self, challenge: &str) -> Value {
        json!({ "token": self.workspace.verification_token, "challenge": challenge, "type": "url_verification" })
    }

    /// Wraps any event in an `event_callback` envelope with a fresh `event_id`.
    pub fn envelope(&self, event: Value) -> Value {
        let ws = &self.workspace;
        let event_time = unix_now();
        let context = json!({"tid": ws.team_id, "aid": ws.api_app_id, "eid": ids::event_id(), "t": event_time});
        json!({
            "token": ws.verification_token,
            "team_id": ws.team_id,
            "api_app_id": ws.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": ids::event_id(),
            "event_time": event_time,
            "authorizations": [{
                "enterprise_id": null,
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "is_bot": true,
                "is_enterprise_install": false,
            }],
            "is_ext_shared_channel": false,
            "event_context": format!("4-{}", URL_SAFE_NO_PAD.encode(context.to_string())),
        })
    }

    /// `app_mention`: `user` wrote `text` (which should contain `<@bot_user_id>`) at `ts`,
    /// in a thread when `thread_ts` is given.
    pub fn app_mention(&self, channel: &str, user: &str, text: &str, ts: &str, thread_ts: Option<&str>) -> Value {
        let mut event = json!({
            "type": "app_mention",
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            "client_msg_id": ids::uuid(),
            "team": self.workspace.team_id,
            "blocks": rich_text(text),
        });
        if let Some(thread_ts) = thread_ts {
            event["thread_ts"] = json!(thread_ts);
        }
        self.envelope(event)
    }

    /// `message` from a person. `channel_type` is `channel`, `group`, `im` or `mpim`; a reply
    /// has `thread_ts` (≠ `ts`).
    pub fn message(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        ts: &str,
        thread_ts: Option<&str>,
        channel_type: &str,
    ) -> Value {
        let mut event = json!({
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": channel_type,
            "client_msg_id": ids::uuid(),
            "team": self.workspace.team_id,
            "blocks": rich_text(text),
        });
        if let Some(thread_ts) = thread_ts {
            event["thread_ts"] = json!(thread_ts);
        }
        self.envelope(event)
    }

    /// `message` with `subtype: bot_message` from another integration (`bot_id`).
    pub fn bot_message(
        &self,
        channel: &str,
        bot_id: &str,
        text: &str,
        ts: &str,
        thread_ts: Option<&str>,
        channel_type: &str,
    ) -> Value {
        let mut event = json!({
            "type": "message",
            "subtype": "bot_message",
            "channel": channel,
            "bot_id": bot_id,
            "username": "integration",
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": channel_type,
        });
        if let Some(thread_ts) = thread_ts {
            event["thread_ts"] = json!(thread_ts);
        }
        self.envelope(event)
    }

    /// The `message` event Slack sends for a message the app itself posted: no subtype,
    /// `user` the app's bot user, its `bot_id`, `app_id` and `bot_profile`. A receiver must not
    /// answer its own messages.
    pub fn own_message(
        &self,
        channel: &str,
        text: &str,
        ts: &str,
        thread_ts: Option<&str>,
        channel_type: &str,
    ) -> Value {
        let ws = &self.workspace;
        let mut event = json!({
            "type": "message",
            "channel": channel,
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "app_id": ws.api_app_id,
            "bot_profile": {"id": ws.bot_id, "app_id": ws.api_app_id, "name": ws.bot_name, "deleted": false, "team_id": ws.team_id},
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": channel_type,
            "team": ws.team_id,
        });
        if let Some(thread_ts) = thread_ts {
            event["thread_ts"] = json!(thread_ts);
        }
        self.envelope(event)
    }

    // ---- interactions ----------------------------------------------------------------------

    /// A `block_actions` payload for `user` clicking the button `action_id` (with `value`) on
    /// the message `message_ts` in `channel`. Without a double the payload's `message` is
    /// minimal and the `response_url` leads nowhere; [`crate::SlackDouble::click`] fills both
    /// in from a posted message.
    pub fn block_actions_button(
        &self,
        user: &str,
        channel: &str,
        message_ts: &str,
        action_id: &str,
        value: &str,
    ) -> Value {
        let action = json!({
            "type": "button",
            "action_id": action_id,
            "block_id": ids::block_id(),
            "text": {"type": "plain_text", "text": action_id, "emoji": true},
            "value": value,
            "action_ts": action_ts(),
        });
        self.block_actions(
            &Actor::bare(user),
            &ChannelRef::bare(channel),
            &self.bare_message(message_ts),
            action,
            json!({}),
            &self.nowhere(),
        )
    }

    /// A `block_actions` payload for `user` choosing `option_value` in the `static_select`
    /// `action_id` on the message `message_ts` in `channel`.
    pub fn block_actions_select(
        &self,
        user: &str,
        channel: &str,
        message_ts: &str,
        action_id: &str,
        option_value: &str,
    ) -> Value {
        let block_id = ids::block_id();
        let option =
            json!({"text": {"type": "plain_text", "text": option_value, "emoji": true}, "value": option_value});
        let action = json!({
            "type": "static_select",
            "action_id": action_id,
            "block_id": block_id,
            "selected_option": option,
            "action_ts": action_ts(),
        });
        let state = json!({ block_id: { action_id: {"type": "static_select", "selected_option": option} } });
        self.block_actions(
            &Actor::bare(user),
            &ChannelRef::bare(channel),
            &self.bare_message(message_ts),
            action,
            state,
            &self.nowhere(),
        )
    }

    fn nowhere(&self) -> String {
        format!(
            "{}/actions/{}/{}/{}",
            self.response_url_base,
            self.workspace.team_id,
            ids::digits(13),
            ids::upper_alnum(24)
        )
    }

    fn bare_message(&self, ts: &str) -> Value {
        json!({"type": "message", "user": self.workspace.bot_user_id, "bot_id": self.workspace.bot_id, "text": "", "ts": ts, "team": self.workspace.team_id})
    }

    /// The `block_actions` payload shape (shared/contracts/slack/README.md, "Interactivity").
    pub(crate) fn block_actions(
        &self,
        user: &Actor,
        channel: &ChannelRef,
        message: &Value,
        action: Value,
        state_values: Value,
        response_url: &str,
    ) -> Value {
        let ws = &self.workspace;
        let message_ts = message["ts"].clone();
        let mut container = json!({
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel.id,
            "is_ephemeral": false,
        });
        if let Some(thread_ts) = message.get("thread_ts").filter(|t| **t != message_ts) {
            container["thread_ts"] = thread_ts.clone();
        }
        json!({
            "type": "block_actions",
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": ws.team_id},
            "api_app_id": ws.api_app_id,
            "token": ws.verification_token,
            "container": container,
            "trigger_id": ids::trigger_id(),
            "team": {"id": ws.team_id, "domain": ws.team_domain},
            "enterprise": null,
            "is_enterprise_install": false,
            "channel": {"id": channel.id, "name": channel.name},
            "message": message,
            "state": {"values": state_values},
            "response_url": response_url,
            "actions": [action],
        })
    }
}

/// Who acts in an interaction.
pub(crate) struct Actor {
    pub id: String,
    pub name: String,
}

impl Actor {
    fn bare(id: &str) -> Self {
        Self { id: id.into(), name: id.to_ascii_lowercase() }
    }
}

/// The `channel` of an interaction.
pub(crate) struct ChannelRef {
    pub id: String,
    pub name: String,
}

impl ChannelRef {
    fn bare(id: &str) -> Self {
        let name = if id.starts_with('D') { "directmessage".into() } else { id.to_ascii_lowercase() };
        Self { id: id.into(), name }
    }
}

/// `payload=<url-encoded JSON>`.
pub fn interaction_body(payload: &Value) -> String {
    serde_urlencoded::to_string([("payload", payload.to_string())]).expect("a string pair encodes")
}

/// An `action_ts`: now, with microseconds.
pub(crate) fn action_ts() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("{}.{:06}", now.as_secs(), now.subsec_micros())
}

/// The `rich_text` block Slack attaches to a person's message: the text, with `<@U…>`
/// mentions as `user` elements.
pub fn rich_text(text: &str) -> Value {
    let mut elements = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        let Some(len) = rest[start..].find('>') else { break };
        if start > 0 {
            elements.push(json!({"type": "text", "text": &rest[..start]}));
        }
        let id = rest[start + 2..start + len].split('|').next().unwrap_or_default();
        elements.push(json!({"type": "user", "user_id": id}));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        elements.push(json!({"type": "text", "text": rest}));
    }
    json!([{
        "type": "rich_text",
        "block_id": ids::block_id(),
        "elements": [{"type": "rich_text_section", "elements": elements}],
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

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
