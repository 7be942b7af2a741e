//! Interactions from posted messages ([`crate::SlackDouble::click`] / `choose`) and the
//! `response_url` they hand out.
//!
//! A `response_url` (`<double>/actions/<team>/<id>/<secret>`) takes five JSON posts, as Slack's
//! does: `delete_original: true` deletes the message, `replace_original: true` replaces its
//! content (recorded like a `chat.update`), `response_type: "in_channel"` posts a new message
//! from the app, anything else is an ephemeral message shown only to the clicker (recorded,
//! not stored). It answers `200 ok` as text (secondary sources: Slack answers `ok`, not JSON);
//! an unknown or used-up URL answers 404, a post with neither `text` nor `blocks` 400
//! `no_text`.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::blocks;
use crate::events::{action_ts, Actor, ChannelRef, EventsSender};
use crate::ids;
use crate::methods::apply;
use crate::render::{self, View};
use crate::state::{Hook, Inner, Message, MessageUpdate, ResponseUrlPost};

/// What a user does to an element.
pub(crate) enum Gesture<'a> {
    Click,
    Choose(&'a str),
}

/// Builds the `block_actions` payload for `user` acting on element `action_id` of a stored
/// message, and registers its `response_url`.
pub(crate) fn payload(
    inner: &mut Inner,
    sender: &EventsSender,
    channel: &str,
    message_ts: &str,
    action_id: &str,
    user: &str,
    gesture: Gesture<'_>,
) -> Result<Value> {
    let message = inner
        .find_message(channel, message_ts)
        .with_context(|| format!("slack-double: no message {message_ts} in {channel}"))?
        .clone();
    let person = inner.user(user).with_context(|| format!("slack-double: no user {user}"))?;
    let found = blocks::elements(&message.blocks)
        .into_iter()
        .find(|(_, el)| el.get("action_id").and_then(Value::as_str) == Some(action_id))
        .map(|(block_id, el)| (block_id, el.clone()));
    let Some((block_id, element)) = found else {
        bail!("slack-double: message {message_ts} in {channel} has no element with action_id {action_id:?}");
    };
    let ty = element["type"].as_str().unwrap_or_default().to_string();
    let (action, state) = match gesture {
        Gesture::Click => {
            if ty != "button" {
                bail!("slack-double: {action_id:?} is a {ty}, not a button");
            }
            let mut action = json!({
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": element["text"],
                "action_ts": action_ts(),
            });
            for key in ["value", "style", "url"] {
                if let Some(v) = element.get(key) {
                    action[key] = v.clone();
                }
            }
            (action, json!({}))
        }
        Gesture::Choose(value) => {
            if ty != "static_select" {
                bail!("slack-double: {action_id:?} is a {ty}, not a static_select");
            }
            let options: Vec<&Value> = match element.get("options").and_then(Value::as_array) {
                Some(options) => options.iter().collect(),
                None => element["option_groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|g| g["options"].as_array())
                    .flatten()
                    .collect(),
            };
            let Some(option) = options.into_iter().find(|o| o["value"] == value) else {
                bail!("slack-double: the select {action_id:?} has no option with value {value:?}");
            };
            let mut action = json!({
                "type": "static_select",
                "action_id": action_id,
                "block_id": block_id,
                "selected_option": option,
                "action_ts": action_ts(),
            });
            if let Some(placeholder) = element.get("placeholder") {
                action["placeholder"] = placeholder.clone();
            }
            let state =
                json!({ (block_id.clone()): { action_id: {"type": "static_select", "selected_option": option} } });
            (action, state)
        }
    };
    let config = &inner.config;
    let channel_name = config.find_channel(channel).map(|c| c.name.clone()).unwrap_or_else(|| channel.to_lowercase());
    let path = format!("/actions/{}/{}/{}", config.team_id, ids::digits(13), ids::upper_alnum(24));
    let response_url = format!("{}{path}", sender.response_url_base);
    inner.hooks.insert(
        path,
        Hook {
            channel: channel.into(),
            message_ts: message_ts.into(),
            thread_ts: message.thread_ts.clone(),
            user: user.into(),
            uses_left: 5,
        },
    );
    let rendered = render::message(inner, &message, View::Plain);
    Ok(sender.block_actions(
        &Actor { id: person.id.clone(), name: person.name.clone() },
        &ChannelRef { id: channel.into(), name: channel_name },
        &rendered,
        action,
        state,
        &response_url,
    ))
}

/// A post to a `response_url`: `(status, text answer, violation)`.
pub(crate) fn respond(inner: &mut Inner, path: &str, body: &[u8]) -> (u16, String, Option<String>) {
    let Some(hook) = inner.hooks.get_mut(path) else {
        return (404, "no_active_hooks".into(), Some(format!("response_url {path}: not one the double handed out")));
    };
    if hook.uses_left == 0 {
        return (404, "used_url".into(), Some(format!("response_url {path}: used more than five times")));
    }
    hook.uses_left -= 1;
    let hook = hook.clone();
    let record = |inner: &mut Inner, body: Value, effect: &str| {
        inner.response_posts.push(ResponseUrlPost {
            channel: hook.channel.clone(),
            message_ts: hook.message_ts.clone(),
            user: hook.user.clone(),
            body,
            effect: effect.into(),
        });
    };
    let Ok(Value::Object(args)) = serde_json::from_slice::<Value>(body) else {
        record(inner, Value::String(String::from_utf8_lossy(body).into_owned()), "rejected");
        return (400, "invalid_payload".into(), Some(format!("response_url {path}: the body is not a JSON object")));
    };
    let body_value = Value::Object(args.clone());
    let flag = |name: &str| args.get(name).is_some_and(|v| v == &json!(true) || v == &json!("true"));
    if flag("delete_original") {
        inner.delete(&hook.channel, &hook.message_ts);
        record(inner, body_value, "deleted");
        return (200, "ok".into(), None);
    }
    let text = args.get("text").and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_string);
    let blocks = args.get("blocks").filter(|b| b.as_array().is_some_and(|a| !a.is_empty())).cloned();
    if text.is_none() && blocks.is_none() {
        record(inner, body_value, "rejected");
        return (400, "no_text".into(), Some(format!("response_url {path}: neither `text` nor `blocks`")));
    }
    if let Some(blocks) = &blocks {
        let errors = blocks::validate(blocks);
        if !errors.is_empty() {
            record(inner, body_value, "rejected");
            return (
                400,
                "invalid_blocks".into(),
                Some(format!("response_url {path}: invalid blocks: {}", errors.join("; "))),
            );
        }
    }
    if flag("replace_original") {
        let edited_ts = inner.next_ts();
        let update = MessageUpdate { text, blocks, attachments: None, args };
        let Some(message) = inner.find_message_mut(&hook.channel, &hook.message_ts) else {
            record(inner, body_value, "rejected");
            return (404, "message_not_found".into(), None);
        };
        apply(message, update, edited_ts);
        record(inner, body_value, "replaced");
        return (200, "ok".into(), None);
    }
    if args.get("response_type").and_then(Value::as_str) == Some("in_channel") {
        let thread_ts = args.get("thread_ts").and_then(Value::as_str).map(str::to_string).or(hook.thread_ts.clone());
        let message = Message {
            channel: hook.channel.clone(),
            ts: inner.next_ts(),
            thread_ts,
            user: inner.config.bot_user_id.clone(),
            bot_id: Some(inner.config.bot_id.clone()),
            text: text.unwrap_or_default(),
            blocks: blocks.as_ref().map(blocks::normalize).unwrap_or_default(),
            attachments: Vec::new(),
            reply_broadcast: false,
            edits: Vec::new(),
            edited_ts: None,
            reactions: Vec::new(),
            posted_with: args,
        };
        inner.store(message);
        record(inner, body_value, "posted");
        return (200, "ok".into(), None);
    }
    record(inner, body_value, "ephemeral");
    (200, "ok".into(), None)
}
