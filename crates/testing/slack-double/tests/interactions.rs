//! Clicks and choices on messages the product posted, and their `response_url`.

mod common;

use common::*;
use oi_slack_double::EventsSender;
use serde_json::{json, Value};

fn approval_blocks() -> Value {
    json!([
        {"type": "section", "text": {"type": "mrkdwn", "text": "Open a pull request?"}},
        {"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"}, "value": "ses_42", "style": "primary"},
            {"type": "button", "action_id": "no_value", "text": {"type": "plain_text", "text": "Later"}},
            {"type": "static_select", "action_id": "model", "placeholder": {"type": "plain_text", "text": "Model"},
             "options": [
                {"text": {"type": "plain_text", "text": "Fast"}, "value": "fast"},
                {"text": {"type": "plain_text", "text": "Smart"}, "value": "smart"}
             ]}
        ]}
    ])
}

#[tokio::test]
async fn click_delivers_a_signed_block_actions_payload() {
    let slack = start().await;
    let receiver = Receiver::start().await;
    let parent = slack.post_user_message(CHANNEL, ADA, "<@U0123BOT> fix it", None);
    let ts = post(
        &slack,
        json!({"channel": CHANNEL, "text": "Open a PR?", "thread_ts": parent, "blocks": approval_blocks()}),
    )
    .await;

    assert!(slack.click(CHANNEL, &ts, "approve", GRACE).await.is_err(), "no interactions URL yet");
    slack.set_interactions_url(&format!("{}/interactions", receiver.url));
    let reply = slack.click(CHANNEL, &ts, "approve", GRACE).await.unwrap();
    assert_eq!(reply.status, 200);

    let got = &receiver.received()[0];
    assert_eq!(got.path, "/interactions");
    assert_eq!(got.header("content-type"), "application/x-www-form-urlencoded");
    assert!(got.signed(), "signed over the raw form body");
    let payload = got.payload();
    assert_eq!(payload["type"], "block_actions");
    assert_eq!(payload["user"], json!({"id": GRACE, "username": "grace", "name": "grace", "team_id": "T0123TEAM"}));
    assert_eq!(payload["api_app_id"], "A0123APPID");
    assert_eq!(payload["team"]["id"], "T0123TEAM");
    assert_eq!(payload["channel"], json!({"id": CHANNEL, "name": "dev"}));
    assert_eq!(
        payload["container"],
        json!({"type": "message", "message_ts": ts, "channel_id": CHANNEL, "is_ephemeral": false, "thread_ts": parent})
    );
    assert_eq!(payload["message"]["ts"], ts.as_str());
    assert_eq!(payload["message"]["bot_id"], "B0123BOTID");
    assert_eq!(payload["message"]["blocks"][1]["block_id"], "decide");
    assert!(payload["trigger_id"].as_str().unwrap().split('.').count() == 3);
    let action = &payload["actions"][0];
    assert_eq!(action["type"], "button");
    assert_eq!(action["action_id"], "approve");
    assert_eq!(action["block_id"], "decide");
    assert_eq!(action["value"], "ses_42");
    assert_eq!(action["style"], "primary");
    assert_eq!(action["text"]["text"], "Approve");
    assert!(action["action_ts"].is_string());
    for key in [
        "type",
        "team",
        "user",
        "api_app_id",
        "token",
        "container",
        "trigger_id",
        "channel",
        "message",
        "response_url",
        "actions",
        "state",
    ] {
        assert!(payload.get(key).is_some(), "block_actions carries `{key}`");
    }

    // A button without a value sends none.
    slack.click(CHANNEL, &ts, "no_value", GRACE).await.unwrap();
    assert!(receiver.received()[1].payload()["actions"][0].get("value").is_none());

    // Wrong element, unknown element, unknown message, unknown user.
    assert!(slack.click(CHANNEL, &ts, "model", GRACE).await.is_err());
    assert!(slack.click(CHANNEL, &ts, "nope", GRACE).await.is_err());
    assert!(slack.click(CHANNEL, "1000000000.000001", "approve", GRACE).await.is_err());
    assert!(slack.click(CHANNEL, &ts, "approve", "U0NOBODY").await.is_err());
    assert_eq!(receiver.received().len(), 2);
    slack.assert_no_violations();
}

#[tokio::test]
async fn choose_sends_the_selected_option() {
    let slack = start().await;
    let receiver = Receiver::start().await;
    slack.set_interactions_url(&receiver.url);
    let ts = post(&slack, json!({"channel": CHANNEL, "text": "Pick", "blocks": approval_blocks()})).await;
    slack.choose(CHANNEL, &ts, "model", "smart", ADA).await.unwrap();
    let payload = receiver.received()[0].payload();
    let action = &payload["actions"][0];
    assert_eq!(action["type"], "static_select");
    assert_eq!(action["selected_option"], json!({"text": {"type": "plain_text", "text": "Smart"}, "value": "smart"}));
    assert_eq!(payload["state"]["values"]["decide"]["model"]["selected_option"]["value"], "smart");
    assert!(payload["container"].get("thread_ts").is_none());
    assert!(slack.choose(CHANNEL, &ts, "model", "slow", ADA).await.is_err());
    assert!(slack.choose(CHANNEL, &ts, "approve", "fast", ADA).await.is_err());
}

#[tokio::test]
async fn response_url_replaces_posts_and_deletes() {
    let slack = start().await;
    let receiver = Receiver::start().await;
    slack.set_interactions_url(&receiver.url);
    let ts = post(&slack, json!({"channel": CHANNEL, "text": "Pick", "blocks": approval_blocks()})).await;
    let client = reqwest::Client::new();

    slack.click(CHANNEL, &ts, "approve", ADA).await.unwrap();
    let url = receiver.received()[0].payload()["response_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&slack.url()));
    let replace =
        client.post(&url).json(&json!({"replace_original": true, "text": "Approved by Ada"})).send().await.unwrap();
    assert_eq!(replace.status(), 200);
    assert_eq!(replace.text().await.unwrap(), "ok");
    assert_eq!(slack.message(CHANNEL, &ts).unwrap().text, "Approved by Ada");
    assert_eq!(slack.updates_of(CHANNEL, &ts)[0].text.as_deref(), Some("Approved by Ada"));

    client.post(&url).json(&json!({"response_type": "in_channel", "text": "Opening the PR"})).send().await.unwrap();
    assert_eq!(slack.messages(CHANNEL).last().unwrap().text, "Opening the PR");
    client.post(&url).json(&json!({"text": "only you can see this"})).send().await.unwrap();
    assert_eq!(slack.messages(CHANNEL).len(), 2, "ephemeral messages are not stored");
    let rejected = client.post(&url).json(&json!({"replace_original": true})).send().await.unwrap();
    assert_eq!(rejected.status(), 400);
    client.post(&url).json(&json!({"delete_original": true})).send().await.unwrap();
    assert!(slack.message(CHANNEL, &ts).is_none());
    let used_up = client.post(&url).json(&json!({"text": "sixth"})).send().await.unwrap();
    assert_eq!(used_up.status(), 404);

    let effects: Vec<String> = slack.response_url_posts().into_iter().map(|p| p.effect).collect();
    assert_eq!(effects, ["replaced", "posted", "ephemeral", "rejected", "deleted"]);
    assert_eq!(slack.response_url_posts()[0].user, ADA);
    let violations = slack.violations();
    assert_eq!(violations.len(), 2, "{violations:?}");
    assert!(violations[0].contains("neither `text` nor `blocks`"));
    assert!(violations[1].contains("used more than five times"));
}

#[tokio::test]
async fn standalone_payload_builders() {
    let receiver = Receiver::start().await;
    let sender = EventsSender::new(receiver.url.clone(), SECRET);
    let click = sender.block_actions_button(ADA, CHANNEL, "1700000000.000100", "approve", "ses_1");
    assert_eq!(click["actions"][0]["value"], "ses_1");
    assert_eq!(click["container"]["message_ts"], "1700000000.000100");
    assert_eq!(click["user"]["id"], ADA);
    let select = sender.block_actions_select(ADA, DM_ADA, "1700000000.000100", "model", "fast");
    assert_eq!(select["actions"][0]["selected_option"]["value"], "fast");
    assert_eq!(select["channel"]["name"], "directmessage");
    let block_id = select["actions"][0]["block_id"].as_str().unwrap();
    assert_eq!(select["state"]["values"][block_id]["model"]["selected_option"]["value"], "fast");

    let reply = sender.send_interaction(&format!("{}/interactions", receiver.url), &click).await.unwrap();
    assert_eq!(reply.status, 200);
    let got = &receiver.received()[0];
    assert!(got.signed());
    assert_eq!(got.payload(), click);
}
