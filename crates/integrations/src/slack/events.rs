//! Events API deliveries (after their signature is verified): which ones are requests to the
//! app, which are replies in a thread, and which are acknowledged and ignored.
//!
//! Invariant: nothing the app or another bot wrote, and no edit or deletion, ever becomes a
//! request, so the bot cannot answer itself; and a message Slack delivers twice (as `message`
//! and as `app_mention`, when it mentions the app in a channel) becomes a request once, as the
//! `app_mention` (when the app's user id is known).
//!
//! Texts are kept as Slack sent them (mrkdwn, with `<@U…>` mentions); [`strip_mentions`] makes
//! a prompt of one.

use oi_protocol::ErrorCode;
use serde_json::Value;

use crate::inbound::Refusal;

/// What a verified Events API body asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// Slack checks the Request URL: answer 200 with the challenge.
    UrlVerification {
        challenge: String,
    },
    Event(EventCallback),
    /// Acknowledged (2xx) and nothing else; the reason names why.
    Ignored {
        reason: String,
    },
}

/// An `event_callback` that may start or continue work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCallback {
    /// Slack's id of the delivery (the same on its retries): the dedupe key.
    pub event_id: String,
    pub team_id: String,
    pub event: SlackEvent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackEvent {
    /// A mention of the app, or a direct message to it: a new request (or, in a thread the app
    /// already works in, a follow-up).
    Mention { channel: String, user: String, text: String, ts: String, thread_ts: Option<String>, direct: bool },
    /// A reply in a thread (message with thread_ts != ts), from a person.
    ThreadReply { channel: String, user: String, text: String, ts: String, thread_ts: String },
}

/// `message` subtypes that are still a person writing (the rest are notices: joins, topic
/// changes, edits, deletions, bots).
const PERSON_SUBTYPES: &[&str] = &["file_share", "thread_broadcast", "me_message"];

fn malformed(field: &str) -> Refusal {
    Refusal::new(ErrorCode::InvalidRequest, format!("the Slack delivery has no usable `{field}`"))
}

fn ignored(reason: impl Into<String>) -> Result<Inbound, Refusal> {
    Ok(Inbound::Ignored { reason: reason.into() })
}

/// A non-empty string field.
fn string(value: &Value, key: &str, path: &str) -> Result<String, Refusal> {
    match value.get(key).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(malformed(&format!("{path}{key}"))),
    }
}

fn optional(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty()).map(str::to_string)
}

/// Parses a verified body (JSON). Bot messages (bot_id present, subtype bot_message), the app's
/// own user (bot_user_id given), message edits/deletes (subtype message_changed /
/// message_deleted), and event types we don't use → Ignored naming why. Direct messages:
/// `message` events with channel_type "im" (no thread) → Mention{direct:true}. A `message` in a
/// channel that mentions the bot is delivered ALSO as app_mention by Slack; to avoid doubles,
/// channel `message` events that contain `<@BOT_USER_ID>` are Ignored ("delivered as
/// app_mention") — only when bot_user_id is known. Malformed → Err(Refusal InvalidRequest
/// naming the missing field).
///
/// Any other top-level channel message is Ignored too (only mentions, direct messages and thread
/// replies concern the app); a thread reply is returned whatever thread it is in: the caller
/// knows which threads the app works in. Without `bot_user_id`, a thread reply that mentions
/// the app comes twice (as ThreadReply and as Mention, with the same `ts`).
pub fn parse(body: &Value, bot_user_id: Option<&str>) -> Result<Inbound, Refusal> {
    let kind = body.get("type").and_then(Value::as_str).ok_or_else(|| malformed("type"))?;
    match kind {
        "url_verification" => Ok(Inbound::UrlVerification { challenge: string(body, "challenge", "")? }),
        "event_callback" => {
            let event_id = string(body, "event_id", "")?;
            let team_id = string(body, "team_id", "")?;
            let event = body.get("event").filter(|e| e.is_object()).ok_or_else(|| malformed("event"))?;
            match parse_event(event, bot_user_id)? {
                Ok(event) => Ok(Inbound::Event(EventCallback { event_id, team_id, event })),
                Err(reason) => ignored(reason),
            }
        }
        other => ignored(format!("Slack delivery type {other} is not used")),
    }
}

/// The event, or why it is ignored.
fn parse_event(event: &Value, bot_user_id: Option<&str>) -> Result<Result<SlackEvent, String>, Refusal> {
    let kind = event.get("type").and_then(Value::as_str).ok_or_else(|| malformed("event.type"))?;
    if kind != "app_mention" && kind != "message" {
        return Ok(Err(format!("event type {kind} is not used")));
    }
    let subtype = event.get("subtype").and_then(Value::as_str);
    match subtype {
        Some("message_changed") => return Ok(Err("a message edit".into())),
        Some("message_deleted") => return Ok(Err("a message deletion".into())),
        Some("message_replied") => {
            return Ok(Err("a notice that a thread got a reply (the reply comes on its own)".into()))
        }
        _ => {}
    }
    if event.get("bot_id").is_some_and(|b| !b.is_null()) || subtype == Some("bot_message") {
        return Ok(Err("a bot's message".into()));
    }
    if let Some(subtype) = subtype.filter(|s| !PERSON_SUBTYPES.contains(s)) {
        return Ok(Err(format!("message subtype {subtype} is not a request")));
    }
    let bot = bot_user_id.map(str::trim).filter(|b| !b.is_empty());
    let user = string(event, "user", "event.")?;
    if bot == Some(user.as_str()) {
        return Ok(Err("the app's own message".into()));
    }
    let channel = string(event, "channel", "event.")?;
    let ts = string(event, "ts", "event.")?;
    let text = event.get("text").and_then(Value::as_str).ok_or_else(|| malformed("event.text"))?.to_string();
    let thread_ts = optional(event, "thread_ts");
    if kind == "app_mention" {
        return Ok(Ok(SlackEvent::Mention { channel, user, text, ts, thread_ts, direct: false }));
    }
    let reply_to = thread_ts.filter(|t| *t != ts);
    let direct = event.get("channel_type").and_then(Value::as_str) == Some("im");
    if !direct && bot.is_some_and(|b| mentions(&text, b)) {
        return Ok(Err("a channel message that mentions the app (delivered as app_mention)".into()));
    }
    Ok(match (reply_to, direct) {
        (Some(thread_ts), _) => Ok(SlackEvent::ThreadReply { channel, user, text, ts, thread_ts }),
        (None, true) => Ok(SlackEvent::Mention { channel, user, text, ts, thread_ts: None, direct: true }),
        (None, false) => Err("a top-level channel message (requests in channels come as app_mention)".into()),
    })
}

/// Whether `text` mentions the user (`<@U…>` or `<@U…|name>`).
fn mentions(text: &str, user_id: &str) -> bool {
    text.contains(&format!("<@{user_id}>")) || text.contains(&format!("<@{user_id}|"))
}

/// The thread a request lives in: thread_ts if present else ts.
pub fn thread_of(ts: &str, thread_ts: Option<&str>) -> String {
    thread_ts.filter(|t| !t.trim().is_empty()).unwrap_or(ts).to_string()
}

/// Slack's `ts` (`"1515449522.000016"`, seconds with microseconds) in milliseconds since the
/// epoch; None when it is not one.
pub fn ts_to_ms(ts: &str) -> Option<i64> {
    let (secs, frac) = ts.trim().split_once('.').unwrap_or((ts.trim(), ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if secs.is_empty() || !digits(secs) || !digits(frac) {
        return None;
    }
    let ms: i64 = format!("{:0<3}", &frac[..frac.len().min(3)]).parse().ok()?;
    secs.parse::<i64>().ok()?.checked_mul(1000)?.checked_add(ms)
}

/// The app's own user id as the delivery's `authorizations` name it (the entry with `is_bot`
/// true), for when the settings do not say it.
pub fn authorized_bot_user(body: &Value) -> Option<String> {
    let authorizations = body.get("authorizations")?.as_array()?;
    authorizations
        .iter()
        .find(|a| a.get("is_bot").and_then(Value::as_bool) == Some(true))
        .and_then(|a| optional(a, "user_id"))
}

/// `<!channel>`, `<!here>`, `<!everyone>`, also with a `|label`.
fn is_broadcast(inner: &str) -> bool {
    let name = inner.split_once('|').map_or(inner, |(name, _)| name);
    matches!(name, "!channel" | "!here" | "!everyone")
}

/// Whether `inner` (between `<` and `>`) mentions the bot.
fn is_bot_mention(inner: &str, bot_user_id: Option<&str>) -> bool {
    let Some(bot) = bot_user_id.map(str::trim).filter(|b| !b.is_empty()) else { return false };
    let Some(user) = inner.strip_prefix('@') else { return false };
    user.split_once('|').map_or(user, |(id, _)| id) == bot
}

/// `text` without the `<…>` tokens `drop` says, without the space a removal would double;
/// trimmed.
fn remove_tokens(text: &str, drop: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Each `>` closes the nearest `<` before it (so `<<!here>>` loses its broadcast too).
    while let Some(close) = rest.find('>') {
        let Some(open) = rest[..close].rfind('<') else {
            out.push_str(&rest[..=close]);
            rest = &rest[close + 1..];
            continue;
        };
        let inner = &rest[open + 1..close];
        out.push_str(&rest[..open]);
        rest = &rest[close + 1..];
        if drop(inner) {
            if out.is_empty() || out.ends_with(char::is_whitespace) {
                rest = rest.strip_prefix(' ').unwrap_or(rest);
            }
        } else {
            out.push('<');
            out.push_str(inner);
            out.push('>');
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// The text without mentions of the bot (`<@U…>` of the bot; other user mentions kept), with
/// broadcast mentions (`<!channel>`, `<!here>`, `<!everyone>`, also with `|label`) removed,
/// whitespace trimmed.
pub fn strip_mentions(text: &str, bot_user_id: Option<&str>) -> String {
    remove_tokens(text, |inner| is_broadcast(inner) || is_bot_mention(inner, bot_user_id))
}

/// Strip broadcast mentions and user-group mentions (`<!subteam^…>`): for what the agent
/// posts, which must not page anyone.
pub fn strip_broadcasts(text: &str) -> String {
    remove_tokens(text, |inner| is_broadcast(inner) || inner.starts_with("!subteam^"))
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
