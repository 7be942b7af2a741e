//! Automations through the whole local stack (workerd with its queue and D1, the provider,
//! the supervisor, OpenCode, the scripted model, git): a signed webhook delivery starts a
//! session that pushes a branch as the automation's owner, and its callback reaches a receiver
//! that was down at first; a schedule's slot starts one run however many ticks see it; a
//! Sentry issue gets a session and a later event on it a follow-up prompt in that session.

mod common;

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use common::*;
use oi_protocol::automations::{AutomationRun, AutomationWithSecret, DeliveryAccepted, RunList, RunStatus};
use oi_protocol::origin::OriginKind;
use oi_protocol::rest::SessionList;
use oi_protocol::SessionState;
use oi_scripted_model::Turn;
use oi_testkit::callback_receiver::CallbackReceiver;
use oi_testkit::sentry_sender::{event_alert_triggered, issue_created, SentrySender};
use oi_testkit::signing::{oi_signature, unix_now};
use oi_testkit::{BareRepo, Stack};
use serde_json::json;

async fn create(stack: &Stack, body: serde_json::Value) -> Result<AutomationWithSecret> {
    let answer = stack.cp.api().raw("POST", "/api/automations", Some(&body.to_string())).await?;
    if answer.status != 201 {
        bail!("creating the automation: {} {}", answer.status, answer.body);
    }
    answer.json()
}

async fn runs(stack: &Stack, id: &str) -> Result<Vec<AutomationRun>> {
    Ok(stack.cp.api().raw("GET", &format!("/api/automations/{id}/runs"), None).await?.json::<RunList>()?.runs)
}

/// Waits until the automation's runs satisfy `done`.
async fn wait_runs(stack: &Stack, id: &str, done: impl Fn(&[AutomationRun]) -> bool) -> Result<Vec<AutomationRun>> {
    let started = Instant::now();
    loop {
        let now = runs(stack, id).await?;
        if done(&now) {
            return Ok(now);
        }
        if started.elapsed() > Duration::from_secs(180) {
            bail!("runs never got there: {now:#?}\n{}\n{}", session_logs(stack).await, diagnostics(stack));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_webhook_starts_a_session_that_pushes_a_branch_and_its_callback_outlasts_a_receiver_outage() -> Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let mut receiver = CallbackReceiver::reserve()?;
    let created = create(
        &stack,
        json!({
            "name": "Notes from deliveries",
            "repo": repo.path().display().to_string(),
            "prompt": "Write {{file}}",
            "trigger": { "type": "webhook", "variables": { "file": "$.file" } },
            "callback_url": receiver.url()
        }),
    )
    .await?;
    receiver.set_secret(&created.secret);
    let id = created.automation.id.clone();
    stack.model.push_all([
        Turn::tool_call("write", json!({"filePath": "notes.txt", "content": "from a webhook\n"})),
        Turn::text("Wrote notes.txt."),
    ]);

    let body = json!({ "file": "notes.txt" }).to_string().into_bytes();
    let signature = oi_signature(&created.secret, &body, unix_now());
    let path = created.automation.webhook_path.clone().unwrap();
    let answer = stack.cp.api().anonymous().deliver(&path, &body, &[("x-oi-signature-256", &signature)]).await?;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let run_id = answer.json::<DeliveryAccepted>()?.run_id.expect("a run");

    let done = wait_runs(&stack, &id, |r| r.iter().any(|r| r.status != RunStatus::Running)).await?;
    let run = done.iter().find(|r| r.id == run_id).unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}\n{}", session_logs(&stack).await);
    let session_id = run.session_id.clone().expect("the run's session");
    let branch = format!("oi/{session_id}");
    assert_eq!(repo.show(&branch, "notes.txt")?, "from a webhook\n");
    // As the owner, from the automation.
    assert_eq!(repo.log(&branch)?[0], (LOCAL_USER.to_string(), "Write notes.txt".to_string()));
    let state: SessionState = stack.cp.api().raw("GET", &format!("/api/sessions/{session_id}"), None).await?.json()?;
    let origin = &state.summary.origin;
    assert_eq!((origin.kind, origin.label.as_deref()), (OriginKind::Automation, Some("Notes from deliveries")));
    assert_eq!(origin.reference.as_deref(), Some(format!("{id}/{run_id}").as_str()));
    let listed: SessionList = stack.cp.api().raw("GET", "/api/sessions?origin=automation", None).await?.json()?;
    assert_eq!(listed.sessions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [session_id.as_str()]);

    // The receiver was down; it comes up, and the notice arrives (signed, once).
    assert!(receiver.received().is_empty());
    tokio::time::sleep(Duration::from_secs(5)).await;
    receiver.listen().await?;
    let notice = receiver.wait_for(Duration::from_secs(150), |r| r.body["event"] == "prompt_finished").await?;
    assert_eq!(notice.body["session_id"], session_id.as_str());
    assert_eq!(notice.body["branch"], branch.as_str());
    assert_eq!(notice.body["origin"]["reference"], format!("{id}/{run_id}").as_str());
    assert_eq!(receiver.counts().1, 0, "every notice verified");
    Ok(())
}

#[tokio::test]
async fn a_schedule_slot_starts_one_run_however_many_ticks_see_it() -> Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let created = create(
        &stack,
        json!({
            "name": "Every quarter hour",
            "repo": repo.path().display().to_string(),
            "prompt": "Say hello ({{run.trigger}} at {{run.time}})",
            "trigger": { "type": "schedule", "cron": "*/15 * * * *" }
        }),
    )
    .await?;
    stack.model.push_all([Turn::text("Hello.")]);
    let id = created.automation.id.clone();
    let slot = created.automation.next_run_at.expect("a slot");
    let (a, b, c) = tokio::join!(stack.cp.tick(slot), stack.cp.tick(slot + 500), stack.cp.tick(slot + 30_000));
    a?;
    b?;
    c?;
    let done = wait_runs(&stack, &id, |r| r.iter().all(|r| r.status != RunStatus::Running) && !r.is_empty()).await?;
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!((done[0].status, done[0].slot), (RunStatus::Succeeded, Some(slot)), "{done:?}");
    let listed: SessionList = stack.cp.api().raw("GET", "/api/sessions?origin=automation", None).await?.json()?;
    assert_eq!(listed.sessions.len(), 1, "{listed:?}");
    Ok(())
}

#[tokio::test]
async fn a_sentry_issue_gets_a_session_and_a_later_event_a_follow_up_in_it() -> Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let api = stack.cp.api();
    let secret = "test-sentry-client-secret";
    let on = json!({ "enabled": true, "secrets": { "client_secret": secret } }).to_string();
    assert_eq!(api.raw("PUT", "/api/integrations/sentry", Some(&on)).await?.status, 200);
    let created = create(
        &stack,
        json!({
            "name": "Sentry fixer",
            "repo": repo.path().display().to_string(),
            "prompt": "Fix {{sentry.title}} ({{sentry.url}})",
            "trigger": { "type": "sentry", "projects": ["front-end"] }
        }),
    )
    .await?;
    let id = created.automation.id.clone();
    stack.model.push_all([Turn::text("Looked at it."), Turn::text("Looked at the new event.")]);
    let sentry = SentrySender::new(&stack.cp.base_url(), secret);
    let issue = issue_created();
    assert_eq!(sentry.send("issue", &issue).await?.answer.status, 202);
    let first = wait_runs(&stack, &id, |r| r.len() == 1 && r[0].status == RunStatus::Succeeded).await?;
    let session_id = first[0].session_id.clone().expect("a session");

    let mut event = event_alert_triggered();
    event["data"]["event"]["issue_id"] = issue["data"]["issue"]["id"].clone();
    let follow = sentry.send("event_alert", &event).await?;
    assert_eq!(follow.answer.status, 202, "{}", follow.answer.body);
    let both = wait_runs(&stack, &id, |r| r.len() == 2 && r.iter().all(|r| r.status == RunStatus::Succeeded)).await?;
    assert!(both[0].follow_up && both.iter().all(|r| r.session_id.as_deref() == Some(session_id.as_str())), "{both:?}");
    let listed: SessionList = api.raw("GET", "/api/sessions?origin=automation", None).await?.json()?;
    assert_eq!(listed.sessions.len(), 1, "one session per Sentry issue: {listed:?}");
    // The second prompt in it carries the new event.
    let asked = stack.model.requests().iter().any(|r| r.body.to_string().contains("heck is not defined"));
    assert!(asked, "the follow-up prompt names the new event");
    Ok(())
}
