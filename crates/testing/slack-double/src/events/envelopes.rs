//! The payloads Slack sends: `event_callback` envelopes (mentions, messages, the bot's own
//! posts), `url_verification`, and `block_actions` interactions, shaped as the contract's
//! examples (shared/contracts/slack/).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use super::EventsSender;
use crate::ids;
use crate::signing::unix_now;

impl EventsSender {
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
