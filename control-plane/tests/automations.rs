//! Automations against the built Worker in workerd: saved only when valid (the error names the
//! field), managed through the API, the scheduled handler driven directly (each slot runs
//! once, a late one is skipped), and every webhook refusal with its status, its logged reason
//! and no run.

use oi_protocol::automations::{Automation, AutomationList, DeliveryOutcome};
use oi_protocol::automations::{
    AutomationRun, AutomationWithSecret, DeliveryAccepted, RunList, RunStatus, TriggerKind,
};
use oi_protocol::integrations::DeliveryList;
use oi_protocol::{ErrorBody, ErrorCode};
use oi_testkit::signing::{hub_signature, oi_signature, unix_now};
use oi_testkit::{Api, ApiResponse, ControlPlane, ControlPlaneOptions};
use serde_json::json;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const MINUTE: i64 = 60_000;

async fn start() -> anyhow::Result<ControlPlane> {
    let vars = vec![("SECRETS_KEY".to_string(), KEY.to_string())];
    ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await
}

fn refused(answer: &ApiResponse, status: u16, code: ErrorCode, says: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let ErrorBody { error } = answer.error().expect("an error body");
    assert_eq!(error.code, code, "{}", answer.body);
    assert!(error.message.contains(says), "{:?} should say {says:?}", error.message);
}

async fn create(api: &Api, body: serde_json::Value) -> anyhow::Result<AutomationWithSecret> {
    let answer = api.raw("POST", "/api/automations", Some(&body.to_string())).await?;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()
}

async fn runs(api: &Api, id: &str) -> anyhow::Result<Vec<AutomationRun>> {
    Ok(api.raw("GET", &format!("/api/automations/{id}/runs?limit=100"), None).await?.json::<RunList>()?.runs)
}

/// A log without the polling.
fn quiet(log: &str) -> String {
    log.lines().filter(|l| !l.contains("/runs 200")).collect::<Vec<_>>().join("\n")
}

fn scheduled(cron: &str) -> serde_json::Value {
    json!({
        "name": "Nightly triage",
        "repo": "/srv/git/app.git",
        "prompt": "Triage at {{run.time}} on {{branch}}",
        "trigger": { "type": "schedule", "cron": cron, "timezone": "Europe/Paris" }
    })
}

#[tokio::test]
async fn an_automation_is_saved_only_when_valid_and_is_managed_through_the_api() -> anyhow::Result<()> {
    let cp = start().await?;
    let api = cp.api();
    let bad = |patch: serde_json::Value| {
        let mut body = scheduled("0 9 * * *");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body.to_string()
    };
    let cases = [
        (bad(json!({"trigger": {"type": "schedule", "cron": "*/5 * * * *"}})), "trigger.cron"),
        (
            bad(json!({"trigger": {"type": "schedule", "cron": "0 9 * * *", "timezone": "Mars/Olympus"}})),
            "trigger.timezone",
        ),
        (bad(json!({"prompt": "Fix {{sentry.title}}"})), "sentry.title"),
        (bad(json!({"name": "  "})), "name"),
        (bad(json!({"trigger": {"type": "webhook", "filter": "$[?(@.action ==", "variables": {}}})), "trigger.filter"),
        (bad(json!({"callback_url": "ftp://example.test/x"})), "callback_url"),
    ];
    for (body, names) in cases {
        let answer = api.raw("POST", "/api/automations", Some(&body)).await?;
        refused(&answer, 400, ErrorCode::InvalidRequest, names);
    }
    let listed: AutomationList = api.raw("GET", "/api/automations", None).await?.json()?;
    assert!(listed.automations.is_empty(), "a refused automation was saved: {listed:?}");

    let created = create(&api, scheduled("0 9 * * *")).await?;
    let a = &created.automation;
    assert!(created.secret.len() >= 32);
    assert!(a.enabled && a.next_run_at.is_some() && a.webhook_path.is_none(), "{a:?}");
    assert_eq!((a.branch.as_str(), a.owner.id.as_str()), ("main", "local"));
    // The secret is shown once: not in the automation, not in the list.
    let listed = api.raw("GET", "/api/automations", None).await?;
    assert!(!listed.body.contains(&created.secret));

    let path = format!("/api/automations/{}", a.id);
    let renamed = api.raw("PATCH", &path, Some(r#"{"name":"Morning triage"}"#)).await?;
    assert_eq!(renamed.json::<Automation>()?.name, "Morning triage");
    let refused_patch = api.raw("PATCH", &path, Some(r#"{"trigger":{"type":"schedule","cron":"* * * * *"}}"#)).await?;
    refused(&refused_patch, 400, ErrorCode::InvalidRequest, "15 minutes");
    let paused: Automation = api.raw("POST", &format!("{path}/pause"), None).await?.json()?;
    assert!(!paused.enabled && paused.next_run_at.is_none(), "{paused:?}");
    let resumed: Automation = api.raw("POST", &format!("{path}/resume"), None).await?.json()?;
    assert!(resumed.enabled && resumed.next_run_at.is_some(), "{resumed:?}");

    // Run now: a manual run with a session.
    let run: AutomationRun = api.raw("POST", &format!("{path}/runs"), None).await?.json()?;
    assert_eq!((run.trigger, run.status), (TriggerKind::Manual, RunStatus::Running));
    // Started in the background (the queue): its session exists, from the automation.
    let mut session = None;
    for _ in 0..150 {
        session = runs(&api, &a.id).await?.into_iter().find(|r| r.id == run.id).and_then(|r| r.session_id);
        if session.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let session = session.unwrap_or_else(|| panic!("the run never got its session:\n{}", quiet(&cp.log_tail(400))));
    let state = api.session(&session).await?;
    assert_eq!(state.summary.origin.label.as_deref(), Some("Morning triage"));
    assert_eq!(state.queue.len(), 1, "its prompt is queued: {:?}", state.queue);

    let rotated: AutomationWithSecret = api.raw("POST", &format!("{path}/secret"), None).await?.json()?;
    assert_ne!(rotated.secret, created.secret);
    assert_eq!(api.raw("DELETE", &path, None).await?.status, 204);
    refused(&api.raw("GET", &path, None).await?, 404, ErrorCode::NotFound, "no automation");
    // Nobody else's business: no credential, no list.
    assert_eq!(api.anonymous().raw("GET", "/api/automations", None).await?.status, 401);
    Ok(())
}

#[tokio::test]
async fn the_scheduled_handler_runs_each_slot_once_and_skips_a_slot_it_reaches_too_late() -> anyhow::Result<()> {
    let cp = start().await?;
    let api = cp.api();
    let created = create(&api, scheduled("*/15 * * * *")).await?;
    let id = created.automation.id.clone();
    let slot = created.automation.next_run_at.expect("a first slot");
    // Before the slot: nothing.
    cp.tick(slot - MINUTE).await?;
    assert!(runs(&api, &id).await?.is_empty());

    // The slot, seen by two ticks at once and by a repeated one.
    let (a, b) = tokio::join!(cp.tick(slot), cp.tick(slot + 1000));
    a?;
    b?;
    cp.tick(slot + 2 * MINUTE).await?;
    let after = runs(&api, &id).await?;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!((after[0].slot, after[0].trigger), (Some(slot), TriggerKind::Schedule));
    let a: Automation = api.raw("GET", &format!("/api/automations/{id}"), None).await?.json()?;
    assert_eq!(a.next_run_at, Some(slot + 15 * MINUTE));

    // The next slot, reached 11 minutes late (past the 10-minute grace, before the slot after):
    // recorded as skipped, and the one after is next.
    let late = slot + 15 * MINUTE + 11 * MINUTE;
    cp.tick(late).await?;
    let after = runs(&api, &id).await?;
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0].status, RunStatus::Skipped, "{after:?}");
    assert!(after[0].reason.as_deref().unwrap_or_default().contains("11 minutes late"), "{after:?}");
    let a: Automation = api.raw("GET", &format!("/api/automations/{id}"), None).await?.json()?;
    assert!(a.next_run_at.unwrap() > late, "{a:?}");
    Ok(())
}

fn webhook() -> serde_json::Value {
    json!({
        "name": "PR opened",
        "repo": "/srv/git/app.git",
        "prompt": "Review PR #{{number}}: {{title}}",
        "trigger": {
            "type": "webhook",
            "filter": "$[?(@.action == 'opened')]",
            "variables": { "number": "$.number", "title": "$.pull_request.title" },
            "idempotency_key": { "json_path": "$.pull_request.id" }
        }
    })
}

/// A delivery (body, headers) and the refusal it gets (status, code, what the message says).
type Refused = (Vec<u8>, Vec<(&'static str, String)>, u16, ErrorCode, &'static str);

fn payload(action: &str, id: u64) -> Vec<u8> {
    json!({ "action": action, "number": 7, "pull_request": { "id": id, "title": "Add retries" } })
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn webhook_refusals_each_have_their_status_and_reason_and_start_nothing() -> anyhow::Result<()> {
    let cp = start().await?;
    let api = cp.api();
    let created = create(&api, webhook()).await?;
    let (id, secret) = (created.automation.id.clone(), created.secret.clone());
    let path = created.automation.webhook_path.clone().expect("a webhook path");
    assert_eq!(path, format!("/api/automations/{id}/webhook"));
    let caller = api.anonymous();
    let body = payload("opened", 1001);
    let now = unix_now();
    let good = oi_signature(&secret, &body, now);

    let cases: Vec<Refused> = vec![
        (body.clone(), vec![], 401, ErrorCode::Unauthorized, "signature"),
        (
            body.clone(),
            vec![("x-oi-signature-256", oi_signature("wrong", &body, now))],
            401,
            ErrorCode::Unauthorized,
            "signature",
        ),
        (
            body.clone(),
            vec![("x-oi-signature-256", oi_signature(&secret, &body, now - 600))],
            401,
            ErrorCode::Unauthorized,
            "timestamp",
        ),
        (
            payload("opened", 1002),
            vec![("x-oi-signature-256", good.clone())],
            401,
            ErrorCode::Unauthorized,
            "signature",
        ),
        (
            b"not json".to_vec(),
            vec![("x-oi-signature-256", oi_signature(&secret, b"not json", now))],
            400,
            ErrorCode::BadJson,
            "",
        ),
    ];
    for (body, headers, status, code, says) in &cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = caller.deliver(&path, body, &headers).await?;
        refused(&answer, *status, *code, says);
    }
    // Oversize: refused from its length.
    let big = vec![b' '; 64 * 1024 + 1];
    let answer = caller.deliver(&path, &big, &[("x-oi-signature-256", &oi_signature(&secret, &big, now))]).await?;
    refused(&answer, 413, ErrorCode::PayloadTooLarge, "65536 bytes");
    // No such automation.
    let answer = caller.deliver("/api/automations/aut_nope/webhook", &body, &[("x-oi-signature-256", &good)]).await?;
    refused(&answer, 404, ErrorCode::NotFound, "aut_nope");
    assert!(runs(&api, &id).await?.is_empty(), "a refused delivery started a run");
    let log: DeliveryList = api.raw("GET", &format!("/api/automations/{id}/deliveries"), None).await?.json()?;
    assert_eq!(log.deliveries.len(), cases.len() + 1, "{log:?}");
    assert!(log.deliveries.iter().all(|d| d.outcome == DeliveryOutcome::Refused && d.reason.is_some()), "{log:?}");

    // A good delivery starts one run; its redelivery (same id) and the same key again do not.
    let delivery = [("x-oi-signature-256", good.as_str()), ("x-oi-delivery", "d-1")];
    let answer = caller.deliver(&path, &body, &delivery).await?;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let accepted: DeliveryAccepted = answer.json()?;
    assert_eq!(accepted.outcome, DeliveryOutcome::Started);
    let again: DeliveryAccepted = caller.deliver(&path, &body, &delivery).await?.json()?;
    assert_eq!((again.outcome, again.reason.as_deref()), (DeliveryOutcome::Ignored, Some("duplicate")));
    let hub = hub_signature(&secret, &body);
    let same_key = caller.deliver(&path, &body, &[("x-hub-signature-256", &hub), ("x-github-delivery", "d-2")]).await?;
    assert_eq!(same_key.status, 200, "{}", same_key.body);
    assert_eq!(same_key.json::<DeliveryAccepted>()?.reason.as_deref(), Some("duplicate"));
    // Filtered out (a bearer secret works too).
    let closed = payload("closed", 1003);
    let bearer = format!("Bearer {secret}");
    let filtered: DeliveryAccepted = caller.deliver(&path, &closed, &[("authorization", &bearer)]).await?.json()?;
    assert_eq!(filtered.reason.as_deref(), Some("filtered"));
    let all = runs(&api, &id).await?;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].key.as_deref(), Some("1001"));
    assert_eq!(Some(all[0].id.clone()), accepted.run_id);

    // Paused: refused, nothing starts.
    api.raw("POST", &format!("/api/automations/{id}/pause"), None).await?;
    let fresh = payload("opened", 1004);
    let answer = caller.deliver(&path, &fresh, &[("x-oi-signature-256", &oi_signature(&secret, &fresh, now))]).await?;
    refused(&answer, 409, ErrorCode::Conflict, "paused");
    assert_eq!(runs(&api, &id).await?.len(), 1);
    Ok(())
}
