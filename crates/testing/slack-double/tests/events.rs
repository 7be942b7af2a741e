//! Slack → the product: signed Events API deliveries, their envelopes, retries and forgeries.

mod common;

use common::*;
use oi_slack_double::signing::{signature, unix_now};
use oi_slack_double::EventsSender;
use serde_json::{json, Value};

const WRAPPER_SCHEMA: &str = include_str!("../contracts/event-wrapper-schema.json");
const APP_MENTION_EXAMPLE: &str = include_str!("../contracts/examples/app_mention.event_callback.json");
const URL_VERIFICATION_EXAMPLE: &str = include_str!("../contracts/examples/url_verification.json");

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn deliveries_are_signed_like_slacks() {
    let receiver = Receiver::start().await;
    let sender = EventsSender::new(format!("{}/slack/events", receiver.url), SECRET);
    let envelope = sender.app_mention(CHANNEL, ADA, "<@U0123BOT> hi", "1700000000.000100", None);
    let reply = sender.send(&envelope).await.unwrap();
    assert_eq!(reply.status, 200);

    let got = &receiver.received()[0];
    assert_eq!(got.path, "/slack/events");
    assert_eq!(got.header("content-type"), "application/json");
    assert!(got.header("user-agent").starts_with("Slackbot 1.0"));
    let ts: i64 = got.header("x-slack-request-timestamp").parse().unwrap();
    assert!((unix_now() - ts).abs() <= 2);
    assert!(got.header("x-slack-signature").starts_with("v0="));
    assert!(got.signed());
    assert_eq!(got.json(), envelope);
    assert_eq!(
        got.header("x-slack-signature"),
        signature(SECRET, got.header("x-slack-request-timestamp"), &got.body),
        "v0:<ts>:<raw body>"
    );
}

#[tokio::test]
async fn envelopes_have_the_contracts_shape() {
    let sender = EventsSender::new("http://127.0.0.1:9", SECRET);
    let schema: Value = serde_json::from_str(WRAPPER_SCHEMA).unwrap();
    let envelope = sender.app_mention(CHANNEL, ADA, "<@U0123BOT> hi", "1700000000.000100", Some("1699999999.000100"));
    for key in schema["required"].as_array().unwrap() {
        let key = key.as_str().unwrap();
        if key == "authed_users" {
            // The old schema's field; current deliveries (and the contract's examples) carry
            // `authorizations` instead.
            assert!(envelope.get("authorizations").is_some());
            continue;
        }
        assert!(envelope.get(key).is_some(), "the wrapper schema requires `{key}`");
    }
    assert!(envelope["event_time"].is_i64());
    assert!(envelope["event_id"].as_str().unwrap().starts_with("Ev"));
    assert_eq!(envelope["type"], "event_callback");
    assert_eq!(envelope["authorizations"][0]["user_id"], "U0123BOT");
    assert_eq!(envelope["authorizations"][0]["is_bot"], true);

    // Every key of the docs' example is there.
    let example: Value = serde_json::from_str(APP_MENTION_EXAMPLE).unwrap();
    for key in keys(&example) {
        assert!(envelope.get(&key).is_some(), "envelope lacks `{key}`");
    }
    for key in keys(&example["event"]) {
        assert!(envelope["event"].get(&key).is_some(), "app_mention lacks `{key}`");
    }
    for key in keys(&example["authorizations"][0]) {
        assert!(envelope["authorizations"][0].get(&key).is_some(), "authorization lacks `{key}`");
    }
    let event = &envelope["event"];
    assert_eq!(event["thread_ts"], "1699999999.000100");
    assert_eq!(event["event_ts"], event["ts"]);
    assert_eq!(event["blocks"][0]["elements"][0]["elements"][0], json!({"type": "user", "user_id": "U0123BOT"}));

    // A fresh event id each time.
    let again = sender.app_mention(CHANNEL, ADA, "<@U0123BOT> hi", "1700000000.000100", None);
    assert_ne!(again["event_id"], envelope["event_id"]);

    let verification = sender.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    let example: Value = serde_json::from_str(URL_VERIFICATION_EXAMPLE).unwrap();
    assert_eq!(keys(&verification), keys(&example));
    assert_eq!(verification["challenge"], example["challenge"]);

    let message = sender.message(DM_ADA, ADA, "hello", "1700000000.000200", None, "im");
    assert_eq!(message["event"]["type"], "message");
    assert_eq!(message["event"]["channel_type"], "im");
    assert!(message["event"].get("subtype").is_none());
    let bot = sender.bot_message(CHANNEL, "B0OTHER01", "deploy done", "1700000000.000300", None, "channel");
    assert_eq!(bot["event"]["subtype"], "bot_message");
    assert_eq!(bot["event"]["bot_id"], "B0OTHER01");
    let own = sender.own_message(CHANNEL, "Session started", "1700000000.000400", None, "channel");
    assert_eq!(own["event"]["user"], "U0123BOT");
    assert_eq!(own["event"]["bot_id"], "B0123BOTID");
    assert!(own["event"].get("subtype").is_none());
}

#[tokio::test]
async fn url_verification_round_trip() {
    let receiver = Receiver::start().await;
    let sender = EventsSender::new(receiver.url.clone(), SECRET);
    let reply = sender.send(&sender.url_verification("challenge-123")).await.unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "challenge-123"));
    assert!(receiver.received()[0].signed());
}

#[tokio::test]
async fn retries_forgeries_and_replays() {
    let receiver = Receiver::start().await;
    let sender = EventsSender::new(receiver.url.clone(), SECRET);
    let envelope = sender.message(CHANNEL, ADA, "hi", "1700000000.000100", None, "channel");
    sender.send(&envelope).await.unwrap();
    sender.send_retry(&envelope, 1, "http_timeout").await.unwrap();

    let body = serde_json::to_vec(&envelope).unwrap();
    let stale = (unix_now() - 600).to_string();
    sender.send_raw(&body, &stale, &signature(SECRET, &stale, &body)).await.unwrap();
    let now = unix_now().to_string();
    sender.send_raw(&body, &now, &signature("not-the-secret", &now, &body)).await.unwrap();

    let got = receiver.received();
    assert_eq!(got.len(), 4);
    assert_eq!(got[1].body, got[0].body, "a retry resends the same event");
    assert_eq!(got[1].json()["event_id"], envelope["event_id"]);
    assert_eq!(got[1].header("x-slack-retry-num"), "1");
    assert_eq!(got[1].header("x-slack-retry-reason"), "http_timeout");
    assert!(got[1].signed());
    assert_eq!(got[0].header("x-slack-retry-num"), "");
    assert!(!got[2].signed(), "a stale timestamp");
    assert!(!got[3].signed(), "the wrong secret");
}

#[tokio::test]
async fn the_double_seeds_and_delivers() {
    let slack = start().await;
    let receiver = Receiver::start().await;
    assert!(slack.send_app_mention(CHANNEL, ADA, "hi", None).await.is_err(), "no events URL yet");
    slack.set_events_url(&format!("{}/events", receiver.url));

    let text = format!("{} the build is red", slack.bot_mention());
    let (ts, reply) = slack.send_app_mention(CHANNEL, ADA, &text, None).await.unwrap();
    assert_eq!(reply.status, 200);
    let (reply_ts, _) = slack.send_message(CHANNEL, GRACE, "same here", Some(&ts)).await.unwrap();
    let (dm_ts, _) = slack.send_message(DM_ADA, ADA, "and in private", None).await.unwrap();

    let got = receiver.received();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|g| g.signed()));
    let mention = got[0].json();
    assert_eq!(mention["event"]["type"], "app_mention");
    assert_eq!(mention["event"]["ts"], ts.as_str());
    assert_eq!(mention["event"]["text"], text);
    assert_eq!(mention["team_id"], "T0123TEAM");
    let reply = got[1].json();
    assert_eq!(reply["event"]["thread_ts"], ts.as_str());
    assert_eq!(reply["event"]["parent_user_id"], ADA);
    assert_eq!(reply["event"]["channel_type"], "channel");
    assert_eq!(got[2].json()["event"]["channel_type"], "im");

    // The messages are in the workspace: conversations.replies shows them.
    let (_, body) = get(&slack, "conversations.replies", &[("channel", CHANNEL), ("ts", &ts)]).await;
    let texts: Vec<&str> = body["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, [text.as_str(), "same here"]);
    assert_eq!(slack.thread(CHANNEL, &ts)[0].ts, reply_ts);
    assert_eq!(slack.messages(DM_ADA)[0].ts, dm_ts);
}
