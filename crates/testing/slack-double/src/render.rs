//! The double's objects in Slack's JSON shapes (the spec's `objs_message`, `objs_user`,
//! `objs_bot_profile`, `objs_reaction`).

use serde_json::{json, Map, Value};

use crate::config::UserConfig;
use crate::state::{Inner, Message};

/// How a message is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    /// As `chat.postMessage` / `chat.update` answer it, and as interaction payloads carry it.
    Plain,
    /// In `conversations.replies`: parents with their reply summary, replies with
    /// `parent_user_id`.
    Thread,
}

/// A message as the Web API shows it.
pub(crate) fn message(inner: &Inner, message: &Message, view: View) -> Value {
    let config = &inner.config;
    let mut out = Map::new();
    out.insert("type".into(), json!("message"));
    out.insert("user".into(), json!(message.user));
    out.insert("text".into(), json!(message.text));
    out.insert("ts".into(), json!(message.ts));
    out.insert("team".into(), json!(config.team_id));
    if let Some(bot_id) = &message.bot_id {
        out.insert("bot_id".into(), json!(bot_id));
        out.insert("app_id".into(), json!(config.api_app_id));
        out.insert("bot_profile".into(), bot_profile(inner));
    }
    if !message.blocks.is_empty() {
        out.insert("blocks".into(), Value::Array(message.blocks.clone()));
    }
    if !message.attachments.is_empty() {
        let attachments = message.attachments.iter().enumerate().map(|(i, a)| {
            let mut a = a.clone();
            if let Some(obj) = a.as_object_mut() {
                obj.entry("id").or_insert(json!(i + 1));
            }
            a
        });
        out.insert("attachments".into(), Value::Array(attachments.collect()));
    }
    if let Some(edited) = &message.edited_ts {
        out.insert("edited".into(), json!({"user": message.user, "ts": edited}));
    }
    if !message.reactions.is_empty() {
        let reactions: Vec<Value> = message
            .reactions
            .iter()
            .map(|r| json!({"name": r.name, "users": r.users, "count": r.users.len()}))
            .collect();
        out.insert("reactions".into(), Value::Array(reactions));
    }
    match &message.thread_ts {
        Some(thread_ts) => {
            out.insert("thread_ts".into(), json!(thread_ts));
            if let Some(parent) = inner.find_message(&message.channel, thread_ts) {
                out.insert("parent_user_id".into(), json!(parent.user));
            }
            if message.reply_broadcast {
                out.insert("subtype".into(), json!("thread_broadcast"));
            }
        }
        None => {
            let replies = inner.replies(&message.channel, &message.ts);
            if !replies.is_empty() || view == View::Thread {
                out.insert("thread_ts".into(), json!(message.ts));
                out.insert("reply_count".into(), json!(replies.len()));
                let mut users: Vec<&str> = Vec::new();
                for reply in &replies {
                    if !users.contains(&reply.user.as_str()) {
                        users.push(&reply.user);
                    }
                }
                out.insert("reply_users_count".into(), json!(users.len()));
                if !users.is_empty() {
                    out.insert("reply_users".into(), json!(users));
                }
                if let Some(last) = replies.last() {
                    out.insert("latest_reply".into(), json!(last.ts));
                }
                out.insert("subscribed".into(), json!(false));
            }
        }
    }
    Value::Object(out)
}

/// The app's `bot_profile`.
pub(crate) fn bot_profile(inner: &Inner) -> Value {
    let config = &inner.config;
    let icon = |size: u32| format!("https://a.slack-edge.com/80588/img/plugins/app/bot_{size}.png");
    json!({
        "id": config.bot_id,
        "deleted": false,
        "name": config.bot_name,
        "updated": 1_700_000_000,
        "app_id": config.api_app_id,
        "icons": {"image_36": icon(36), "image_48": icon(48), "image_72": icon(72)},
        "team_id": config.team_id,
    })
}

/// A user as `users.info` shows them.
pub(crate) fn user(inner: &Inner, user: &UserConfig) -> Value {
    let config = &inner.config;
    let hash = crate::ids::hex(12);
    let image = |size: &str| format!("https://secure.gravatar.com/avatar/{hash}.jpg?s={size}");
    let mut profile = json!({
        "title": "",
        "phone": "",
        "skype": "",
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.display_name,
        "display_name_normalized": user.display_name,
        "fields": null,
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "avatar_hash": hash,
        "first_name": user.real_name.split(' ').next().unwrap_or_default(),
        "last_name": user.real_name.split_once(' ').map(|(_, last)| last).unwrap_or_default(),
        "image_24": image("24"),
        "image_32": image("32"),
        "image_48": image("48"),
        "image_72": image("72"),
        "image_192": image("192"),
        "image_512": image("512"),
        "team": config.team_id,
    });
    if let Some(email) = &user.email {
        profile["email"] = json!(email);
    }
    if let Some(bot_id) = &user.bot_id {
        profile["bot_id"] = json!(bot_id);
        profile["always_active"] = json!(false);
        if user.id == config.bot_user_id {
            profile["api_app_id"] = json!(config.api_app_id);
        }
    }
    json!({
        "id": user.id,
        "team_id": config.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "color": "9f69e7",
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": "Greenwich Mean Time",
        "tz_offset": 0,
        "profile": profile,
        "is_admin": false,
        "is_owner": false,
        "is_primary_owner": false,
        "is_restricted": false,
        "is_ultra_restricted": false,
        "is_bot": user.is_bot,
        "is_app_user": false,
        "updated": 1_700_000_000,
        "is_email_confirmed": user.email.is_some(),
    })
}
