//! Signed AgentSessionEvent deliveries: created, prompted, forged, replayed, skewed.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use oi_linear_double::schema::payload_problems;
use oi_linear_double::signing::signature;
use oi_linear_double::{LinearDouble, Prompt, SessionCreated, DEFAULT_WEBHOOK_SECRET};
use serde_json::Value;

async fn start_with(receiver: &Receiver) -> LinearDouble {
    LinearDouble::start(config().webhook_url(&receiver.url)).await.unwrap()
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

#[tokio::test]
async fn created_by_delegation_is_signed_and_shaped_by_the_sdl() {
    let receiver = receiver(Duration::ZERO).await;
    let linear = start_with(&receiver).await;
    let (session, delivery) = linear.send_session_created(&SessionCreated::delegated("ENG-123", ADA)).await.unwrap();
    assert!(delivery.accepted_in_time(), "{delivery:?}");

    let received = receiver.received.lock().unwrap()[0].clone();
    assert_eq!(received.header("linear-signature"), signature(DEFAULT_WEBHOOK_SECRET, &received.body));
    assert_eq!(received.header("linear-event"), "AgentSessionEvent");
    assert_eq!(received.header("linear-delivery"), delivery.delivery_id);
    assert_eq!(received.header("content-type"), "application/json; charset=utf-8");

    let body: Value = serde_json::from_slice(&received.body).unwrap();
    assert_eq!(payload_problems(&body, "AgentSessionEventWebhookPayload"), Vec::<String>::new());
    assert_eq!(body["type"], "AgentSessionEvent");
    assert_eq!(body["action"], "created");
    assert!((body["webhookTimestamp"].as_i64().unwrap() - now_ms()).abs() < 5_000);
    let agent_session = &body["agentSession"];
    assert_eq!(agent_session["id"], session);
    assert_eq!(agent_session["status"], "pending");
    assert_eq!(agent_session["creatorId"], ADA);
    assert_eq!(agent_session["issue"]["identifier"], "ENG-123");
    assert_eq!(agent_session["issue"]["description"], "It fails on CI one run in ten.");
    assert_eq!(agent_session["issue"]["team"]["key"], "ENG");
    assert_eq!(agent_session["comment"], Value::Null);
    let context = body["promptContext"].as_str().unwrap();
    for expected in [
        "<issue identifier=\"ENG-123\">",
        "<label>bug</label>",
        "<project name=\"Agents\"/>",
        "<team name=\"Engineering\"/>",
    ] {
        assert!(context.contains(expected), "{context}");
    }
    // A delegation makes the app the issue's delegate.
    assert_eq!(linear.issue("ENG-123").unwrap().delegate_id, Some(linear.config().app_user.id));
    assert_eq!(linear.deliveries().len(), 1);
}

#[tokio::test]
async fn created_by_mention_carries_the_comment() {
    let receiver = receiver(Duration::ZERO).await;
    let linear = start_with(&receiver).await;
    let event = SessionCreated::mentioned("ENG-123", GRACE, "@open-inspect please fix this");
    let (_, delivery) = linear.send_session_created(&event).await.unwrap();
    let body = delivery.json();
    assert_eq!(payload_problems(&body, "AgentSessionEventWebhookPayload"), Vec::<String>::new());
    assert_eq!(body["agentSession"]["comment"]["body"], "@open-inspect please fix this");
    assert_eq!(body["agentSession"]["comment"]["userId"], GRACE);
    assert!(body["promptContext"].as_str().unwrap().contains("<comment author=\"Grace Hopper\">"));
    assert_eq!(linear.comments("ENG-123").len(), 1);
    assert_eq!(linear.issue("ENG-123").unwrap().delegate_id, None);
}

#[tokio::test]
async fn prompted_and_stop() {
    let receiver = receiver(Duration::ZERO).await;
    let linear = start_with(&receiver).await;
    let (session, _) = linear.send_session_created(&SessionCreated::delegated("ENG-123", ADA)).await.unwrap();
    let delivery = linear.send_prompt(&session, &Prompt::new(ADA, "Also update the docs")).await.unwrap();
    let body = delivery.json();
    assert_eq!(payload_problems(&body, "AgentSessionEventWebhookPayload"), Vec::<String>::new());
    assert_eq!(body["action"], "prompted");
    assert_eq!(body["agentActivity"]["content"]["type"], "prompt");
    assert_eq!(body["agentActivity"]["content"]["body"], "Also update the docs");
    assert_eq!(body["agentActivity"]["user"]["id"], ADA);
    assert!(body.get("promptContext").is_none());

    let stop = linear.send_prompt(&session, &Prompt::new(ADA, "Stop").stop()).await.unwrap();
    assert_eq!(stop.json()["agentActivity"]["signal"], "stop");
    let kinds: Vec<(String, Option<String>)> =
        linear.activities(&session).iter().map(|a| (a.kind().to_string(), a.signal.clone())).collect();
    assert_eq!(kinds, [("prompt".to_string(), None), ("prompt".to_string(), Some("stop".to_string()))]);
}

#[tokio::test]
async fn forged_replayed_skewed_and_slow() {
    let receiver = receiver(Duration::from_millis(300)).await;
    let linear = start_with(&receiver).await;

    linear.set_clock_skew(-120_000);
    let (_, stale) = linear.send_session_created(&SessionCreated::delegated("OPS-7", ADA)).await.unwrap();
    assert!((stale.json()["webhookTimestamp"].as_i64().unwrap() - (now_ms() - 120_000)).abs() < 5_000);
    assert!(stale.elapsed >= Duration::from_millis(300), "{:?}", stale.elapsed);

    let replay = linear.resend(&stale).await.unwrap();
    assert_eq!((replay.delivery_id.as_str(), &replay.body), (stale.delivery_id.as_str(), &stale.body));

    let forged =
        linear.send_raw(b"{\"type\":\"AgentSessionEvent\"}", "00", &[("linear-event", "Issue")]).await.unwrap();
    assert_eq!(forged.signature, "00");
    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 3);
    assert_eq!(received[1].header("linear-delivery"), received[0].header("linear-delivery"));
    assert_eq!(received[2].header("linear-signature"), "00");
    assert_eq!(received[2].header("linear-event"), "Issue");
}

#[tokio::test]
async fn an_unreachable_receiver_is_reported() {
    let linear = LinearDouble::start(config().webhook_url("http://127.0.0.1:9/webhook")).await.unwrap();
    let (_, delivery) = linear.send_session_created(&SessionCreated::delegated("ENG-123", ADA)).await.unwrap();
    assert_eq!(delivery.status, 0);
    assert!(delivery.error.is_some());
    assert!(!delivery.accepted_in_time());
}
