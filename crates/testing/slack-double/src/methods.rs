//! The six Web API methods against the double's state. Each answers its success keys (`ok` is
//! added by the caller) or an [`ApiError`] with one of the method's documented codes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::api::ApiError;
use crate::blocks;
use crate::config::ChannelKind;
use crate::render::{self, View};
use crate::state::{Inner, Message, MessageUpdate, Reaction};

/// The longest `text` Slack takes (`msg_too_long` beyond).
pub const MAX_TEXT_CHARS: usize = 40_000;
/// `conversations.replies`' largest (and default) page.
const MAX_LIMIT: usize = 1000;

type Args = Map<String, Value>;

pub(crate) fn run(
    inner: &mut Inner,
    method: &str,
    args: &Args,
    violations: &mut Vec<String>,
) -> Result<Value, ApiError> {
    match method {
        "chat.postMessage" => post_message(inner, args, violations),
        "chat.update" => update(inner, args),
        "reactions.add" => add_reaction(inner, args),
        "conversations.replies" => replies(inner, args),
        "users.info" => users_info(inner, args),
        "auth.test" => Ok(auth_test(inner)),
        other => Err(ApiError::request("unknown_method", format!("{other} is not served"))),
    }
}

/// A non-blank argument as a string (numbers and booleans as JSON text).
fn string(args: &Args, name: &str) -> Option<String> {
    match args.get(name)? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn flag(args: &Args, name: &str) -> bool {
    matches!(args.get(name), Some(Value::Bool(true)))
        || matches!(args.get(name).and_then(Value::as_str), Some("true" | "1"))
}

/// `blocks` / `attachments`: the array itself (JSON bodies) or its JSON text (forms).
/// `Ok(None)` when absent; `Err` when not a JSON array.
fn json_array(args: &Args, name: &str) -> Result<Option<Value>, ()> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Array(_)) => Ok(Some(v)),
            _ => Err(()),
        },
        Some(v @ Value::Array(_)) => Ok(Some(v.clone())),
        Some(_) => Err(()),
    }
}

/// The content arguments shared by `chat.postMessage` and `chat.update`, checked.
struct Content {
    text: Option<String>,
    blocks: Option<Value>,
    attachments: Option<Value>,
}

fn content(args: &Args) -> Result<Content, ApiError> {
    let text = string(args, "text");
    let blocks = json_array(args, "blocks")
        .map_err(|_| ApiError::request("invalid_blocks_format", "`blocks` is not a JSON array"))?;
    let attachments = json_array(args, "attachments")
        .map_err(|_| ApiError::request("invalid_attachments", "`attachments` is not a JSON array"))?;
    let no_blocks = blocks.as_ref().is_none_or(|b| b.as_array().is_some_and(Vec::is_empty));
    if text.is_none() && no_blocks && attachments.is_none() {
        return Err(ApiError::request("no_text", "neither `text` nor `blocks` nor `attachments`"));
    }
    if let Some(text) = &text {
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(ApiError::request(
                "msg_too_long",
                format!("`text` has {chars} characters (at most {MAX_TEXT_CHARS})"),
            ));
        }
    }
    if let Some(blocks) = &blocks {
        let errors = blocks::validate(blocks);
        if !errors.is_empty() {
            return Err(ApiError::request("invalid_blocks", format!("invalid blocks: {}", errors.join("; ")))
                .with_messages(errors));
        }
    }
    Ok(Content { text, blocks, attachments })
}

fn post_message(inner: &mut Inner, args: &Args, violations: &mut Vec<String>) -> Result<Value, ApiError> {
    let Some(channel_arg) = string(args, "channel") else { return Err(ApiError::state("channel_not_found")) };
    let channel = inner.resolve_post_channel(&channel_arg).ok_or_else(|| ApiError::state("channel_not_found"))?;
    if !inner.channel(&channel).is_some_and(|c| c.bot_member) {
        return Err(ApiError::state("not_in_channel"));
    }
    let content = content(args)?;
    let thread_ts = string(args, "thread_ts");
    if let Some(thread_ts) = &thread_ts {
        if inner.find_message(&channel, thread_ts).is_none() {
            violations.push(format!("chat.postMessage: `thread_ts` {thread_ts} is not a message in {channel}"));
        }
    }
    let message = Message {
        channel: channel.clone(),
        ts: inner.next_ts(),
        thread_ts,
        user: inner.config.bot_user_id.clone(),
        bot_id: Some(inner.config.bot_id.clone()),
        text: content.text.unwrap_or_default(),
        blocks: content.blocks.as_ref().map(blocks::normalize).unwrap_or_default(),
        attachments: content.attachments.and_then(|a| a.as_array().cloned()).unwrap_or_default(),
        reply_broadcast: flag(args, "reply_broadcast"),
        edits: Vec::new(),
        edited_ts: None,
        reactions: Vec::new(),
        posted_with: args.clone(),
    };
    let message = inner.store(message);
    Ok(json!({
        "channel": channel,
        "ts": message.ts,
        "message": render::message(inner, &message, View::Plain),
    }))
}

fn update(inner: &mut Inner, args: &Args) -> Result<Value, ApiError> {
    let Some(channel) = string(args, "channel") else { return Err(ApiError::state("channel_not_found")) };
    if inner.channel(&channel).is_none() {
        return Err(ApiError::state("channel_not_found"));
    }
    let Some(ts) = string(args, "ts") else { return Err(ApiError::state("message_not_found")) };
    let Some(existing) = inner.find_message(&channel, &ts) else { return Err(ApiError::state("message_not_found")) };
    if existing.bot_id.as_deref() != Some(inner.config.bot_id.as_str()) {
        return Err(ApiError::state("cant_update_message"));
    }
    let content = content(args)?;
    let edited_ts = inner.next_ts();
    let update = MessageUpdate {
        text: content.text.clone(),
        blocks: content.blocks.clone(),
        attachments: content.attachments.clone(),
        args: args.clone(),
    };
    let message = inner.find_message_mut(&channel, &ts).expect("found above");
    apply(message, update, edited_ts);
    let message = message.clone();
    Ok(json!({
        "channel": channel,
        "ts": ts,
        "text": message.text,
        "message": render::message(inner, &message, View::Plain),
    }))
}

/// Applies new content: what is given replaces, what is not is kept (an empty `blocks` array
/// removes the blocks).
pub(crate) fn apply(message: &mut Message, update: MessageUpdate, edited_ts: String) {
    if let Some(text) = &update.text {
        message.text = text.clone();
    }
    if let Some(blocks) = &update.blocks {
        message.blocks = blocks::normalize(blocks);
    }
    if let Some(attachments) = &update.attachments {
        message.attachments = attachments.as_array().cloned().unwrap_or_default();
    }
    message.edited_ts = Some(edited_ts);
    message.edits.push(update);
}

/// An emoji name as `reactions.add` takes it: no colons; lowercase letters, digits, `_`, `-`,
/// `+`, `'`; optionally a skin tone (`thumbsup::skin-tone-2`).
pub(crate) fn valid_emoji_name(name: &str) -> bool {
    let (base, tone) = match name.split_once("::") {
        Some((base, tone)) => (base, Some(tone)),
        None => (name, None),
    };
    let base_ok =
        !base.is_empty() && base.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-+'".contains(&b));
    base_ok
        && tone
            .is_none_or(|t| matches!(t, "skin-tone-2" | "skin-tone-3" | "skin-tone-4" | "skin-tone-5" | "skin-tone-6"))
}

fn add_reaction(inner: &mut Inner, args: &Args) -> Result<Value, ApiError> {
    let (Some(channel), Some(ts)) = (string(args, "channel"), string(args, "timestamp")) else {
        return Err(ApiError::state("no_item_specified"));
    };
    let Some(name) = string(args, "name") else { return Err(ApiError::state("invalid_name")) };
    if !valid_emoji_name(&name) {
        return Err(ApiError::request("invalid_name", format!("`name` {name:?} is not an emoji name (no colons)")));
    }
    if inner.channel(&channel).is_none() {
        return Err(ApiError::state("channel_not_found"));
    }
    let bot = inner.config.bot_user_id.clone();
    let Some(message) = inner.find_message_mut(&channel, &ts) else { return Err(ApiError::state("message_not_found")) };
    match message.reactions.iter_mut().find(|r| r.name == name) {
        Some(reaction) if reaction.users.contains(&bot) => return Err(ApiError::state("already_reacted")),
        Some(reaction) => reaction.users.push(bot),
        None => message.reactions.push(Reaction { name, users: vec![bot] }),
    }
    Ok(json!({}))
}

/// `next_ts:<ts without its dot>`, base64: the shape of Slack's cursors.
fn cursor_for(ts: &str) -> String {
    STANDARD.encode(format!("next_ts:{}", ts.replace('.', "")))
}

fn ts_from_cursor(cursor: &str) -> Option<String> {
    let decoded = String::from_utf8(STANDARD.decode(cursor).ok()?).ok()?;
    let digits = decoded.strip_prefix("next_ts:")?;
    (digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{}.{}", &digits[..10], &digits[10..]))
}

fn replies(inner: &mut Inner, args: &Args) -> Result<Value, ApiError> {
    let Some(channel) = string(args, "channel") else { return Err(ApiError::state("channel_not_found")) };
    let readable = inner.channel(&channel).is_some_and(|c| c.bot_member || c.kind == ChannelKind::Public);
    if !readable {
        return Err(ApiError::state("channel_not_found"));
    }
    let Some(ts) = string(args, "ts") else { return Err(ApiError::state("thread_not_found")) };
    let Some(head) = inner.find_message(&channel, &ts).cloned() else {
        return Err(ApiError::state("thread_not_found"));
    };
    if head.thread_ts.is_some() {
        // The ts of a reply: Slack answers that one message.
        return Ok(json!({ "messages": [render::message(inner, &head, View::Thread)], "has_more": false }));
    }
    let limit = string(args, "limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT);
    let from = match string(args, "cursor") {
        Some(cursor) => Some(ts_from_cursor(&cursor).ok_or_else(|| ApiError::state("invalid_cursor"))?),
        None => None,
    };
    let inclusive = flag(args, "inclusive");
    let oldest = string(args, "oldest").and_then(|t| t.parse::<f64>().ok());
    let latest = string(args, "latest").and_then(|t| t.parse::<f64>().ok());
    let in_range = |m: &Message| {
        let t: f64 = m.ts.parse().unwrap_or(0.0);
        let after = oldest.is_none_or(|o| if inclusive { t >= o } else { t > o });
        let before = latest.is_none_or(|l| if inclusive { t <= l } else { t < l });
        after && before
    };
    let mut items: Vec<&Message> = Vec::new();
    if from.is_none() {
        items.push(inner.find_message(&channel, &ts).expect("found above"));
    }
    items.extend(
        inner
            .replies(&channel, &ts)
            .into_iter()
            .filter(|m| in_range(m))
            .filter(|m| from.as_ref().is_none_or(|f| m.ts.as_str() >= f.as_str())),
    );
    let has_more = items.len() > limit;
    let next = items.get(limit).map(|m| cursor_for(&m.ts));
    let messages: Vec<Value> = items.iter().take(limit).map(|m| render::message(inner, m, View::Thread)).collect();
    let mut body = json!({ "messages": messages, "has_more": has_more });
    if let Some(next) = next {
        body["response_metadata"] = json!({ "next_cursor": next });
    }
    Ok(body)
}

fn users_info(inner: &mut Inner, args: &Args) -> Result<Value, ApiError> {
    let Some(id) = string(args, "user") else { return Err(ApiError::state("user_not_found")) };
    let Some(user) = inner.user(&id) else { return Err(ApiError::state("user_not_found")) };
    Ok(json!({ "user": render::user(inner, &user) }))
}

fn auth_test(inner: &Inner) -> Value {
    let config = &inner.config;
    json!({
        "url": format!("https://{}.slack.com/", config.team_domain),
        "team": config.team_name,
        "user": config.bot_name,
        "team_id": config.team_id,
        "user_id": config.bot_user_id,
        "bot_id": config.bot_id,
        "is_enterprise_install": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_names() {
        for ok in ["eyes", "white_check_mark", "+1", "thumbsup::skin-tone-2", "man-raising-hand", "e-mail"] {
            assert!(valid_emoji_name(ok), "{ok}");
        }
        for bad in [":eyes:", "", "Eyes", "thumbsup::skin-tone-9", "two words"] {
            assert!(!valid_emoji_name(bad), "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip() {
        let cursor = cursor_for("1484678290.517091");
        assert_eq!(cursor, "bmV4dF90czoxNDg0Njc4MjkwNTE3MDkx"); // the spec's example cursor
        assert_eq!(ts_from_cursor(&cursor).as_deref(), Some("1484678290.517091"));
        assert_eq!(ts_from_cursor("garbage"), None);
    }
}
