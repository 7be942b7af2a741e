use serde_json::json;

use super::*;

fn fixture(name: &str) -> Value {
    let text = match name {
        "url_verification" => include_str!("../../tests/fixtures/slack/url_verification.json"),
        "app_mention" => include_str!("../../tests/fixtures/slack/app_mention.event_callback.json"),
        "message_replied" => include_str!("../../tests/fixtures/slack/message.message_replied.event_callback.json"),
        _ => unreachable!(),
    };
    serde_json::from_str(text).unwrap()
}

/// A recorded payload with changes at JSON pointers (None removes the field).
fn edited(name: &str, edits: &[(&str, Option<Value>)]) -> Value {
    let mut body = fixture(name);
    for (pointer, value) in edits {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        match value {
            Some(v) => parent.insert(key.to_string(), v.clone()),
            None => parent.remove(key),
        };
    }
    body
}

/// The app_mention example turned into a `message` event of this channel type.
fn message(channel_type: &str, edits: &[(&str, Option<Value>)]) -> Value {
    let mut all = vec![("/event/type", Some(json!("message"))), ("/event/channel_type", Some(json!(channel_type)))];
    all.extend(edits.iter().cloned());
    edited("app_mention", &all)
}

/// The bot the example mentions.
const BOT: &str = "U0LAN0Z89";
const TEXT: &str = "<@U0LAN0Z89> is it everything a river should be?";
const TS: &str = "1515449522.000016";

fn event(event: SlackEvent) -> Inbound {
    Inbound::Event(EventCallback { event_id: "Ev123ABC456".into(), team_id: "T123ABC456".into(), event })
}

fn mention(text: &str, thread_ts: Option<&str>, direct: bool) -> Inbound {
    event(SlackEvent::Mention {
        channel: "C123ABC456".into(),
        user: "U061F7AUR".into(),
        text: text.into(),
        ts: TS.into(),
        thread_ts: thread_ts.map(str::to_string),
        direct,
    })
}

fn reply(text: &str, thread_ts: &str) -> Inbound {
    event(SlackEvent::ThreadReply {
        channel: "C123ABC456".into(),
        user: "U061F7AUR".into(),
        text: text.into(),
        ts: TS.into(),
        thread_ts: thread_ts.into(),
    })
}

/// What a case expects: the result, an Ignored whose reason has this needle, or a refusal
/// naming this field.
enum Want {
    Is(Inbound),
    Ignored(&'static str),
    Refused(&'static str),
}

#[test]
fn deliveries() {
    const PARENT: &str = "1515449000.000001";
    let in_thread = || ("/event/thread_ts", Some(json!(PARENT)));
    let plain = || ("/event/text", Some(json!(plain_text())));
    let cases: Vec<(&str, Value, Option<&str>, Want)> = vec![
        (
            "url_verification",
            fixture("url_verification"),
            None,
            Want::Is(Inbound::UrlVerification {
                challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into(),
            }),
        ),
        ("app_mention", fixture("app_mention"), None, Want::Is(mention(TEXT, None, false))),
        ("app_mention, bot known", fixture("app_mention"), Some(BOT), Want::Is(mention(TEXT, None, false))),
        (
            "app_mention in a thread",
            edited("app_mention", &[in_thread()]),
            Some(BOT),
            Want::Is(mention(TEXT, Some(PARENT), false)),
        ),
        ("app_mention by the app itself", fixture("app_mention"), Some("U061F7AUR"), Want::Ignored("own message")),
        (
            "app_mention by a bot",
            edited("app_mention", &[("/event/bot_id", Some(json!("B123")))]),
            None,
            Want::Ignored("bot's message"),
        ),
        (
            "bot_id null is a person",
            edited("app_mention", &[("/event/bot_id", Some(Value::Null))]),
            None,
            Want::Is(mention(TEXT, None, false)),
        ),
        ("message_replied notice", fixture("message_replied"), Some(BOT), Want::Ignored("thread got a reply")),
        ("direct message", message("im", &[plain()]), Some(BOT), Want::Is(mention(&plain_text(), None, true))),
        (
            "direct message mentioning the app (no app_mention in DMs)",
            message("im", &[]),
            Some(BOT),
            Want::Is(mention(TEXT, None, true)),
        ),
        (
            "direct message, thread_ts = ts",
            message("im", &[plain(), ("/event/thread_ts", Some(json!(TS)))]),
            None,
            Want::Is(mention(&plain_text(), None, true)),
        ),
        (
            "direct message in a thread",
            message("im", &[plain(), in_thread()]),
            None,
            Want::Is(reply(&plain_text(), PARENT)),
        ),
        (
            "thread reply",
            message("channel", &[plain(), in_thread()]),
            Some(BOT),
            Want::Is(reply(&plain_text(), PARENT)),
        ),
        (
            "thread reply, private channel",
            message("group", &[plain(), in_thread()]),
            Some(BOT),
            Want::Is(reply(&plain_text(), PARENT)),
        ),
        (
            "thread reply also sent to the channel",
            message("channel", &[plain(), in_thread(), ("/event/subtype", Some(json!("thread_broadcast")))]),
            Some(BOT),
            Want::Is(reply(&plain_text(), PARENT)),
        ),
        (
            "thread reply with a file",
            message("channel", &[plain(), in_thread(), ("/event/subtype", Some(json!("file_share")))]),
            Some(BOT),
            Want::Is(reply(&plain_text(), PARENT)),
        ),
        (
            "thread reply mentioning the app",
            message("channel", &[in_thread()]),
            Some(BOT),
            Want::Ignored("delivered as app_mention"),
        ),
        (
            "thread reply mentioning the app by name",
            message("channel", &[in_thread(), ("/event/text", Some(json!("<@U0LAN0Z89|inspect> go on")))]),
            Some(BOT),
            Want::Ignored("delivered as app_mention"),
        ),
        (
            "thread reply mentioning the app, bot unknown",
            message("channel", &[in_thread()]),
            None,
            Want::Is(reply(TEXT, PARENT)),
        ),
        (
            "thread reply mentioning someone else",
            message("channel", &[in_thread(), ("/event/text", Some(json!("<@U999> look")))]),
            Some(BOT),
            Want::Is(reply("<@U999> look", PARENT)),
        ),
        (
            "channel message mentioning the app",
            message("channel", &[]),
            Some(BOT),
            Want::Ignored("delivered as app_mention"),
        ),
        (
            "channel message mentioning the app, bot unknown",
            message("channel", &[]),
            None,
            Want::Ignored("top-level channel message"),
        ),
        ("channel message", message("channel", &[plain()]), Some(BOT), Want::Ignored("top-level channel message")),
        (
            "channel message without channel_type",
            message("channel", &[plain(), ("/event/channel_type", None)]),
            Some(BOT),
            Want::Ignored("top-level channel message"),
        ),
        ("the app's own message", message("im", &[]), Some("U061F7AUR"), Want::Ignored("own message")),
        (
            "a bot's message",
            message("im", &[("/event/subtype", Some(json!("bot_message"))), ("/event/user", None)]),
            None,
            Want::Ignored("bot's message"),
        ),
        (
            "a message with a bot_id",
            message("im", &[("/event/bot_id", Some(json!("B0123")))]),
            None,
            Want::Ignored("bot's message"),
        ),
        (
            "an edit",
            message("im", &[("/event/subtype", Some(json!("message_changed"))), ("/event/user", None)]),
            None,
            Want::Ignored("edit"),
        ),
        (
            "a deletion",
            message("im", &[("/event/subtype", Some(json!("message_deleted"))), ("/event/text", None)]),
            None,
            Want::Ignored("deletion"),
        ),
        (
            "someone joins",
            message("channel", &[("/event/subtype", Some(json!("channel_join")))]),
            None,
            Want::Ignored("subtype channel_join"),
        ),
        (
            "a reaction",
            edited("app_mention", &[("/event/type", Some(json!("reaction_added")))]),
            None,
            Want::Ignored("reaction_added is not used"),
        ),
        (
            "rate limited notice",
            json!({"type": "app_rate_limited", "team_id": "T1"}),
            None,
            Want::Ignored("app_rate_limited"),
        ),
        ("no type", json!({"challenge": "x"}), None, Want::Refused("`type`")),
        ("url_verification without challenge", json!({"type": "url_verification"}), None, Want::Refused("`challenge`")),
        ("no event_id", edited("app_mention", &[("/event_id", None)]), None, Want::Refused("`event_id`")),
        ("no team_id", edited("app_mention", &[("/team_id", Some(json!(7)))]), None, Want::Refused("`team_id`")),
        ("no event", edited("app_mention", &[("/event", None)]), None, Want::Refused("`event`")),
        ("event not an object", edited("app_mention", &[("/event", Some(json!("x")))]), None, Want::Refused("`event`")),
        ("no event.type", edited("app_mention", &[("/event/type", None)]), None, Want::Refused("`event.type`")),
        ("no user", edited("app_mention", &[("/event/user", None)]), None, Want::Refused("`event.user`")),
        ("no channel", edited("app_mention", &[("/event/channel", None)]), None, Want::Refused("`event.channel`")),
        ("no ts", edited("app_mention", &[("/event/ts", Some(json!("")))]), None, Want::Refused("`event.ts`")),
        ("no text", message("im", &[("/event/text", None)]), None, Want::Refused("`event.text`")),
    ];
    for (name, body, bot, want) in cases {
        let got = parse(&body, bot);
        match want {
            Want::Is(want) => assert_eq!(got, Ok(want), "{name}"),
            Want::Ignored(needle) => match got {
                Ok(Inbound::Ignored { reason }) => assert!(reason.contains(needle), "{name}: {reason}"),
                other => panic!("{name}: {other:?}"),
            },
            Want::Refused(field) => {
                let refusal = got.expect_err(name);
                assert_eq!(refusal.code, ErrorCode::InvalidRequest, "{name}");
                assert!(refusal.reason.contains(field), "{name}: {}", refusal.reason);
            }
        }
    }
}

fn plain_text() -> String {
    "is it everything a river should be?".into()
}

#[test]
fn mentions_are_stripped() {
    let bot = Some(BOT);
    let cases: &[(&str, Option<&str>, &str)] = &[
        (TEXT, bot, "is it everything a river should be?"),
        ("<@U0LAN0Z89|inspect> fix the build", bot, "fix the build"),
        ("please <@U0LAN0Z89> fix the build", bot, "please fix the build"),
        ("fix the build <@U0LAN0Z89>", bot, "fix the build"),
        ("<@U0LAN0Z89>\nfix the build", bot, "fix the build"),
        ("<@U0LAN0Z89> ask <@U999> about it", bot, "ask <@U999> about it"),
        ("<@U0LAN0Z89> ask <@U999|ada> about it", bot, "ask <@U999|ada> about it"),
        ("<@U0LAN0Z89> <!here> the build is red", bot, "the build is red"),
        ("<!channel|@channel> <@U0LAN0Z89> hi <!everyone>", bot, "hi"),
        ("<!here|here> hi", bot, "hi"),
        (
            "<@U0LAN0Z89> see <https://example.com|the docs> and <#C123|general>",
            bot,
            "see <https://example.com|the docs> and <#C123|general>",
        ),
        ("<@U0LAN0Z89> ping <!subteam^S123|@backend>", bot, "ping <!subteam^S123|@backend>"),
        ("<@U0LAN0Z89> is 1 < 2 > 0?", bot, "is 1 < 2 > 0?"),
        ("<@U0LAN0Z89> a > b", bot, "a > b"),
        ("<@U0LAN0Z89> a < b", bot, "a < b"),
        ("bot unknown: <@U0LAN0Z89> <!here> keep", None, "bot unknown: <@U0LAN0Z89> keep"),
        ("  <@U0LAN0Z89>  ", bot, ""),
        ("", bot, ""),
        ("  indented\n    code <@U0LAN0Z89>", bot, "indented\n    code"),
        ("<@U0LAN0Z89X> another user", bot, "<@U0LAN0Z89X> another user"),
        ("été <@U0LAN0Z89> 日本", bot, "été 日本"),
    ];
    for (text, bot, want) in cases {
        assert_eq!(strip_mentions(text, *bot), *want, "{text:?}");
    }
}

#[test]
fn broadcasts_are_stripped() {
    let cases: &[(&str, &str)] = &[
        ("Done <!here>", "Done"),
        ("<!channel> done <!everyone> now", "done now"),
        ("<!here|@here> done", "done"),
        ("ping <!subteam^SAZ94GDB8|@oncall> now", "ping now"),
        ("<<!here>> done", "<> done"),
        ("thanks <@U999>, see <https://example.com|this>", "thanks <@U999>, see <https://example.com|this>"),
        ("<!date^1392734382^{date}|Feb 18> ok", "<!date^1392734382^{date}|Feb 18> ok"),
        ("a -> b, c <- d", "a -> b, c <- d"),
        ("no broadcasts", "no broadcasts"),
    ];
    for (text, want) in cases {
        assert_eq!(strip_broadcasts(text), *want, "{text:?}");
    }
}

#[test]
fn threads_and_times() {
    assert_eq!(thread_of("1.2", None), "1.2");
    assert_eq!(thread_of("1.2", Some("1.1")), "1.1");
    assert_eq!(thread_of("1.2", Some("")), "1.2");
    let cases: &[(&str, Option<i64>)] = &[
        ("1515449522.000016", Some(1_515_449_522_000)),
        ("1515449522.123456", Some(1_515_449_522_123)),
        ("1515449522.5", Some(1_515_449_522_500)),
        ("1515449522", Some(1_515_449_522_000)),
        ("", None),
        (".5", None),
        ("15x.1", None),
        ("-1.0", None),
        ("1.2.3", None),
    ];
    for (ts, want) in cases {
        assert_eq!(ts_to_ms(ts), *want, "{ts:?}");
    }
}

#[test]
fn the_authorized_bot() {
    // The contract's example authorizes a person (is_bot false).
    assert_eq!(authorized_bot_user(&fixture("app_mention")), None);
    let body = edited("app_mention", &[("/authorizations/0/is_bot", Some(json!(true)))]);
    assert_eq!(authorized_bot_user(&body).as_deref(), Some("U123ABC456"));
    assert_eq!(authorized_bot_user(&json!({})), None);
}
