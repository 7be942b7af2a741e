//! The Web API as the product calls it: answers, errors, failure switches and the contract
//! checks.

mod common;

use std::time::Duration;

use common::*;
use oi_slack_double::{documented_errors, success_keys, SlackDouble};
use serde_json::{json, Value};

fn assert_success_shape(method: &str, body: &Value) {
    assert_eq!(body["ok"], true, "{method}: {body}");
    for key in success_keys(method) {
        assert!(body.get(&key).is_some(), "{method}: the spec requires `{key}` in {body}");
    }
}

#[tokio::test]
async fn auth_test_and_users_info() {
    let slack = start().await;
    let (status, body) = get(&slack, "auth.test", &[]).await;
    assert_eq!(status, 200);
    assert_success_shape("auth.test", &body);
    assert_eq!(body["user_id"], "U0123BOT");
    assert_eq!(body["bot_id"], "B0123BOTID");
    assert_eq!(body["url"], "https://oi-test.slack.com/");

    let (_, body) = get(&slack, "users.info", &[("user", ADA)]).await;
    assert_success_shape("users.info", &body);
    let user = &body["user"];
    assert_eq!(user["id"], ADA);
    assert_eq!(user["name"], "ada");
    assert_eq!(user["real_name"], "Ada Lovelace");
    assert_eq!(user["profile"]["email"], "ada@example.com");
    assert_eq!(user["is_bot"], false);
    for key in ["id", "name", "profile", "is_bot", "updated", "is_app_user"] {
        assert!(user.get(key).is_some(), "objs_user requires {key}");
    }
    let (_, body) = post_form(&slack, "users.info", &[("user", "U0123BOT")]).await;
    assert_eq!(body["user"]["is_bot"], true);
    assert_eq!(body["user"]["profile"]["bot_id"], "B0123BOTID");

    let (status, body) = get(&slack, "users.info", &[("user", "U0NOBODY")]).await;
    assert_eq!((status, body), (200, json!({"ok": false, "error": "user_not_found"})));
    slack.assert_no_violations();
}

#[tokio::test]
async fn authentication() {
    let slack = start().await;
    let client = reqwest::Client::new();
    let none: Value = client.get(slack.api_url("auth.test")).send().await.unwrap().json().await.unwrap();
    assert_eq!(none, json!({"ok": false, "error": "not_authed"}));
    let res = client.get(slack.api_url("auth.test")).bearer_auth("xoxb-wrong").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"ok": false, "error": "invalid_auth"}));
    // A `token` form parameter works, as on Slack…
    let form: Value = client
        .post(slack.api_url("auth.test"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={TOKEN}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form["ok"], true);
    assert!(slack.violations().is_empty());
    // …but not in a JSON body: Slack ignores it there.
    let json_token: Value = client
        .post(slack.api_url("auth.test"))
        .header("content-type", "application/json")
        .body(json!({"token": TOKEN}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json_token["error"], "not_authed");
    assert_eq!(slack.violations().len(), 1, "{:?}", slack.violations());
    assert!(slack.violations()[0].contains("`token` in a JSON body"));
}

#[tokio::test]
async fn post_message_json_and_form() {
    let slack = start().await;
    let blocks = json!([
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Session started*"}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": "stop", "text": {"type": "plain_text", "text": "Stop"}, "value": "ses_1", "style": "danger"}
        ]},
    ]);
    let (status, body) = post_json(
        &slack,
        "chat.postMessage",
        json!({"channel": CHANNEL, "text": "Session started", "blocks": blocks, "unfurl_links": false}),
    )
    .await;
    assert_eq!(status, 200);
    assert_success_shape("chat.postMessage", &body);
    assert_eq!(body["channel"], CHANNEL);
    let ts = body["ts"].as_str().unwrap().to_string();
    assert_eq!(ts.len(), 17);
    let message = &body["message"];
    assert_eq!(message["bot_id"], "B0123BOTID");
    assert_eq!(message["user"], "U0123BOT");
    assert_eq!(message["text"], "Session started");
    assert_eq!(message["blocks"][1]["elements"][0]["action_id"], "stop");
    assert!(message["blocks"][0]["block_id"].is_string(), "Slack fills in block_id");

    // A form, blocks as JSON text, in the thread; by channel name.
    let (_, reply) = post_form(
        &slack,
        "chat.postMessage",
        &[("channel", "#dev"), ("text", "working on it"), ("thread_ts", &ts), ("blocks", r#"[{"type":"divider"}]"#)],
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["channel"], CHANNEL);
    assert_eq!(reply["message"]["thread_ts"], ts.as_str());
    assert_eq!(reply["message"]["parent_user_id"], "U0123BOT");
    assert!(reply["ts"].as_str().unwrap() > ts.as_str(), "timestamps increase");

    // A person's id opens the direct message.
    let (_, dm) = post_json(&slack, "chat.postMessage", json!({"channel": ADA, "text": "hi"})).await;
    assert_eq!(dm["channel"], DM_ADA);

    let messages = slack.messages(CHANNEL);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].posted_with["unfurl_links"], false);
    assert_eq!(slack.thread(CHANNEL, &ts).len(), 1);
    assert_eq!(slack.calls("chat.postMessage").len(), 3);
    assert_eq!(slack.calls("chat.postMessage")[1].arg("thread_ts").as_deref(), Some(ts.as_str()));
    slack.assert_no_violations();
}

#[tokio::test]
async fn post_message_errors() {
    let slack = start().await;
    let cases = [
        (json!({"channel": "C0NOPE", "text": "x"}), "channel_not_found", false),
        (json!({"channel": PRIVATE, "text": "x"}), "not_in_channel", false),
        (json!({"channel": CHANNEL}), "no_text", true),
        (json!({"channel": CHANNEL, "text": "x".repeat(40_001)}), "msg_too_long", true),
        (json!({"channel": CHANNEL, "blocks": [{"text": "no type"}]}), "invalid_blocks", true),
        (
            json!({"channel": CHANNEL, "blocks": (0..51).map(|_| json!({"type": "divider"})).collect::<Vec<_>>()}),
            "invalid_blocks",
            true,
        ),
        (
            json!({"channel": CHANNEL, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}}]}),
            "invalid_blocks",
            true,
        ),
        (
            json!({"channel": CHANNEL, "blocks": [{"type": "actions", "elements": [
                {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b".repeat(76)}}]}]}),
            "invalid_blocks",
            true,
        ),
        (
            json!({"channel": CHANNEL, "blocks": [{"type": "actions", "elements": [
                {"type": "button", "action_id": "a".repeat(256), "text": {"type": "plain_text", "text": "ok"}}]}]}),
            "invalid_blocks",
            true,
        ),
        (json!({"channel": CHANNEL, "blocks": "not json"}), "invalid_blocks_format", true),
    ];
    for (args, code, violation) in cases {
        slack.clear_violations();
        let (status, body) = post_json(&slack, "chat.postMessage", args.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(body["ok"], false, "{args}");
        assert_eq!(body["error"], code, "{args}");
        assert_eq!(!slack.violations().is_empty(), violation, "{code}: {:?}", slack.violations());
    }
    let (_, body) = post_json(
        &slack,
        "chat.postMessage",
        json!({"channel": CHANNEL, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}}]}),
    )
    .await;
    assert_eq!(
        body["response_metadata"]["messages"],
        json!(["[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"])
    );
    assert!(slack.messages(CHANNEL).is_empty());
    for code in ["channel_not_found", "not_in_channel", "no_text", "msg_too_long"] {
        assert!(documented_errors("chat.postMessage").contains(&code.to_string()), "{code}");
    }
}

#[tokio::test]
async fn update_and_its_errors() {
    let slack = start().await;
    let ts = post(&slack, json!({"channel": CHANNEL, "text": "Running…"})).await;
    let (_, body) = post_json(&slack, "chat.update", json!({"channel": CHANNEL, "ts": ts, "text": "Done"})).await;
    assert_success_shape("chat.update", &body);
    assert_eq!(body["text"], "Done");
    assert_eq!(body["message"]["text"], "Done");
    let blocks = json!([{"type": "section", "text": {"type": "plain_text", "text": "Done!"}}]);
    let (_, body) =
        post_form(&slack, "chat.update", &[("channel", CHANNEL), ("ts", &ts), ("blocks", &blocks.to_string())]).await;
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["text"], "Done", "text not sent is kept");

    let updates = slack.updates_of(CHANNEL, &ts);
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].text.as_deref(), Some("Done"));
    assert_eq!(updates[0].blocks, None);
    assert_eq!(updates[1].text, None);
    assert_eq!(updates[1].blocks, Some(blocks));
    let message = slack.message(CHANNEL, &ts).unwrap();
    assert_eq!(message.text, "Done");
    assert_eq!(message.blocks.len(), 1);
    assert!(message.edited_ts.is_some());

    let person = slack.post_user_message(CHANNEL, ADA, "hello", None);
    let cases = [
        (json!({"channel": CHANNEL, "ts": "1000000000.000001", "text": "x"}), "message_not_found"),
        (json!({"channel": "C0NOPE", "ts": ts, "text": "x"}), "channel_not_found"),
        (json!({"channel": CHANNEL, "ts": person, "text": "x"}), "cant_update_message"),
        (json!({"channel": CHANNEL, "ts": ts}), "no_text"),
        (json!({"channel": CHANNEL, "ts": ts, "text": "y".repeat(40_001)}), "msg_too_long"),
    ];
    for (args, code) in cases {
        let (_, body) = post_json(&slack, "chat.update", args.clone()).await;
        assert_eq!(body, json!({"ok": false, "error": code}), "{args}");
        assert!(documented_errors("chat.update").contains(&code.to_string()));
    }
    assert_eq!(slack.updates_of(CHANNEL, &ts).len(), 2);
}

#[tokio::test]
async fn reactions() {
    let slack = start().await;
    let ts = slack.post_user_message(CHANNEL, ADA, "please fix", None);
    let (_, body) =
        post_json(&slack, "reactions.add", json!({"channel": CHANNEL, "name": "eyes", "timestamp": ts})).await;
    assert_eq!(body, json!({"ok": true}));
    let (_, body) =
        post_form(&slack, "reactions.add", &[("channel", CHANNEL), ("name", "eyes"), ("timestamp", &ts)]).await;
    assert_eq!(body, json!({"ok": false, "error": "already_reacted"}));
    let reactions = slack.reactions(CHANNEL, &ts);
    assert_eq!(reactions.len(), 1);
    assert_eq!((reactions[0].name.as_str(), reactions[0].users.as_slice()), ("eyes", &["U0123BOT".to_string()][..]));
    slack.assert_no_violations();

    let (_, body) =
        post_json(&slack, "reactions.add", json!({"channel": CHANNEL, "name": ":eyes:", "timestamp": ts})).await;
    assert_eq!(body["error"], "invalid_name");
    assert_eq!(slack.violations().len(), 1);
    let (_, body) = post_json(
        &slack,
        "reactions.add",
        json!({"channel": CHANNEL, "name": "eyes", "timestamp": "1000000000.000001"}),
    )
    .await;
    assert_eq!(body["error"], "message_not_found");
    let (_, body) =
        post_json(&slack, "reactions.add", json!({"channel": "C0NOPE", "name": "eyes", "timestamp": ts})).await;
    assert_eq!(body["error"], "channel_not_found");
    for code in ["already_reacted", "invalid_name", "message_not_found"] {
        assert!(documented_errors("reactions.add").contains(&code.to_string()));
    }
}

#[tokio::test]
async fn threads_and_replies() {
    let slack = start().await;
    let parent = slack.post_user_message(CHANNEL, ADA, "<@U0123BOT> the build is red", None);
    let bot = post(&slack, json!({"channel": CHANNEL, "text": "looking", "thread_ts": parent})).await;
    let grace = slack.post_user_message(CHANNEL, GRACE, "it's the linter", Some(&parent));
    slack.post_user_message(CHANNEL, ADA, "unrelated", None);

    let (_, body) = get(&slack, "conversations.replies", &[("channel", CHANNEL), ("ts", &parent)]).await;
    assert_success_shape("conversations.replies", &body);
    let messages = body["messages"].as_array().unwrap();
    let texts: Vec<&str> = messages.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["<@U0123BOT> the build is red", "looking", "it's the linter"]);
    assert_eq!(messages[0]["reply_count"], 2);
    assert_eq!(messages[0]["reply_users"], json!(["U0123BOT", GRACE]));
    assert_eq!(messages[0]["latest_reply"], grace.as_str());
    assert_eq!(messages[0]["thread_ts"], parent.as_str());
    assert_eq!(messages[1]["bot_id"], "B0123BOTID");
    assert_eq!(messages[2]["user"], GRACE);
    assert_eq!(messages[2]["parent_user_id"], ADA);
    assert_eq!(body["has_more"], false);
    assert_eq!(
        slack.thread(CHANNEL, &parent).iter().map(|m| m.ts.clone()).collect::<Vec<_>>(),
        [bot.clone(), grace.clone()]
    );

    // Pages of two.
    let (_, page1) =
        get(&slack, "conversations.replies", &[("channel", CHANNEL), ("ts", &parent), ("limit", "2")]).await;
    assert_eq!(page1["messages"].as_array().unwrap().len(), 2);
    assert_eq!(page1["has_more"], true);
    let cursor = page1["response_metadata"]["next_cursor"].as_str().unwrap().to_string();
    let (_, page2) = get(
        &slack,
        "conversations.replies",
        &[("channel", CHANNEL), ("ts", &parent), ("limit", "2"), ("cursor", &cursor)],
    )
    .await;
    assert_eq!(page2["messages"][0]["ts"], grace.as_str());
    assert_eq!(page2["has_more"], false);

    // A reply's ts answers that reply; a form POST is fine; oldest filters.
    let (_, one) = post_form(&slack, "conversations.replies", &[("channel", CHANNEL), ("ts", &grace)]).await;
    assert_eq!(one["messages"].as_array().unwrap().len(), 1);
    let (_, newer) =
        get(&slack, "conversations.replies", &[("channel", CHANNEL), ("ts", &parent), ("oldest", &bot)]).await;
    assert_eq!(newer["messages"].as_array().unwrap().len(), 2, "the parent and the reply after `oldest`");
    slack.assert_no_violations();

    let (_, body) = get(&slack, "conversations.replies", &[("channel", CHANNEL), ("ts", "1000000000.000001")]).await;
    assert_eq!(body, json!({"ok": false, "error": "thread_not_found"}));
    let (_, body) = get(&slack, "conversations.replies", &[("channel", "C0NOPE"), ("ts", &parent)]).await;
    assert_eq!(body["error"], "channel_not_found");
    let (_, body) = get(&slack, "conversations.replies", &[("channel", PRIVATE), ("ts", &parent)]).await;
    assert_eq!(body["error"], "channel_not_found", "a private channel the bot is not in");
    slack.assert_no_violations();
}

#[tokio::test]
async fn violations_are_recorded() {
    let slack = start().await;
    // Unknown parameter, missing required, wrong type, malformed ts.
    let (_, body) = post_json(
        &slack,
        "chat.postMessage",
        json!({"channel": CHANNEL, "text": "x", "thread": "1", "unfurl_links": "nope", "reply_broadcast": true}),
    )
    .await;
    assert_eq!(body["ok"], true, "Slack answers anyway");
    let (_, _) = post_json(&slack, "chat.update", json!({"channel": CHANNEL, "text": "x"})).await;
    let (_, _) =
        post_json(&slack, "chat.postMessage", json!({"channel": CHANNEL, "text": "x", "thread_ts": 1700000000.0001}))
            .await;
    let (_, _) = get(&slack, "conversations.replies", &[("channel", CHANNEL), ("ts", "1700000000")]).await;
    // JSON to a form-only method, GET to a POST method, a method outside the subset.
    let (_, _) = post_json(&slack, "users.info", json!({"user": ADA})).await;
    let (_, _) = get(&slack, "chat.postMessage", &[("channel", CHANNEL), ("text", "x")]).await;
    let (_, body) = post_json(&slack, "chat.delete", json!({"channel": CHANNEL, "ts": "1700000000.000100"})).await;
    assert_eq!(body["error"], "unknown_method");

    let violations = slack.violations();
    let expect = [
        "chat.postMessage: unknown parameter `thread`",
        "chat.postMessage: parameter `unfurl_links` must be a boolean",
        "chat.update: missing required parameter `ts`",
        "chat.postMessage: parameter `thread_ts` must be a string",
        "conversations.replies: parameter `ts` must be a message timestamp",
        "users.info: sent a JSON body",
        "chat.postMessage: sent with GET",
        "chat.delete: not a method of the Web API subset",
    ];
    for want in expect {
        assert!(violations.iter().any(|v| v.starts_with(want)), "missing {want:?} in {violations:#?}");
    }
    let recorded = slack.calls("chat.update");
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].violations, ["chat.update: missing required parameter `ts`"]);
    assert_eq!(recorded[0].error(), Some("message_not_found"));
    slack.clear_violations();
    assert!(slack.violations().is_empty());
}

#[tokio::test]
async fn rate_limits() {
    let slack = start().await;
    slack.rate_limit_next("chat.postMessage", 7, 2);
    for _ in 0..2 {
        let res = reqwest::Client::new()
            .post(slack.api_url("chat.postMessage"))
            .bearer_auth(TOKEN)
            .json(&json!({"channel": CHANNEL, "text": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()["retry-after"], "7");
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"ok": false, "error": "ratelimited"}));
    }
    // Other methods are not limited; the third call goes through.
    assert_eq!(get(&slack, "auth.test", &[]).await.1["ok"], true);
    let (status, body) = post_json(&slack, "chat.postMessage", json!({"channel": CHANNEL, "text": "x"})).await;
    assert_eq!((status, body["ok"].clone()), (200, json!(true)));
    assert_eq!(slack.messages(CHANNEL).len(), 1);
    let calls = slack.calls("chat.postMessage");
    assert_eq!(calls.iter().map(|c| c.status).collect::<Vec<_>>(), [429, 429, 200]);
}

#[tokio::test]
async fn down_and_injected_failures() {
    let slack = start().await;
    slack.set_down(true);
    let res = reqwest::Client::new().post(slack.api_url("chat.postMessage")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let res = reqwest::Client::new().get(slack.api_url("auth.test")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 503);
    slack.set_down(false);
    assert_eq!(get(&slack, "auth.test", &[]).await.0, 200);

    slack.fail_next("chat.postMessage", "is_archived");
    slack.fail_next("chat.postMessage", "channel_not_found");
    let first = post_json(&slack, "chat.postMessage", json!({"channel": CHANNEL, "text": "x"})).await;
    let second = post_json(&slack, "chat.postMessage", json!({"channel": CHANNEL, "text": "x"})).await;
    let third = post_json(&slack, "chat.postMessage", json!({"channel": CHANNEL, "text": "x"})).await;
    assert_eq!(first, (200, json!({"ok": false, "error": "is_archived"})));
    assert_eq!(second.1["error"], "channel_not_found");
    assert_eq!(third.1["ok"], true);
    assert_eq!(slack.messages(CHANNEL).len(), 1);
    slack.assert_no_violations();
}

#[tokio::test]
async fn waiting_for_the_product() {
    let slack = start().await;
    let url = slack.api_url("chat.postMessage");
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        reqwest::Client::new()
            .post(url)
            .bearer_auth(TOKEN)
            .json(&json!({"channel": CHANNEL, "text": "late"}))
            .send()
            .await
    });
    let messages = slack.wait_for_messages(CHANNEL, 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(messages[0].text, "late");
    assert_eq!(slack.wait_for_calls("chat.postMessage", 1, Duration::from_secs(1)).await.unwrap().len(), 1);
    assert!(slack.wait_for_calls("chat.update", 1, Duration::from_millis(100)).await.is_err());
}

#[tokio::test]
async fn config_is_validated() {
    let bad = config().channel(oi_slack_double::ChannelConfig::public("X0BAD", "bad"));
    assert!(SlackDouble::start(bad).await.is_err());
    let bad = oi_slack_double::SlackConfig::new("xoxp-user-token", SECRET);
    assert!(SlackDouble::start(bad).await.is_err());
}
